"""Who residents pay for a buy (its own payee, else the leader's default) and who may see that 收款码."""

from __future__ import annotations

from django.db.models import F, Q
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import is_buy_leader, membership_for
from core.uploads import is_pending
from groupbuy.models import Entry, EntryStatus, GroupBuy
from settlement.models import PayeeAccount
from settlement.permissions import is_payment_staff


def payee_for_buy(*, buy: GroupBuy) -> PayeeAccount | None:
    """The buy's own payee if the leader set one, else the leader's default (one query)."""
    return (
        PayeeAccount.objects.filter(Q(buy_id=buy.pk) | Q(owner_id=buy.leader_id, buy__isnull=True))
        .order_by(F("buy_id").asc(nulls_last=True))
        .first()
    )


def payee_own_get(*, user: User, buy: GroupBuy | None = None) -> PayeeAccount | None:
    """What the payee form edits: the buy's own payee, or (no buy) the user's default. The caller checks that the
    user leads the buy."""
    if buy is not None:
        return PayeeAccount.objects.filter(buy_id=buy.pk).first()
    return PayeeAccount.objects.filter(owner_id=user.pk, buy__isnull=True).first()


def payee_qr_ready(account: PayeeAccount | None) -> bool:
    """True when the 收款码 image may be shown: stored and already re-encoded (a pending raw upload never is)."""
    return account is not None and bool(account.qr_image) and not is_pending(account.qr_image)


def can_see_payee(user: User, buy: GroupBuy) -> bool:
    """Who may see a buy's 收款码: its leader and payment staff, the committee, and households with a live sign-up in
    it (those who have something to pay), or whoever placed one for a neighbour."""
    if is_buy_leader(user, buy) or is_payment_staff(user, buy):
        return True
    membership = membership_for(user, buy.community_id)
    if membership is None:
        return False
    if membership.is_committee:
        return True
    owners = Q(placed_by_id=user.pk)
    if membership.household_id:
        owners |= Q(household_id=membership.household_id)
    return Entry.objects.filter(owners, buy_id=buy.pk, status=EntryStatus.ACTIVE).exists()


def transfer_note(entry: Entry) -> str:
    """What the payer writes in the transfer's note so the leader can match it: the 接龙 number and the room."""
    return _("Jielong #%(seq)s %(room)s") % {"seq": entry.seq, "room": entry.household.label}
