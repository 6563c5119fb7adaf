"""Distribution: pickup codes, pick lists, the gate queue and progress."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, Sum, Value

from accounts.display import mask_name
from accounts.models import User, VolunteerGroup
from accounts.permissions import Action, can, is_buy_leader, membership_for
from groupbuy.models import Entry, EntryLine, EntryStatus, GroupBuy
from settlement import exceptions as errors
from settlement.models import (
    Donation,
    PickupCode,
    PickupState,
    normalize_code,
)
from settlement.selectors.buys import identity


def pickup_get(*, entry: Entry) -> PickupCode | None:
    return PickupCode.objects.filter(entry_id=entry.pk).first()


@dataclass(frozen=True)
class PickScope:
    """What of a buy's pick list one person sees (DESIGN "Who may do what to whom").
    `building_ids` None: every building; else only those. `detail_ids` None: names, care notes and donated
    portions everywhere shown; else only in those buildings (elsewhere: the room, a masked name, the items)."""

    building_ids: frozenset[int] | None
    detail_ids: frozenset[int] | None

    def shows(self, building_id: int) -> bool:
        return self.building_ids is None or building_id in self.building_ids

    def details(self, building_id: int) -> bool:
        return self.detail_ids is None or building_id in self.detail_ids


def pick_scope_get(*, user: User, buy: GroupBuy) -> PickScope:
    """Who sees which pick list rows:
    - the buy's leader and data volunteers: the whole buy with names and care notes (they run the list);
    - a building leader: their own building, in full;
    - receiving volunteers (and team leaders of other buys): every building, to hand out, but only the room,
      a masked name and the items: no care notes (独居，放门口), and no donated portions, which would tell who
      is on the committee's vulnerable list. A receiving volunteer who also leads a building sees it in full.
    PermissionRefused for anyone who may not hand out goods."""
    membership = membership_for(user, buy.community_id)
    if membership is None or not can(user, Action.HAND_OVER, buy.community_id):
        raise errors.forbidden()
    if is_buy_leader(user, buy) or membership.volunteer_group == VolunteerGroup.DATA:
        return PickScope(building_ids=None, detail_ids=None)
    led = (
        frozenset([membership.led_building_id])
        if membership.is_building_leader and membership.led_building_id
        else frozenset()
    )
    if membership.is_team_leader or membership.volunteer_group == VolunteerGroup.RECEIVING:
        return PickScope(building_ids=None, detail_ids=led)
    return PickScope(building_ids=led, detail_ids=led)


def pick_list_get(*, user: User, buy: GroupBuy, building_id: int | None = None) -> list[dict[str, Any]]:
    """Per building: households (by room) with items and quantities to hand over, notes, donations; limited
    to what `user` may see (pick_scope_get). Asking for a building outside the scope is refused."""
    scope = pick_scope_get(user=user, buy=buy)
    if building_id and not scope.shows(building_id):
        raise errors.not_your_building()
    entries = (
        Entry.objects.filter(buy_id=buy.pk, status=EntryStatus.ACTIVE)
        .select_related("household__building", "pickup", "placed_for")
        .prefetch_related(Prefetch("lines", queryset=EntryLine.objects.select_related("item__offer").order_by("pk")))
        .order_by("household__building__sort_key", "household__building__label", "household__room", "seq")
    )
    donations = Donation.objects.filter(buy_id=buy.pk, recipient__isnull=False).select_related(
        "recipient__building", "item__offer"
    )
    if building_id:
        entries = entries.filter(household__building_id=building_id)
        donations = donations.filter(recipient__building_id=building_id)
    if scope.building_ids is not None:
        entries = entries.filter(household__building_id__in=scope.building_ids)
    if scope.detail_ids is not None:
        donations = donations.filter(recipient__building_id__in=scope.detail_ids)
    buildings: dict[int, dict[str, Any]] = {}

    def bucket(building) -> dict[str, Any]:
        if building.pk not in buildings:
            buildings[building.pk] = {
                "building": building,
                "households": [],
                "donations": [],
                "handed": 0,
                "total": 0,
                "totals": defaultdict(int),
            }
        return buildings[building.pk]

    for entry in entries:
        group = bucket(entry.household.building)
        pickup = getattr(entry, "pickup", None) if hasattr(entry, "pickup") else None
        lines = [
            {"line": line, "title": line.item.offer.title, "unit": line.item.offer.unit, "quantity": _to_hand(line)}
            for line in entry.lines.all()
        ]
        for line in lines:
            group["totals"][line["title"]] += line["quantity"]
        detail = scope.details(entry.household.building_id)
        group["households"].append(
            {
                "entry": entry,
                "lines": lines,
                "pickup": pickup,
                "name": entry.display_name if detail else mask_name(entry.display_name),
                "note": entry.note if detail else "",
            }
        )
        group["total"] += 1
        if pickup is not None and pickup.state != PickupState.ISSUED:
            group["handed"] += 1
    for donation in donations:
        if donation.recipient is None:  # excluded by the query; narrows the type
            continue
        group = bucket(donation.recipient.building)
        group["donations"].append(donation)
        group["totals"][donation.item.offer.title] += donation.quantity
    result = sorted(buildings.values(), key=lambda g: (g["building"].sort_key, g["building"].label))
    for group in result:
        group["totals"] = sorted(group["totals"].items())
    return result


def _to_hand(line: EntryLine) -> int:
    return line.allocated if line.allocated is not None else line.quantity


def gate_queue_list(*, buy: GroupBuy):
    """Pickup in turn at the gate: live entries in 接龙 order with their hand-over state."""
    return (
        Entry.objects.filter(buy_id=buy.pk, status=EntryStatus.ACTIVE)
        .select_related("household__building", "pickup")
        .prefetch_related(Prefetch("lines", queryset=EntryLine.objects.select_related("item__offer").order_by("pk")))
        .order_by("seq")
    )


def distribution_progress_list(*, buy: GroupBuy) -> list[dict[str, Any]]:
    """Per building: households handed over / total."""
    rows: dict[int, dict[str, Any]] = {}
    qs = (
        Entry.objects.filter(buy_id=buy.pk, status=EntryStatus.ACTIVE)
        .values("household__building_id", "household__building__label", "household__building__sort_key")
        .annotate(
            total=Sum(Value(1)),
            handed=Sum(
                Value(1),
                filter=Q(pickup__state__in=[PickupState.HANDED_OVER, PickupState.PARTIAL]),
            ),
        )
        .order_by("household__building__sort_key", "household__building__label")
    )
    for row in qs:
        rows[row["household__building_id"]] = {
            "building_id": row["household__building_id"],
            "building": row["household__building__label"],
            "total": row["total"] or 0,
            "handed": row["handed"] or 0,
        }
    return list(rows.values())


def ordered_per_item_get(*, buy: GroupBuy) -> dict[int, int]:
    return dict(
        EntryLine.objects.filter(entry__buy_id=buy.pk, entry__status=EntryStatus.ACTIVE)
        .values("item_id")
        .annotate(total=Sum("quantity"))
        .values_list("item_id", "total")
    )


def pickup_preview_get(*, buy: GroupBuy, code: str) -> dict[str, Any] | None:
    """What the typed/scanned code would hand over (same buy only), for the volunteer to check."""
    pickup = (
        PickupCode.objects.filter(code=normalize_code(code), buy_id=buy.pk)
        .select_related("entry__household__building")
        .first()
    )
    if pickup is None:
        return None
    lines = [
        {"line": line, "title": line.item.offer.title, "unit": line.item.offer.unit, "quantity": _to_hand(line)}
        for line in EntryLine.objects.filter(entry_id=pickup.entry_id).select_related("item__offer").order_by("pk")
    ]
    return {"pickup": pickup, "identity": identity(pickup.entry), "lines": lines}
