"""Distribution: pickup codes, pick lists, the gate queue and progress."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, Sum, Value

from accounts.display import mask_name
from accounts.models import User, VolunteerGroup
from accounts.permissions import Action, can, is_buy_leader, membership_for
from groupbuy.models import BuyStatus, Entry, EntryLine, EntryStatus, GroupBuy
from settlement import exceptions as errors
from settlement.models import (
    Donation,
    Handover,
    HandoverLine,
    PickupCode,
    PickupState,
    normalize_code,
)
from settlement.selectors.buys import identity
from settlement.selectors.money import payment_summary_of, with_money

# The buy states in which goods are handed out (codes checked, pick-ups recorded); read by the hand-out services
# and by 我的订单, which shows a pickup code from then on.
HANDOVER_STATES = (BuyStatus.RELEASED, BuyStatus.DISTRIBUTING)


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
        if pickup is not None and pickup.state == PickupState.HANDED_OVER:  # a partial pick-up has more to come
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
    """Per building: households that got all their goods / total."""
    rows: dict[int, dict[str, Any]] = {}
    qs = (
        Entry.objects.filter(buy_id=buy.pk, status=EntryStatus.ACTIVE)
        .values("household__building_id", "household__building__label", "household__building__sort_key")
        .annotate(
            total=Sum(Value(1)),
            handed=Sum(
                Value(1),
                filter=Q(pickup__state=PickupState.HANDED_OVER),  # a partial pick-up has more to come
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


# --- the hand-out table (核销): find an order, see what it gets, what went and what is still to come ----------

HANDOUT_MATCHES_MAX = 12
_ROOM = re.compile(r"^(?P<building>[0-9A-Za-z]+)\s*(?:-|#|/|栋|号楼|幢|\s)\s*(?P<room>[0-9A-Za-z]+)\s*室?$")


def handout_query_is_code(query: str) -> bool:
    """Whether what was typed or scanned reads as a pickup code (8 letters and digits with a letter) rather than a
    接龙 number, a room or a phone's last digits (digits, or building-room)."""
    value = normalize_code(unicodedata.normalize("NFKC", query or ""))
    return len(value) == 8 and not value.isdigit()


def handout_find(*, user: User, buy: GroupBuy, query: str) -> list[Entry]:
    """Live entries of `buy` matching what the volunteer typed, by 接龙 order, at most HANDOUT_MATCHES_MAX:
    - digits: the 接龙 number (`#12` or `12`), a room alone (`301`, any building) and, for four digits, the last
      four digits of a phone of the household (whoever signed up, the member it is for, any member);
    - building and room: `12-301`, `12#301`, `12栋301`.
    Only this buy's entries, and only those `user` may see on the pick list (pick_scope_get: a building leader
    finds their own building). Nothing typed that reads as neither: no match."""
    scope = pick_scope_get(user=user, buy=buy)
    text = unicodedata.normalize("NFKC", query or "").strip().lstrip("#").strip()
    if text.isdigit():
        found = Q(seq=int(text)) | Q(household__room=text)
        if len(text) == 4:
            found |= (
                Q(placed_by__phone__endswith=text)
                | Q(placed_for__phone__endswith=text)
                | Q(household__members__phone__endswith=text)
                | Q(household__members__user__phone__endswith=text)
            )
    elif match := _ROOM.match(text):
        found = Q(household__building__label__iexact=match["building"], household__room__iexact=match["room"])
    else:
        return []
    entries = Entry.objects.filter(buy_id=buy.pk, status=EntryStatus.ACTIVE).filter(found)
    if scope.building_ids is not None:
        entries = entries.filter(household__building_id__in=scope.building_ids)
    ids = list(entries.values_list("pk", flat=True).distinct()[: HANDOUT_MATCHES_MAX * 4])
    return list(
        Entry.objects.filter(pk__in=ids)
        .select_related("household__building", "pickup")
        .order_by("seq")[:HANDOUT_MATCHES_MAX]
    )


def handout_lines_get(*, entry_id: int, pickup_id: int | None) -> list[dict[str, Any]]:
    """Per line of an entry, in order: what it gets (`gets`: the allocation once made, else the quantity), what
    earlier hand-overs of its pickup code gave (`given`) and what is still to come (`to_come`). The one place the
    rest is counted: the hand-over service reads it under the code's row lock."""
    given: dict[int, int] = {}
    if pickup_id is not None:
        given = dict(
            HandoverLine.objects.filter(pickup_id=pickup_id)
            .values("line_id")
            .annotate(total=Sum("handed"))
            .values_list("line_id", "total")
        )
    rows = []
    for line in EntryLine.objects.filter(entry_id=entry_id).select_related("item__offer").order_by("pk"):
        gets = _to_hand(line)
        done = given.get(line.pk, 0)
        rows.append(
            {
                "line": line,
                "title": line.item.offer.title,
                "unit": line.item.offer.unit,
                "gets": gets,
                "given": done,
                "to_come": max(gets - done, 0),
            }
        )
    return rows


def handout_records_list(*, pickup_id: int) -> list[Handover]:
    """The hand-overs of one pickup code, oldest first, with who handed out and what went (`lines`)."""
    return list(
        Handover.objects.filter(pickup_id=pickup_id)
        .select_related("by")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=HandoverLine.objects.filter(handed__gt=0).select_related("line__item__offer").order_by("pk"),
            )
        )
        .order_by("at", "pk")
    )


def handout_order_get(*, user: User, buy: GroupBuy, entry_id: int) -> dict[str, Any] | None:
    """One order at the hand-out table: the household (named as the pick list would name it for `user`), its
    接龙 number, paid or not and what is owed (payment_summary_of, the one money selector), each line's rest,
    and the record of earlier hand-overs. None when the order is not this buy's or not `user`'s to see."""
    scope = pick_scope_get(user=user, buy=buy)
    entry = (
        with_money(Entry.objects.filter(pk=entry_id, buy_id=buy.pk))
        .select_related("household__building", "pickup__handed_over_by")
        .first()
    )
    if entry is None or not scope.shows(entry.household.building_id):
        return None
    pickup = getattr(entry, "pickup", None) if hasattr(entry, "pickup") else None
    lines = handout_lines_get(entry_id=entry.pk, pickup_id=pickup.pk if pickup else None)
    detail = scope.details(entry.household.building_id)
    return {
        "entry": entry,
        "pickup": pickup,
        "identity": identity(entry),
        "name": entry.display_name if detail else mask_name(entry.display_name),
        "note": entry.note if detail else "",
        "pay": payment_summary_of(entry),
        "lines": lines,
        "to_come": sum(row["to_come"] for row in lines),
        "records": handout_records_list(pickup_id=pickup.pk) if pickup else [],
    }
