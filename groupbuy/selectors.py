"""Reads for group buys: who may see what, and the queries behind the pages and the API.

Selectors own select_related/prefetch and the visibility rules; views and API
views only call them. Public lists never carry phone numbers: names are masked
with accounts.display.public_identity. Contacts are only given to the buy's
leader and to data volunteers (资料统计组) of the buy's community.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from accounts.display import public_identity
from accounts.models import Household, HouseholdMember, Membership, User, VolunteerGroup
from accounts.permissions import Action, allowed_actions, is_buy_leader, membership_for
from accounts.selectors import memberships_of
from groupbuy import exceptions as err
from groupbuy.models import (
    SIGNUP_STATES,
    BuyItem,
    BuyKind,
    BuyStatus,
    Entry,
    EntryLine,
    EntryStatus,
    GroupBuy,
    MoqKind,
    Offer,
    OfferPhoto,
    PhotoStatus,
    PurchaseOrder,
    Supplier,
)
from groupbuy.packs import allocate_packs
from groupbuy.pool_selectors import active_pool_id_subquery

# Buys residents see on the "open buys" list: still taking sign-ups or on their way to them.
LISTED_STATES = (*SIGNUP_STATES, BuyStatus.CLOSED, BuyStatus.ORDERED)
MAX_LIST_BUYS = 100


# --- communities ---------------------------------------------------------------------------------------------


def current_membership(
    *, user: User, community_id: Any = None, memberships: list[Membership] | None = None
) -> Membership | None:
    """The membership a page works in: the one asked for (`?community=`), else the user's first.
    Primes the permission cache so later `can()` calls in the request cost no query."""
    if memberships is None:
        memberships = memberships_of(user=user)
    chosen = None
    wanted = _as_id(community_id)
    if wanted is not None:
        chosen = next((m for m in memberships if m.community_id == wanted), None)
        if chosen is None:
            raise err.wrong_community()
    elif memberships:
        chosen = memberships[0]
    cache: dict[int, Membership | None] = user.__dict__.setdefault("_membership_cache", {})
    for m in memberships:
        cache.setdefault(m.community_id, m)
    return chosen


def _as_id(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
    except ValueError as exc:
        raise err.not_found() from exc
    if number <= 0:
        raise err.not_found()
    return number


def _lookup_id(value: Any) -> int:
    """An id for a primary-key lookup: as _as_id, and an absent one (None, "") matches no row."""
    return _as_id(value) or 0


def require_member(*, user: User, community_id: int) -> Membership:
    """The user's membership in the community, or a coded refusal (wrong_community)."""
    membership = membership_for(user, community_id)
    if membership is None:
        raise err.wrong_community()
    return membership


# --- buys ----------------------------------------------------------------------------------------------------


def _first_photo_id() -> Subquery:
    return Subquery(
        OfferPhoto.objects.filter(offer_id=OuterRef("offer_id"), status=PhotoStatus.READY)
        .order_by("position", "id")
        .values("pk")[:1]
    )


def _items_queryset(*, with_supplier: bool = True) -> QuerySet[BuyItem]:
    """Items in their order with the offer's first photo; the supplier too unless asked not to (the buy
    list shows none: 100 joins and instances less)."""
    return (
        BuyItem.objects.select_related("offer__supplier" if with_supplier else "offer")
        .annotate(photo_id=_first_photo_id())
        .order_by("position", "id")
    )


def buy_list(*, user: User, community_id: int, states: tuple[str, ...] = LISTED_STATES) -> list[GroupBuy]:
    """Buys of the community the user belongs to, soonest deadline first (two queries)."""
    require_member(user=user, community_id=community_id)
    buys = list(
        GroupBuy.objects.filter(community_id=community_id, status__in=list(states))
        .prefetch_related(Prefetch("items", queryset=_items_queryset(with_supplier=False)))
        .order_by("deadline", "id")[:MAX_LIST_BUYS]
    )
    for buy in buys:
        decorate(buy)
    return buys


def buys_led_by(*, user: User, community_id: int) -> QuerySet[GroupBuy]:
    return GroupBuy.objects.filter(community_id=community_id, leader=user).order_by("-created_at", "-id")[:50]


def buy_get(*, user: User, buy_id: Any, with_items: bool = True) -> GroupBuy:
    """A buy the user may see: 404 (not_found) when it does not exist, 403 (wrong_community) when it
    belongs to a community the user is not in."""
    pk = _lookup_id(buy_id)
    rows = GroupBuy.objects.select_related("community", "leader").annotate(pool_id=active_pool_id_subquery())
    if with_items:
        rows = rows.prefetch_related(Prefetch("items", queryset=_items_queryset()))
    buy = rows.filter(pk=pk).first()
    if buy is None:
        raise err.not_found()
    require_member(user=user, community_id=buy.community_id)
    if with_items:
        decorate(buy)
    return buy


def buy_for_signup(*, user: User, buy_id: Any) -> GroupBuy:
    """A buy to sign up to: its own row only (no joins, no pool subquery: the sign-up checks its state and pool
    on the row it locks). Same refusals as buy_get."""
    buy = GroupBuy.objects.filter(pk=_lookup_id(buy_id)).first()
    if buy is None:
        raise err.not_found()
    require_member(user=user, community_id=buy.community_id)
    return buy


@dataclass
class Progress:
    counts_units: bool
    current: Decimal
    moq: Decimal
    remaining: Decimal
    percent: int
    reached: bool


def progress_of(buy: GroupBuy) -> Progress:
    current = buy.moq_progress
    remaining = max(Decimal("0"), buy.moq - current)
    counts_units = buy.moq_kind == MoqKind.UNITS
    if counts_units:
        current, remaining, moq = Decimal(int(current)), Decimal(int(remaining)), Decimal(int(buy.moq))
    else:
        moq = buy.moq
    return Progress(
        counts_units=counts_units,
        current=current,
        moq=moq,
        remaining=remaining,
        percent=buy.moq_percent,
        reached=remaining == 0,
    )


# Choice labels by value (lazy, translated when shown). Model.get_FOO_display() rebuilds a dict of every choice on
# each call, translating each label to hash it: 35 µs a call, 7 ms for the 100 cards of the buy list.
_KIND_LABELS = dict(BuyKind.choices)
_STATUS_LABELS = dict(BuyStatus.choices)


def decorate(buy: GroupBuy) -> GroupBuy:
    """Attach what the pages and the API show about a buy (from its prefetched items; no queries)."""
    buy.kind_label = _KIND_LABELS.get(buy.kind, buy.kind)
    buy.status_label = _STATUS_LABELS.get(buy.status, buy.status)
    items = list(buy.items.all())
    for item in items:
        item.markup = item.unit_price - item.supplier_cost
        item.markup_percent = (
            int((item.markup * 100 / item.supplier_cost).to_integral_value()) if item.supplier_cost else None
        )
    buy.item_list = items
    buy.main_item = next((i for i in items if i.is_main), items[0] if items else None)
    # photo_id is annotated by _items_queryset (absent on items read otherwise).
    buy.photo_id = next((photo for i in items if (photo := getattr(i, "photo_id", None))), None)
    buy.progress = progress_of(buy)
    buy.signup_open = buy.is_signup_open
    buy.seconds_left = max(0, int((buy.deadline - timezone.now()).total_seconds()))
    return buy


# --- the 接龙 list ---------------------------------------------------------------------------------------------


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


def live_entry_for(
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
    entry = Entry.objects.select_related("buy", "household__building").filter(pk=_lookup_id(entry_id), buy=buy).first()
    if entry is None:
        raise err.not_found()
    return entry


def entry_get_any(*, user: User, entry_id: Any) -> Entry:
    """An entry by id, visible to members of its buy's community."""
    entry = Entry.objects.select_related("buy", "household__building").filter(pk=_lookup_id(entry_id)).first()
    if entry is None:
        raise err.not_found()
    require_member(user=user, community_id=entry.buy.community_id)
    return entry


def my_entries(*, user: User, limit: int = 100) -> list[Entry]:
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


def household_by_label(*, community_id: int, label: str) -> Household | None:
    """`12-301` -> the household of this community (proxy ordering), with its members."""
    from accounts.selectors import household_by_label as by_label

    # Typed on a phone with a Chinese IME: full-width digits and dash (１２－３０１).
    label = (label or "").translate(_FULLWIDTH).replace(" ", "")
    return by_label(community_id=community_id, label=label)


_FULLWIDTH = str.maketrans("０１２３４５６７８９－—", "0123456789--")


def household_get(*, community_id: int, household_id: Any) -> Household:
    household = (
        Household.objects.select_related("building")
        .filter(pk=_lookup_id(household_id), community_id=community_id)
        .first()
    )
    if household is None:
        raise err.not_found()
    return household


def household_member_get(*, household: Household, member_id: Any) -> HouseholdMember:
    """A person of this household (proxy ordering names whom the entry is for)."""
    member = HouseholdMember.objects.filter(pk=_lookup_id(member_id), household_id=household.pk).first()
    if member is None:
        raise err.invalid_member()
    return member


# --- purchase order ---------------------------------------------------------------------------------------------


@dataclass
class OrderLine:
    title: str
    unit: str
    quantity: int
    packs: int
    pack_size: int
    unit_cost: Decimal
    amount: Decimal
    unit_price: Decimal


@dataclass
class OrderView:
    buy: GroupBuy
    is_final: bool  # frozen at close; otherwise a live preview from the counters
    lines: list[OrderLine]
    total_cost: Decimal
    total_amount: Decimal
    supplier_names: list[str]


def purchase_order(*, buy: GroupBuy) -> OrderView:
    """Per offer: units (and whole packs) to order and what they cost, from the frozen PurchaseOrder
    once the buy is closed; before that, a preview of the order the close would build now."""
    po = (
        PurchaseOrder.objects.filter(buy_id=buy.pk)
        .prefetch_related(Prefetch("lines__item", queryset=BuyItem.objects.select_related("offer__supplier")))
        .first()
    )
    lines: list[OrderLine] = []
    suppliers: list[str] = []
    if po is not None:
        for line in sorted(po.lines.all(), key=lambda x: (x.item.position, x.item.pk)):
            offer = line.item.offer
            lines.append(
                OrderLine(
                    title=offer.title,
                    unit=offer.unit,
                    quantity=line.quantity,
                    packs=line.packs,
                    pack_size=offer.pack_size,
                    unit_cost=line.unit_cost,
                    amount=line.amount,
                    unit_price=line.item.unit_price,
                )
            )
            if offer.supplier.name not in suppliers:
                suppliers.append(offer.supplier.name)
        return OrderView(buy, True, lines, po.total_cost, po.total_amount, suppliers)
    return _purchase_order_preview(buy)


def _purchase_order_preview(buy: GroupBuy) -> OrderView:
    """What the close would order now (`entries_allocate`, `purchase_order_build`, then settlement adding
    donated portions): per item the live entries' units through the same `allocate_packs` (full packs from
    the firm units, plus one if the remainder plus the tolerances fill it), plus donations; items with
    nothing to order are left out. The allocation's total depends only on the sums of firm units and
    tolerances, so one aggregated request per item gives what the close's per-entry allocation adds up to."""
    from settlement.models import Donation

    items = getattr(buy, "item_list", None)
    if items is None:
        items = list(BuyItem.objects.filter(buy_id=buy.pk).select_related("offer__supplier").order_by("position", "id"))
    wanted = {
        item_id: (firm, tolerance)
        for item_id, firm, tolerance in EntryLine.objects.filter(entry__buy_id=buy.pk, entry__status=EntryStatus.ACTIVE)
        .values("item_id")
        .annotate(firm=Sum("quantity"), tolerance=Sum("tolerance"))
        .values_list("item_id", "firm", "tolerance")
    }
    donated = dict(
        Donation.objects.filter(buy_id=buy.pk).values("item_id").annotate(q=Sum("quantity")).values_list("item_id", "q")
    )
    lines: list[OrderLine] = []
    suppliers: list[str] = []
    total_cost = Decimal("0")
    total_amount = Decimal("0")
    for item in items:
        offer = item.offer
        size = offer.pack_size
        firm, tolerance = wanted.get(item.pk, (0, 0))
        quantity = sum(allocate_packs([(firm, tolerance)], size).allocated) + (donated.get(item.pk) or 0)
        if quantity <= 0:
            continue
        amount = item.supplier_cost * quantity
        total_cost += amount
        total_amount += item.unit_price * quantity
        lines.append(
            OrderLine(
                title=offer.title,
                unit=offer.unit,
                quantity=quantity,
                packs=-(-quantity // size) if size > 1 else 0,  # whole packs, or packs rounded up with donations
                pack_size=size,
                unit_cost=item.supplier_cost,
                amount=amount,
                unit_price=item.unit_price,
            )
        )
        if offer.supplier.name not in suppliers:
            suppliers.append(offer.supplier.name)
    return OrderView(buy, False, lines, total_cost, total_amount, suppliers)


# --- suppliers and offers ---------------------------------------------------------------------------------------


def suppliers_of(*, community_id: int) -> QuerySet[Supplier]:
    return Supplier.objects.filter(community_id=community_id).order_by("name", "id")


def supplier_get(*, user: User, supplier_id: Any) -> Supplier:
    supplier = Supplier.objects.select_related("community").filter(pk=_lookup_id(supplier_id)).first()
    if supplier is None:
        raise err.not_found()
    require_member(user=user, community_id=supplier.community_id)
    return supplier


def offers_of(*, community_id: int, supplier_id: int | None = None, active_only: bool = False) -> QuerySet[Offer]:
    offers = Offer.objects.filter(supplier__community_id=community_id).select_related("supplier")
    if supplier_id is not None:
        offers = offers.filter(supplier_id=supplier_id)
    if active_only:
        offers = offers.filter(is_active=True)
    photos = OfferPhoto.objects.order_by("position", "id")
    return offers.prefetch_related(Prefetch("photos", queryset=photos)).order_by("supplier__name", "title", "id")


def offer_get(*, user: User, offer_id: Any) -> Offer:
    offer = (
        Offer.objects.select_related("supplier__community")
        .prefetch_related(Prefetch("photos", queryset=OfferPhoto.objects.order_by("position", "id")))
        .filter(pk=_lookup_id(offer_id))
        .first()
    )
    if offer is None:
        raise err.not_found()
    require_member(user=user, community_id=offer.supplier.community_id)
    return offer


def photo_get(*, user: User, photo_id: Any) -> OfferPhoto:
    """A photo the user may see: members of the community whose supplier the offer belongs to."""
    photo = OfferPhoto.objects.select_related("offer__supplier").filter(pk=_lookup_id(photo_id)).first()
    if photo is None:
        raise err.not_found()
    require_member(user=user, community_id=photo.offer.supplier.community_id)
    return photo
