"""Sign-ups (接龙): the public list (names masked), the contacts list (leader and data volunteers only), one
entry, and a user's own entries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q

from accounts.display import public_identity
from accounts.models import Membership, User, VolunteerGroup
from accounts.permissions import Action, allowed_actions, is_buy_leader, membership_for
from groupbuy import exceptions as err
from groupbuy.models import (
    BuyItem,
    Entry,
    EntryLine,
    EntryStatus,
    GroupBuy,
)
from groupbuy.selectors.communities import lookup_id, require_member


@dataclass(slots=True)
class ListHousehold:
    """The household of a public list row: what callers read of `row.entry.household`."""

    pk: int
    building_id: int
    label: str


@dataclass(slots=True)
class ListEntry:
    """What a public list row tells of its entry (no model instance: the page reads 500 of them)."""

    pk: int
    seq: int
    household_id: int
    units: int
    household: ListHousehold


@dataclass(slots=True)
class ListRow:
    """One line of the 接龙 list. Public rows are built from plain values (`entry` is a ListEntry);
    rows with contacts carry the Entry model (`entry.note`, `entry.amount`, `entry.placed_by`...)."""

    entry: Entry | ListEntry
    seq: int
    identity: str
    lines: list[tuple[BuyItem, int]] = field(default_factory=list)
    contact_name: str = ""
    contact_phone: str = ""
    placed_by_name: str = ""
    is_proxy: bool = False

    @property
    def quantities(self) -> dict[int, int]:
        return {item.pk: q for item, q in self.lines}


def _entries(buy: GroupBuy) -> list[Entry]:
    """Live entries as models, with who placed them and for whom (the list with contacts)."""
    return list(
        Entry.objects.filter(buy_id=buy.pk, status=EntryStatus.ACTIVE)
        .select_related("household__building", "placed_by", "placed_for")
        .order_by("seq")
    )


def _public_entries(buy: GroupBuy) -> list[tuple[int, int, int, int, str, str, str, int]]:
    """Live entries as plain tuples (pk, seq, household, building, building label, room, name, units):
    building ~2,000 model instances for a 500-line list was half the buy page's time."""
    return list(
        Entry.objects.filter(buy_id=buy.pk, status=EntryStatus.ACTIVE)
        .order_by("seq")
        .values_list(
            "pk",
            "seq",
            "household_id",
            "household__building_id",
            "household__building__label",
            "household__room",
            "display_name",
            "units",
        )
    )


def _lines_by_entry(buy: GroupBuy) -> dict[int, list[tuple[int, int]]]:
    by_entry: dict[int, list[tuple[int, int]]] = defaultdict(list)
    rows = (
        EntryLine.objects.filter(entry__buy_id=buy.pk, entry__status=EntryStatus.ACTIVE)
        .order_by("item__position", "item_id")
        .values_list("entry_id", "item_id", "quantity")
    )
    for entry_id, item_id, quantity in rows:
        by_entry[entry_id].append((item_id, quantity))
    return by_entry


def signup_list(*, buy: GroupBuy, contacts: bool = False) -> list[ListRow]:
    """The live 接龙 list in signing order (two queries for any length; one for a one-item buy).

    Public rows show `#seq building-room 王**` and quantities; with `contacts=True` (only after
    `require_contacts`) they also carry the contact person and phone."""
    items = {item.pk: item for item in getattr(buy, "item_list", None) or buy.items.all()}
    if contacts:
        return _contact_rows(buy, items)
    entries = _public_entries(buy)
    if len(items) == 1:
        # One item (the usual buy): an entry's units are its quantity of that item, no need to read lines.
        (only,) = items.values()

        def quantities(pk: int, units: int) -> list[tuple[BuyItem, int]]:
            return [(only, units)]

    else:
        lines = _lines_by_entry(buy)

        def quantities(pk: int, units: int) -> list[tuple[BuyItem, int]]:
            return [(items[item_id], q) for item_id, q in lines.get(pk, ()) if item_id in items]

    rows = []
    for pk, seq, household_id, building_id, building, room, name, units in entries:
        label = f"{building}-{room}"
        rows.append(
            ListRow(
                ListEntry(pk, seq, household_id, units, ListHousehold(household_id, building_id, label)),
                seq,
                public_identity(label, name),
                quantities(pk, units),
            )
        )
    return rows


def _contact_rows(buy: GroupBuy, items: dict[int, BuyItem]) -> list[ListRow]:
    """The list with contacts (leader, data volunteers, exports): on models, it is read far less often."""
    entries = _entries(buy)
    if len(items) == 1:
        (only,) = items
        lines = {e.pk: [(only, e.units)] for e in entries}
    else:
        lines = _lines_by_entry(buy)
    placer_households = _placer_households(buy, entries)
    rows = []
    for entry in entries:
        row = ListRow(
            entry=entry,
            seq=entry.seq,
            identity=public_identity(entry.household.label, entry.display_name),
            lines=[(items[item_id], q) for item_id, q in lines.get(entry.pk, []) if item_id in items],
        )
        row.is_proxy = placer_households.get(entry.placed_by_id) != entry.household_id
        if entry.placed_for is not None:
            row.contact_name, row.contact_phone = entry.placed_for.name, entry.placed_for.phone
        else:
            row.contact_name = entry.display_name or entry.placed_by.display_name
            row.contact_phone = entry.placed_by.phone
        row.placed_by_name = entry.placed_by.display_name or entry.placed_by.username
        rows.append(row)
    return rows


def _placer_households(buy: GroupBuy, entries: list[Entry]) -> dict[int, int | None]:
    """Who placed each entry -> their own household here (one query), to flag proxy entries."""
    placers = {e.placed_by_id for e in entries}
    return dict(
        Membership.objects.filter(community_id=buy.community_id, user_id__in=placers).values_list(
            "user_id", "household_id"
        )
    )


def may_see_contacts(*, user: User, buy: GroupBuy) -> bool:
    """The buy's own leader, or a data volunteer of its community (they reconcile lists and payments).
    Other team leaders hold VIEW_CONTACTS for their own buys only."""
    if Action.VIEW_CONTACTS not in allowed_actions(user, buy.community_id):
        return False
    if is_buy_leader(user, buy):
        return True
    membership = membership_for(user, buy.community_id)
    return membership is not None and membership.volunteer_group == VolunteerGroup.DATA


def require_contacts(*, user: User, buy: GroupBuy) -> None:
    """Refuse (coded) anyone who may not see the full list with contacts."""
    require_member(user=user, community_id=buy.community_id)
    if may_see_contacts(user=user, buy=buy):
        return
    if Action.OPEN_BUY in allowed_actions(user, buy.community_id):
        raise err.not_your_buy()
    raise err.forbidden()


def entry_get_live(
    *, buy: GroupBuy, household_id: int | None, rows: list[ListRow] | None = None
) -> Entry | ListEntry | None:
    """The household's live entry in the buy (from an already loaded list when given)."""
    if household_id is None:
        return None
    if rows is not None:
        return next((r.entry for r in rows if r.entry.household_id == household_id), None)
    return Entry.objects.filter(buy_id=buy.pk, household_id=household_id, status=EntryStatus.ACTIVE).first()


def entry_get(*, buy: GroupBuy, entry_id: Any) -> Entry:
    """An entry of this buy (the service decides whether the user may change it)."""
    entry = Entry.objects.select_related("buy", "household__building").filter(pk=lookup_id(entry_id), buy=buy).first()
    if entry is None:
        raise err.not_found()
    return entry


def entry_get_any(*, user: User, entry_id: Any) -> Entry:
    """An entry by id, visible to members of its buy's community."""
    entry = Entry.objects.select_related("buy", "household__building").filter(pk=lookup_id(entry_id)).first()
    if entry is None:
        raise err.not_found()
    require_member(user=user, community_id=entry.buy.community_id)
    return entry


def entry_list_mine(*, user: User, limit: int = 100) -> list[Entry]:
    """Entries of the user's households, and those the user placed for others, newest first (3 queries)."""
    household_ids = list(
        Membership.objects.filter(user=user, is_active=True, household__isnull=False).values_list(
            "household_id", flat=True
        )
    )
    entries = list(
        Entry.objects.filter(Q(household_id__in=household_ids) | Q(placed_by=user))
        .select_related("buy", "household__building")
        .prefetch_related(Prefetch("lines", queryset=EntryLine.objects.select_related("item__offer")))
        .order_by("-created_at", "-id")[:limit]
    )
    for entry in entries:
        entry.is_proxy = entry.household_id not in household_ids
        entry.identity = public_identity(entry.household.label, entry.display_name)
    return entries


def entry_lines_get(*, entry_id: int) -> dict[int, tuple[int, int]]:
    """{item id: (quantity, extra units to fill a pack)} of an entry's lines (one query): what the household saved,
    shown again in its change form."""
    return {
        item_id: (quantity, tolerance)
        for item_id, quantity, tolerance in EntryLine.objects.filter(entry_id=entry_id).values_list(
            "item_id", "quantity", "tolerance"
        )
    }
