"""Pickup codes and hand-over (核销): each household's code is used once only."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.permissions import Action, require
from config import ratelimit
from config.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from groupbuy.models import BuyStatus, Entry, EntryLine, EntryStatus, GroupBuy
from groupbuy.services.transitions import buy_transition
from groupbuy.settlement.models import Donation, DonationState, HandoverLine, PickupCode, PickupState
from groupbuy.settlement.services.common import parse_quantity, require_after_close, require_buy_leader
from groupbuy.settlement.services.notify import notify_entry

# No 0/O, 1/I/L: codes are read aloud and typed on old phones.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
HANDOVER_STATES = (BuyStatus.RELEASED, BuyStatus.DISTRIBUTING)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str:
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())


def pickup_codes_issue(*, actor: User, buy: GroupBuy) -> int:
    """Give every live entry a pickup code (idempotent) and start distribution once goods are released."""
    require_buy_leader(actor, buy)
    require_after_close(buy)
    created = 0
    entries = list(
        Entry.objects.filter(buy_id=buy.pk, status=EntryStatus.ACTIVE, pickup__isnull=True)
        .select_related("buy")
        .order_by("pk")
    )
    with transaction.atomic():
        for entry in entries:
            for _attempt in range(5):
                try:
                    with transaction.atomic():
                        pickup = PickupCode.objects.create(entry=entry, buy=buy, code=new_code())
                    break
                except IntegrityError:
                    if PickupCode.objects.filter(entry_id=entry.pk).exists():
                        pickup = None
                        break
            else:  # pragma: no cover - five collisions in a 31^8 space
                raise Conflict(code="code_collision")
            if pickup is not None:
                created += 1
                notify_entry(
                    entry=entry, kind="pickup_ready", dedupe_key=f"pickup:{pickup.pk}", params={"code": pickup.code}
                )
        buy_transition(buy_id=buy.pk, from_states=[BuyStatus.RELEASED], to_state=BuyStatus.DISTRIBUTING)
    return created


def _require_hand_over(actor: User, entry: Entry) -> None:
    membership = require(actor, Action.HAND_OVER, entry.buy.community_id)
    only_building = membership.is_building_leader and not membership.is_team_leader and not membership.volunteer_group
    if only_building and entry.household.building_id != membership.led_building_id:
        raise PermissionRefused(_("This household is not in your building."), code="not_your_building")


def pickup_hand_over(
    *, actor: User, buy: GroupBuy, code: str, handed: dict[Any, Any] | None = None, note: str = ""
) -> PickupCode:
    """Mark the goods of the code's entry handed over, once only. `handed` ({line_id: units}) records
    a partial hand-over; lines left out are handed over in full."""
    require(actor, Action.HAND_OVER, buy.community_id)
    ratelimit.check("pickup_code", str(actor.pk), limit=120, window=60)
    value = normalize_code(code)
    pickup = PickupCode.objects.select_related("entry__buy", "entry__household").filter(code=value).first()
    if pickup is None:
        raise NotFound(_("No such pickup code."), code="pickup_code_unknown")
    if pickup.buy_id != buy.pk:
        raise Conflict(_("This pickup code belongs to another buy."), code="pickup_code_wrong_buy")
    entry = pickup.entry
    _require_hand_over(actor, entry)
    if buy.status not in HANDOVER_STATES:
        raise Conflict(_("The goods have not been released for distribution yet."), code="not_released")
    if entry.status != EntryStatus.ACTIVE:
        raise Conflict(_("This sign-up is no longer active."), code="entry_not_active")
    lines = list(EntryLine.objects.filter(entry_id=entry.pk).order_by("pk"))
    by_id = {line.pk: line for line in lines}
    amounts = {line.pk: (line.allocated if line.allocated is not None else line.quantity) for line in lines}
    expected = dict(amounts)
    for raw_id, raw_qty in (handed or {}).items():
        try:
            line_id = int(raw_id)
        except (TypeError, ValueError):
            line_id = 0
        if line_id not in by_id:
            raise ValidationFailed(_("That item is not in this sign-up."), code="unknown_item")
        qty = parse_quantity(raw_qty, field=f"line_{line_id}")
        if qty > expected[line_id]:
            raise ValidationFailed(_("More than this household gets."), code="invalid_quantity")
        amounts[line_id] = qty
    partial = any(amounts[pk] < expected[pk] for pk in expected)
    with transaction.atomic():
        changed = PickupCode.objects.filter(pk=pickup.pk, state=PickupState.ISSUED).update(
            state=PickupState.PARTIAL if partial else PickupState.HANDED_OVER,
            handed_over_by=actor,
            handed_over_at=timezone.now(),
            note=(note or "")[:200],
        )
        if not changed:
            raise Conflict(_("This pickup code was already used."), code="pickup_code_used")
        HandoverLine.objects.bulk_create(
            [HandoverLine(pickup=pickup, line_id=pk, expected=expected[pk], handed=amounts[pk]) for pk in expected]
        )
    # Checked after our own commit, so of two last hand-overs racing, the later one sees both.
    buy_complete_if_handed_out(buy_id=buy.pk)
    pickup.refresh_from_db()
    return pickup


def buy_complete_if_handed_out(*, buy_id: int) -> bool:
    """distributing -> completed once every live entry's goods were handed over (CAS: once only)."""
    waiting = (
        Entry.objects.filter(buy_id=buy_id, status=EntryStatus.ACTIVE)
        .exclude(pickup__state__in=[PickupState.HANDED_OVER, PickupState.PARTIAL])
        .exists()
    )
    if waiting:
        return False
    return buy_transition(
        buy_id=buy_id, from_states=[BuyStatus.DISTRIBUTING], to_state=BuyStatus.COMPLETED, ended_at=timezone.now()
    )


def donation_hand_over(*, actor: User, donation: Donation) -> Donation:
    require(actor, Action.HAND_OVER, donation.buy.community_id)
    if donation.recipient_id is None:
        raise Conflict(_("Choose the household first."), code="no_recipient")
    Donation.objects.filter(pk=donation.pk).exclude(state=DonationState.DELIVERED).update(
        state=DonationState.DELIVERED, delivered_at=timezone.now()
    )
    donation.refresh_from_db()
    return donation
