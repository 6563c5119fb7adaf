"""Donations for vulnerable households: pledged portions drawn from the buy's stock, assigned and paid."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Household, User
from accounts.permissions import Action, is_buy_leader, membership_for, require
from groupbuy.models import BuyItem, GroupBuy
from groupbuy.services.locks import buy_lock_taking_signups
from groupbuy.services.stock import items_apply_deltas
from groupbuy.services.transitions import buys_touch
from settlement import exceptions as errors
from settlement.models import (
    Donation,
    DonationState,
    money,
)
from settlement.permissions import require_buy_leader, require_payment_staff
from settlement.services.common import parse_quantity


def _check_recipient(buy: GroupBuy, recipient_id: Any) -> Household | None:
    if recipient_id in (None, ""):
        return None
    household = Household.objects.filter(pk=recipient_id, community_id=buy.community_id).first()
    if household is None or not household.is_vulnerable:
        raise errors.not_vulnerable(field="recipient")
    return household


def donation_limit(buy: GroupBuy) -> int:
    """Portions one person may donate to `buy`, all items together: the buy's per-household limit when it sets
    one (a donor gives at most what a household may order), else settings.DONATION_MAX_PORTIONS_PER_PERSON."""
    if buy.household_limit is not None:
        return buy.household_limit
    return settings.DONATION_MAX_PORTIONS_PER_PERSON


def donation_add(*, actor: User, buy: GroupBuy, item_id: Any, quantity: Any, recipient_id: Any = None) -> Donation:
    """A member donates N portions of an item for a household on the committee's vulnerable list, under the
    rules of an entry (issue 13):

    * only while the buy takes sign-ups (open or formed, before its deadline): the sign-up's own rule and row
      lock (`buy_lock_taking_signups`), held to the commit, so a close either waits for this donation (and its
      purchase order counts it) or makes this refuse: a donation is never added after the close;
    * at most `donation_limit(buy)` portions per person on this buy, counted under that lock (two requests of
      one donor cannot both pass the check);
    * drawn from the item's stock by the sign-up's conditional UPDATE (`items_apply_deltas`): a capped item is
      never oversold, whoever (sign-up or donation) asks for the last units.

    Donations do not count toward the MOQ: the buy's counters are the households' own orders (a withdrawable
    pledge should not form a buy for everyone); the purchase order adds them (`purchase_order_include_donations`).
    """
    membership = membership_for(actor, buy.community_id)
    if membership is None:
        raise errors.forbidden()
    if recipient_id not in (None, "") and not (is_buy_leader(actor, buy) or membership.is_committee):
        raise errors.forbidden()
    try:
        item_pk = int(item_id)
    except (TypeError, ValueError):
        item_pk = 0
    item = BuyItem.objects.filter(pk=item_pk, buy_id=buy.pk).first()
    if item is None:
        raise errors.unknown_item(field="item")
    qty = parse_quantity(quantity, field="quantity")
    if qty <= 0:
        raise errors.invalid_quantity(field="quantity")
    limit = donation_limit(buy)
    if qty > limit:  # refused before taking any lock
        raise errors.over_donation_limit(limit=limit, given=0)
    recipient = _check_recipient(buy, recipient_id)
    with transaction.atomic():
        buy_lock_taking_signups(buy_id=buy.pk, now=timezone.now())
        given = Donation.objects.filter(buy_id=buy.pk, donor=actor).aggregate(total=Sum("quantity"))["total"] or 0
        if given + qty > limit:
            raise errors.over_donation_limit(limit=limit, given=given)
        items_apply_deltas(deltas={item.pk: qty})
        buys_touch(buy_id=buy.pk)  # the page shows the stock taken
        donation = Donation.objects.create(
            buy=buy, item=item, quantity=qty, amount=money(item.unit_price * qty), donor=actor, recipient=recipient
        )
    return donation


def donation_withdraw(*, actor: User, donation: Donation) -> None:
    """The donor withdraws, or the buy's leader removes, a donation while the buy takes sign-ups (the rule and
    lock of `donation_add`, so never after the close): the row is deleted and its portions go back to the item's
    stock. A donation already marked paid is refused (`donation_paid`): there is no refund path for donations,
    so its money is returned by hand and the leader keeps it as a gift."""
    buy = donation.buy
    if membership_for(actor, buy.community_id) is None:
        raise errors.forbidden()
    if donation.donor_id != actor.pk:
        require_buy_leader(actor, buy)
    with transaction.atomic():
        buy_lock_taking_signups(buy_id=buy.pk, now=timezone.now())
        row = (
            Donation.objects.select_for_update()
            .filter(pk=donation.pk)
            .values_list("item_id", "quantity", "state")
            .first()
        )
        if row is None:
            raise errors.donation_withdrawn()
        item_id, qty, state = row
        if state != DonationState.PLEDGED:
            raise errors.donation_paid()
        Donation.objects.filter(pk=donation.pk).delete()
        items_apply_deltas(deltas={item_id: -qty})
        buys_touch(buy_id=buy.pk)


def donation_assign(*, actor: User, donation: Donation, recipient_id: Any) -> Donation:
    buy = donation.buy
    membership = require(actor, Action.VIEW, buy.community_id)
    if not (is_buy_leader(actor, buy) or membership.is_committee):
        raise errors.forbidden()
    recipient = _check_recipient(buy, recipient_id)
    if recipient is None:
        raise errors.recipient_required(field="recipient")
    Donation.objects.filter(pk=donation.pk).exclude(state=DonationState.DELIVERED).update(recipient=recipient)
    donation.refresh_from_db()
    return donation


def donation_mark_paid(*, actor: User, donation: Donation) -> Donation:
    require_payment_staff(actor, donation.buy)
    Donation.objects.filter(pk=donation.pk, state=DonationState.PLEDGED).update(state=DonationState.PAID)
    donation.refresh_from_db()
    return donation
