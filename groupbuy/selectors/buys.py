"""Group buys: the list, one buy (visibility checked), its progress and display labels."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from accounts.models import User
from accounts.permissions import membership_from_row, membership_sql, membership_sql_width
from core import rows
from groupbuy import exceptions as err
from groupbuy.models import (
    SIGNUP_STATES,
    BuyItem,
    BuyKind,
    BuyStatus,
    GroupBuy,
    MoqKind,
    OfferPhoto,
    PhotoStatus,
    Pool,
)
from groupbuy.models.share import ShareLink
from groupbuy.selectors.communities import lookup_id, require_member
from groupbuy.selectors.pools import active_pool_id_subquery

# Buys residents see on the "open buys" list: still taking sign-ups or on their way to them.
LISTED_STATES = (*SIGNUP_STATES, BuyStatus.CLOSED, BuyStatus.ORDERED)


MAX_LIST_BUYS = 100

# Where `buy_get_for_signup` keeps the buy's items ({id: BuyItem}) on the instance, for `lines_priced`.
ITEMS_READ = "_items_read"


def _first_photo_id() -> Subquery:
    return Subquery(
        OfferPhoto.objects.filter(offer_id=OuterRef("offer_id"), status=PhotoStatus.READY)
        .order_by("position", "id")
        .values("pk")[:1]
    )


def _live_share_token() -> Subquery:
    """The buy's live short-link token (None before its first share), so the share panel costs no query."""
    return Subquery(ShareLink.objects.filter(buy_id=OuterRef("pk"), revoked_at__isnull=True).values("token")[:1])


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
        buy_display_get(buy)
    return buys


def buy_list_versions(*, community_id: int, states: tuple[str, ...] = LISTED_STATES) -> list[tuple[int, int]]:
    """(id, version) of the buys `buy_list` shows, in its order: one indexed read, no joins. What the buy list's
    cached cards are keyed by — every write that changes a card moves its buy's version (`version_next`), and a
    buy entering or leaving the list changes the ids. Precondition: the caller checked membership."""
    qn = connection.ops.quote_name
    sql = (
        f"SELECT {qn('id')}, {qn('version')} FROM {qn(GroupBuy._meta.db_table)} "
        f"WHERE {qn('community_id')} = %s AND {qn('status')} IN ({', '.join(['%s'] * len(states))}) "
        f"ORDER BY {qn('deadline')}, {qn('id')} LIMIT %s"
    )  # plain SQL (core.rows): read on every view of the buy list, where the ORM's compiler cost more than the query
    found = rows.fetch_all(sql, [community_id, *map(str, states), MAX_LIST_BUYS])
    return [(int(pk), int(version)) for pk, version in found]


def buy_list_led_by(*, user: User, community_id: int) -> QuerySet[GroupBuy]:
    return GroupBuy.objects.filter(community_id=community_id, leader=user).order_by("-created_at", "-id")[:50]


def buy_id_list_led_by(*, user: User, buy_ids: set[int]) -> set[int]:
    """Those of `buy_ids` the user leads."""
    return set(GroupBuy.objects.filter(pk__in=buy_ids, leader=user).values_list("pk", flat=True))


def buy_get(*, user: User, buy_id: Any, with_items: bool = True) -> GroupBuy:
    """A buy the user may see: 404 (not_found) when it does not exist, 403 (wrong_community) when it
    belongs to a community the user is not in."""
    pk = lookup_id(buy_id)
    rows = GroupBuy.objects.select_related("community", "leader").annotate(
        pool_id=active_pool_id_subquery(), share_token=_live_share_token()
    )
    if with_items:
        rows = rows.prefetch_related(Prefetch("items", queryset=_items_queryset()))
    buy = rows.filter(pk=pk).first()
    if buy is None:
        raise err.not_found()
    require_member(user=user, community_id=buy.community_id)
    if with_items:
        buy_display_get(buy)
    return buy


PAGE_STATE = ("version", "status", "deadline", "current_pool_id", "community_id")  # their column names too


def buy_page_state_for(*, user: User, buy_id: Any) -> dict[str, Any] | None:
    """What the buy page's ETag is made of (version, status, deadline, pool) and the buy's community, with the
    user's membership of that community read in the same plain SELECT (`membership_sql`) and kept for the request
    as `membership_for` keeps it: the membership check that must follow (before a 304 or anything kept for the user
    is served) costs no query. None when there is no such buy. Precondition: the user is signed in."""
    qn = connection.ops.quote_name
    select, joins = membership_sql(f"b.{qn('community_id')}")
    state_columns = ", ".join(f"b.{qn(name)}" for name in PAGE_STATE)
    sql = f"SELECT {state_columns}, {select} FROM {qn(GroupBuy._meta.db_table)} b {joins} WHERE b.{qn('id')} = %s"
    row = rows.fetch_one(sql, [user.pk, True, lookup_id(buy_id)])
    if row is None:
        return None
    state = dict(zip(PAGE_STATE, rows.values(GroupBuy, PAGE_STATE, row), strict=True))
    membership_from_row(user, state["community_id"], row, len(PAGE_STATE))
    return state


def buy_get_shared(*, buy_id: int) -> GroupBuy:
    """A buy with its items and display fields (as `buy_get`) WITHOUT the membership check. Precondition: the
    caller proved access another way (a live share token: groupbuy.selectors.share). 404 when it is gone."""
    buy = (
        GroupBuy.objects.select_related("community")
        .prefetch_related(Prefetch("items", queryset=_items_queryset()))
        .filter(pk=buy_id)
        .first()
    )
    if buy is None:
        raise err.not_found()
    return buy_display_get(buy)


def buy_get_for_signup(*, user: User, buy_id: Any) -> GroupBuy:
    """A buy to sign up to: its row (no community or leader, no pool subquery: the sign-up checks its state and
    pool on the row it locks), its items (kept on the buy for `signup_input.lines_priced`, which prices the lines
    from them) and the caller's membership in its community (kept for the request as membership_for keeps it), all
    in one plain SELECT (core.rows; one row per item): one statement instead of three, and no ORM compiler on the
    hot path. Same refusals as buy_get."""
    qn = connection.ops.quote_name
    select, joins = membership_sql(f"b.{qn('community_id')}")
    sql = (
        f"SELECT {rows.columns(GroupBuy, 'b')}, {select}, {rows.columns(BuyItem, 'i')} "
        f"FROM {qn(GroupBuy._meta.db_table)} b {joins} "
        f"LEFT JOIN {qn(BuyItem._meta.db_table)} i ON i.{qn('buy_id')} = b.{qn('id')} "
        f"WHERE b.{qn('id')} = %s"
    )
    found = rows.fetch_all(sql, [user.pk, True, lookup_id(buy_id)])
    buy = rows.instance(GroupBuy, found[0]) if found else None
    if buy is None:
        raise err.not_found()
    items_at = rows.width(GroupBuy) + membership_sql_width()
    items = (rows.instance(BuyItem, row, items_at) for row in found)
    buy.__dict__[ITEMS_READ] = {item.pk: item for item in items if item is not None}
    if user.is_authenticated:
        membership_from_row(user, buy.community_id, found[0], rows.width(GroupBuy))
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


def buy_progress_get(buy: GroupBuy | Pool) -> Progress:
    """How far toward its minimum order: a buy's own, or its pool's (a pool counts the same fields)."""
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


def buy_display_get(buy: GroupBuy) -> GroupBuy:
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
    buy.progress = buy_progress_get(buy)
    buy.signup_open = buy.is_signup_open
    buy.seconds_left = max(0, int((buy.deadline - timezone.now()).total_seconds()))
    return buy
