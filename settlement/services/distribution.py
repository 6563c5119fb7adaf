"""Pickup codes and hand-over (核销): each household's code is used once only."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.permissions import Action, require
from core import ratelimit
from groupbuy.models import BuyStatus, Entry, EntryStatus, GroupBuy
from groupbuy.services.transitions import buy_transition
from settlement import exceptions as errors
from settlement.models import (
    Donation,
    DonationState,
    Handover,
    HandoverLine,
    PickupCode,
    PickupState,
    normalize_code,
)
from settlement.permissions import require_buy_leader
from settlement.selectors.distribution import HANDOVER_STATES, handout_lines_get
from settlement.selectors.orders import Tab
from settlement.services.common import parse_quantity, require_after_close
from settlement.services.notify import buy_card_link, notify_entries_each

# No 0/O, 1/I/L: codes are read aloud and typed on old phones.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def pickup_codes_issue(*, actor: User, buy: GroupBuy) -> int:
    """Give every live entry a pickup code (idempotent) and start distribution once goods are released.

    Codes may be issued as soon as the list is frozen (to print labels), but they are announced only when the
    goods are released for distribution (`pickup_ready_notify`): codes issued after that are announced here."""
    require_buy_leader(actor, buy)
    require_after_close(buy)
    created = 0
    with transaction.atomic():
        # The buy row lock orders this with the release, whose status UPDATE takes the same lock: whichever
        # commits second sees the other's work, so no code slips between them unannounced.
        status = GroupBuy.objects.select_for_update().values_list("status", flat=True).get(pk=buy.pk)
        entries = list(
            Entry.objects.filter(buy_id=buy.pk, status=EntryStatus.ACTIVE, pickup__isnull=True)
            .select_related("buy")
            .order_by("pk")
        )
        for entry in entries:
            for _attempt in range(5):
                try:
                    with transaction.atomic():
                        PickupCode.objects.create(entry=entry, buy=buy, code=new_code())
                    created += 1
                    break
                except IntegrityError:
                    if PickupCode.objects.filter(entry_id=entry.pk).exists():
                        break
            else:  # pragma: no cover - five collisions in a 31^8 space
                raise errors.code_collision()
        buy_transition(buy_id=buy.pk, from_states=[BuyStatus.RELEASED], to_state=BuyStatus.DISTRIBUTING)
        if status in HANDOVER_STATES:
            pickup_ready_notify(buy_id=buy.pk)
    return created


def pickup_ready_notify(*, buy_id: int) -> int:
    """Tell each household holding a pickup code that its goods are ready, with the code. Does nothing before
    the goods are released for distribution; after that, once per household and buy however often it runs (the
    key names both). Called by the release (the one way into `released`, whatever the distribution mode) and
    by `pickup_codes_issue` for codes issued later. Returns the number of (person, notice) pairs addressed."""
    buy = GroupBuy.objects.only("title", "community_id", "status").get(pk=buy_id)
    if buy.status not in HANDOVER_STATES:
        return 0
    pickups = list(
        PickupCode.objects.filter(buy_id=buy_id, entry__status=EntryStatus.ACTIVE)
        .select_related("entry")
        .order_by("pk")
    )
    return notify_entries_each(
        buy=buy,
        kind="pickup_ready",
        notices=[(p.entry, f"buy:{buy_id}:pickup_ready:{p.entry.household_id}", {"code": p.code}) for p in pickups],
        link=buy_card_link(buy_id=buy_id, tab=Tab.RECEIVE),
    )


def _require_hand_over(actor: User, entry: Entry) -> None:
    membership = require(actor, Action.HAND_OVER, entry.buy.community_id)
    only_building = membership.is_building_leader and not membership.is_team_leader and not membership.volunteer_group
    if only_building and entry.household.building_id != membership.led_building_id:
        raise errors.not_your_building()


def pickup_code_resolve(*, actor: User, buy: GroupBuy, code: str) -> PickupCode:
    """The pickup code `actor` may hand out for `buy`: the look-up before a hand-over and the hand-over itself
    check the same rules and share one rate limit (a building leader never learns who holds another building's
    code)."""
    require(actor, Action.HAND_OVER, buy.community_id)
    ratelimit.check("pickup_code", str(actor.pk), limit=120, window=60)
    value = normalize_code(code)
    pickup = PickupCode.objects.select_related("entry__buy", "entry__household").filter(code=value).first()
    if pickup is None:
        raise errors.pickup_code_unknown()
    if pickup.buy_id != buy.pk:
        raise errors.pickup_code_wrong_buy()
    _require_hand_over(actor, pickup.entry)
    return pickup


def pickup_entry_resolve(*, actor: User, buy: GroupBuy, entry_id: int) -> PickupCode:
    """The pickup code of the live entry `entry_id` of `buy`, found by its 接龙 number, room or phone (not by its
    code), if `actor` may hand it out: the same rules as `pickup_code_resolve`. An entry of another buy, or one
    outside a building leader's building, is not found (handout_no_match), as the search would not show it."""
    require(actor, Action.HAND_OVER, buy.community_id)
    entry = (
        Entry.objects.select_related("buy", "household")
        .filter(pk=entry_id, buy_id=buy.pk, status=EntryStatus.ACTIVE)
        .first()
    )
    if entry is None:
        raise errors.handout_no_match()
    _require_hand_over(actor, entry)
    pickup = PickupCode.objects.select_related("entry__buy", "entry__household").filter(entry_id=entry.pk).first()
    if pickup is None:
        raise errors.pickup_not_issued()
    return pickup


def pickup_hand_over(
    *,
    actor: User,
    buy: GroupBuy,
    code: str = "",
    entry_id: int | None = None,
    handed: dict[Any, Any] | None = None,
    note: str = "",
) -> PickupCode:
    """Hand out the goods of one household, found by its pickup `code` or (from the hand-out search) its
    `entry_id`: one Handover with a line per line still to come. `handed` ({line_id: units}) hands out part of a
    line; lines left out go in full. What stays is handed out by a later call (a second record); the code is
    `handed_over` once nothing is left, `partial` until then. More than is still to come is refused
    (over_entitled), a hand-over of nothing too (nothing_handed), and once all went, pickup_code_used."""
    if entry_id is not None:
        pickup = pickup_entry_resolve(actor=actor, buy=buy, entry_id=entry_id)
    else:
        pickup = pickup_code_resolve(actor=actor, buy=buy, code=code)
    entry = pickup.entry
    if buy.status not in HANDOVER_STATES:
        raise errors.not_released()
    if entry.status != EntryStatus.ACTIVE:
        raise errors.entry_not_active()
    with transaction.atomic():
        # The code's row lock orders two volunteers handing out the same household: the second reads what the
        # first recorded, so together they never hand out more than the household gets.
        state = PickupCode.objects.select_for_update().values_list("state", flat=True).get(pk=pickup.pk)
        if state == PickupState.HANDED_OVER:
            raise errors.pickup_code_used()
        outstanding = {
            row["line"].pk: row["to_come"] for row in handout_lines_get(entry_id=entry.pk, pickup_id=pickup.pk)
        }
        amounts = dict(outstanding)
        for raw_id, raw_qty in (handed or {}).items():
            try:
                line_id = int(raw_id)
            except (TypeError, ValueError):
                line_id = 0
            if line_id not in outstanding:
                raise errors.item_not_in_entry()
            qty = parse_quantity(raw_qty, field=f"line_{line_id}")
            if qty > outstanding[line_id]:
                raise errors.over_entitled(field=f"line_{line_id}", still_to_come=outstanding[line_id])
            amounts[line_id] = qty
        if not any(amounts.values()):
            raise errors.nothing_handed()
        complete = all(amounts[pk] == outstanding[pk] for pk in outstanding)
        now = timezone.now()
        visit = Handover.objects.create(pickup=pickup, by=actor, at=now, note=(note or "")[:200])
        HandoverLine.objects.bulk_create(
            [
                HandoverLine(pickup=pickup, handover=visit, line_id=pk, expected=outstanding[pk], handed=amounts[pk])
                for pk in outstanding
                if outstanding[pk] > 0
            ]
        )
        PickupCode.objects.filter(pk=pickup.pk).update(
            state=PickupState.HANDED_OVER if complete else PickupState.PARTIAL,
            handed_over_by=actor,
            handed_over_at=now,
            note=(note or "")[:200],
        )
    # Checked after our own commit, so of two last hand-overs racing, the later one sees both.
    buy_complete_if_handed_out(buy_id=buy.pk)
    pickup.refresh_from_db()
    return pickup


def buy_complete_if_handed_out(*, buy_id: int) -> bool:
    """distributing -> completed once every live entry's goods were all handed over (CAS: once only). A household
    that took part of its goods (`partial`) is still to come."""
    waiting = (
        Entry.objects.filter(buy_id=buy_id, status=EntryStatus.ACTIVE)
        .exclude(pickup__state=PickupState.HANDED_OVER)
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
        raise errors.no_recipient()
    Donation.objects.filter(pk=donation.pk).exclude(state=DonationState.DELIVERED).update(
        state=DonationState.DELIVERED, delivered_at=timezone.now()
    )
    donation.refresh_from_db()
    return donation
