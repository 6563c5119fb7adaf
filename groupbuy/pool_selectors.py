"""Reads for leaders coordinating across compounds: pools, duplicate buys, the leaders' board, reputation,
and pack progress. Visibility: residents of one community never see names of another community; pool pages
show per-community counts only."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from accounts.models import Membership, User
from accounts.permissions import Action, allowed_actions
from groupbuy import exceptions as err
from groupbuy.models import (
    SIGNUP_STATES,
    BuyItem,
    BuyStatus,
    DuplicateBuyNotice,
    DuplicateReason,
    EntryLine,
    EntryStatus,
    GroupBuy,
    Offer,
    Pool,
    PoolInvitation,
    PoolMember,
    PoolMemberStatus,
    PoolStatus,
    PurchaseOrderLine,
)
from groupbuy.packs import units_to_fill_next_pack


def pool_id_for_buy(buy_id: int) -> int | None:
    """The pool the buy is an active member of, or None (read without a lock: lock and verify to rely on it)."""
    return (
        PoolMember.objects.filter(buy_id=buy_id, status=PoolMemberStatus.ACTIVE)
        .values_list("pool_id", flat=True)
        .first()
    )


# Leaders agreed not to open the same product within a week of another buy in the compound (split demand).
DUPLICATE_WINDOW = datetime.timedelta(days=7)


# --- duplicates ---------------------------------------------------------------------------------------------


@dataclass
class Duplicate:
    buy: GroupBuy
    reason: DuplicateReason

    def get_reason_display(self) -> str:
        return str(self.reason.label)


def duplicate_buys(*, community_id: int, offer_ids: list[int], exclude_buy_id: int | None = None) -> list[Duplicate]:
    """The one duplicate-buy rule: buys of the community taking sign-ups, or formed in the last 7 days (and
    not failed or cancelled), that sell one of these offers or an offer of the same supplier and category.
    group_buy_open refuses to open next to one unless confirmed; the buy form previews the same list."""
    if not offer_ids:
        return []
    offers = list(Offer.objects.filter(pk__in=offer_ids).values_list("pk", "supplier_id", "category"))
    same_kind = Q()
    for _pk, supplier_id, category in offers:
        if category:
            same_kind |= Q(items__offer__supplier_id=supplier_id, items__offer__category=category)
    since = timezone.now() - DUPLICATE_WINDOW
    rows = (
        GroupBuy.objects.filter(community_id=community_id)
        .filter(Q(status__in=list(SIGNUP_STATES)) | Q(formed_at__gte=since))
        .exclude(status__in=[BuyStatus.FAILED, BuyStatus.CANCELLED])
        .filter(Q(items__offer_id__in=offer_ids) | same_kind if same_kind else Q(items__offer_id__in=offer_ids))
        .select_related("leader")
        .distinct()
        .order_by("deadline", "pk")
    )
    if exclude_buy_id is not None:
        rows = rows.exclude(pk=exclude_buy_id)
    found = list(rows[:10])
    same_offer = set(
        BuyItem.objects.filter(buy__in=[b.pk for b in found], offer_id__in=offer_ids).values_list("buy_id", flat=True)
    )
    return [
        Duplicate(
            buy=b,
            reason=DuplicateReason.SAME_OFFER if b.pk in same_offer else DuplicateReason.SAME_SUPPLIER_CATEGORY,
        )
        for b in found
    ]


def duplicate_notices(*, community_id: int, limit: int = 20) -> list[DuplicateBuyNotice]:
    """Buys opened anyway next to a running one, for the leaders' board."""
    return list(
        DuplicateBuyNotice.objects.filter(community_id=community_id)
        .select_related("buy", "other_buy", "opened_by")
        .order_by("-created_at", "-id")[:limit]
    )


# --- pools --------------------------------------------------------------------------------------------------


@dataclass
class MemberProgress:
    buy_id: int
    community_name: str
    drop_point: str
    status: str
    units: int
    entries: int
    is_helper: bool
    is_host: bool


@dataclass
class PoolView:
    pool: Pool
    host: GroupBuy
    members: list[MemberProgress]
    remaining: Decimal
    percent: int
    invited: list[str] = field(default_factory=list)


def pool_for_buy(*, buy_id: int) -> Pool | None:
    member = (
        PoolMember.objects.filter(buy_id=buy_id, status=PoolMemberStatus.ACTIVE)
        .select_related("pool__host_buy__community")
        .first()
    )
    return member.pool if member else None


def _may_see(user: User, community_ids: set[int], *, leaders_only: bool = False) -> bool:
    """One query, however many communities are in the pool."""
    if not user.is_authenticated:
        return False
    rows = Membership.objects.filter(user=user, community_id__in=community_ids, is_active=True)
    if leaders_only:
        rows = rows.filter(is_team_leader=True)
    return rows.exists()


def pool_view(*, user: User, pool_id: Any) -> PoolView:
    """The pool's progress: per member community its count (never names of people), the pool total and MOQ.
    Visible to members of any community in the pool or invited to it."""
    pool = Pool.objects.select_related("host_buy__community").filter(pk=_as_id(pool_id)).first()
    if pool is None:
        raise err.not_found()
    members = list(
        PoolMember.objects.filter(pool=pool, status=PoolMemberStatus.ACTIVE)
        .select_related("buy", "community")
        .order_by("buy_id")
    )
    invited = list(PoolInvitation.objects.filter(pool=pool).select_related("community"))
    communities = {m.community_id for m in members} | {i.community_id for i in invited}
    if not _may_see(user, communities):
        raise err.wrong_community()
    return PoolView(
        pool=pool,
        host=pool.host_buy,
        members=[
            MemberProgress(
                buy_id=m.buy_id,
                community_name=m.community.name,
                drop_point=m.buy.drop_point,
                status=m.buy.status,
                units=m.buy.main_units,
                entries=m.buy.entry_count,
                is_helper=m.is_helper,
                is_host=m.buy_id == pool.host_buy_id,
            )
            for m in members
        ],
        remaining=max(Decimal("0"), pool.moq - pool.moq_progress),
        percent=pool.moq_percent,
        invited=[i.community.name for i in invited if i.community_id not in {m.community_id for m in members}],
    )


def pools_offered_to(*, community_id: int) -> list[Pool]:
    """Open pools offered to this community that it has not joined yet (for its leaders)."""
    joined = PoolMember.objects.filter(community_id=community_id, status=PoolMemberStatus.ACTIVE).values("pool_id")
    return list(
        Pool.objects.filter(invitations__community_id=community_id, status=PoolStatus.OPEN, deadline__gt=timezone.now())
        .exclude(pk__in=joined)
        .select_related("host_buy__community")
        .order_by("deadline", "pk")[:20]
    )


@dataclass
class DropPointLine:
    community_name: str
    drop_point: str
    buy_id: int
    quantity: int
    packs: int
    amount: Decimal


@dataclass
class SupplierOrder:
    supplier_name: str
    offer_title: str
    unit: str
    lines: list[DropPointLine]
    total_quantity: int
    total_packs: int
    total_cost: Decimal


def pool_purchase_order(*, user: User, pool_id: Any) -> list[SupplierOrder]:
    """One order per supplier (and offer) with a line per drop point, from the member buys' purchase orders
    (each member buy closes and files its own delivery). Leaders of member communities only."""
    pool = Pool.objects.filter(pk=_as_id(pool_id)).first()
    if pool is None:
        raise err.not_found()
    member_communities = set(
        PoolMember.objects.filter(pool=pool, status=PoolMemberStatus.ACTIVE).values_list("community_id", flat=True)
    )
    # Team leaders hold OPEN_BUY (accounts.permissions); one query for every member community.
    if not _may_see(user, member_communities, leaders_only=True):
        raise err.forbidden()
    lines = (
        PurchaseOrderLine.objects.filter(
            order__buy__pool_memberships__pool=pool, order__buy__pool_memberships__status=PoolMemberStatus.ACTIVE
        )
        .select_related("order__buy__community", "item__offer__supplier")
        .order_by("item__offer__supplier__name", "item__offer_id", "order__buy_id")
    )
    grouped: dict[tuple[int, int], SupplierOrder] = {}
    for line in lines:
        offer = line.item.offer
        key = (offer.supplier_id, offer.pk)
        order = grouped.setdefault(
            key,
            SupplierOrder(
                supplier_name=offer.supplier.name,
                offer_title=offer.title,
                unit=offer.unit,
                lines=[],
                total_quantity=0,
                total_packs=0,
                total_cost=Decimal("0"),
            ),
        )
        buy = line.order.buy
        order.lines.append(
            DropPointLine(
                community_name=buy.community.name,
                drop_point=buy.drop_point,
                buy_id=buy.pk,
                quantity=line.quantity,
                packs=line.packs,
                amount=line.amount,
            )
        )
        order.total_quantity += line.quantity
        order.total_packs += line.packs
        order.total_cost += line.amount
    return list(grouped.values())


# --- packs --------------------------------------------------------------------------------------------------


@dataclass
class PackStatus:
    item_id: int
    offer_title: str
    unit: str
    pack_size: int
    firm: int
    tolerance: int
    full_packs: int
    missing: int  # firm units still needed to fill the open pack (after tolerances); 0 = nothing pending


def pack_status(*, buy: GroupBuy) -> list[PackStatus]:
    """For pack-size items: "N 斤 more fills the next box" (two queries)."""
    items = list(BuyItem.objects.filter(buy_id=buy.pk, offer__pack_size__gt=1).select_related("offer"))
    if not items:
        return []
    tolerances = dict(
        EntryLine.objects.filter(item__in=items, entry__status=EntryStatus.ACTIVE)
        .values("item_id")
        .annotate(t=Sum("tolerance"))
        .values_list("item_id", "t")
    )
    return [
        PackStatus(
            item_id=item.pk,
            offer_title=item.offer.title,
            unit=item.offer.unit,
            pack_size=item.offer.pack_size,
            firm=item.total_quantity,
            tolerance=tolerances.get(item.pk) or 0,
            full_packs=item.total_quantity // item.offer.pack_size,
            missing=units_to_fill_next_pack(item.total_quantity, tolerances.get(item.pk) or 0, item.offer.pack_size),
        )
        for item in items
    ]


# --- the leaders' board ---------------------------------------------------------------------------------------


@dataclass
class BoardRow:
    buy: GroupBuy
    supplier_name: str
    category: str
    is_neighbour: bool
    pool_id: int | None
    duplicate_of: list[int]


def neighbour_community_ids(*, community_id: int) -> set[int]:
    """Communities this one pools with: members of the same pools, or invited to / inviting its pools."""
    pool_ids = set(PoolMember.objects.filter(community_id=community_id).values_list("pool_id", flat=True))
    pool_ids |= set(PoolInvitation.objects.filter(community_id=community_id).values_list("pool_id", flat=True))
    others = set(PoolMember.objects.filter(pool_id__in=pool_ids).values_list("community_id", flat=True))
    others |= set(PoolInvitation.objects.filter(pool_id__in=pool_ids).values_list("community_id", flat=True))
    others.discard(community_id)
    return others


def leaders_board(*, user: User, community_id: int) -> dict[tuple[str, str], list[BoardRow]]:
    """Open and upcoming buys of the community and its pooled neighbours, by (supplier, category), so leaders
    coordinate without a chat group. Leaders (OPEN_BUY) of the community only. A fixed number of queries."""
    if Action.OPEN_BUY not in allowed_actions(user, community_id):
        raise err.forbidden()
    neighbours = neighbour_community_ids(community_id=community_id)
    buys = list(
        GroupBuy.objects.filter(
            community_id__in={community_id, *neighbours},
            status__in=[BuyStatus.DRAFT, BuyStatus.OPEN, BuyStatus.FORMED],
        )
        .select_related("community", "leader")
        .order_by("deadline", "pk")[:200]
    )
    ids = [b.pk for b in buys]
    first_item: dict[int, tuple[str, str]] = {}
    for buy_id, supplier, category in (
        BuyItem.objects.filter(buy_id__in=ids)
        .order_by("buy_id", "-is_main", "position", "pk")
        .values_list("buy_id", "offer__supplier__name", "offer__category")
    ):
        first_item.setdefault(buy_id, (supplier, category))
    pools = dict(
        PoolMember.objects.filter(buy_id__in=ids, status=PoolMemberStatus.ACTIVE).values_list("buy_id", "pool_id")
    )
    dups: dict[int, list[int]] = defaultdict(list)
    for buy_id, other_id in DuplicateBuyNotice.objects.filter(buy_id__in=ids).values_list("buy_id", "other_buy_id"):
        dups[buy_id].append(other_id)
    board: dict[tuple[str, str], list[BoardRow]] = defaultdict(list)
    for buy in buys:
        supplier, category = first_item.get(buy.pk, ("", ""))
        board[(supplier, category)].append(
            BoardRow(
                buy=buy,
                supplier_name=supplier,
                category=category,
                is_neighbour=buy.community_id != community_id,
                pool_id=pools.get(buy.pk),
                duplicate_of=dups.get(buy.pk, []),
            )
        )
    return dict(sorted(board.items()))


# --- leader reputation ------------------------------------------------------------------------------------------


@dataclass
class Reputation:
    completed: int
    failed: int
    cancelled: int
    running: int
    deliveries_filed: int
    deliveries_on_date: int
    on_date_share: int | None  # percent; None when no delivery has arrived yet
    after_sales_opened: int | None  # None: settlement records not available
    after_sales_resolved: int | None
    average_markup: Decimal | None  # percent over supplier cost, across the leader's buy items
    notes: list[str] = field(default_factory=list)


def leader_reputation(*, leader_id: int) -> Reputation:
    """Computed from records, never typed: buys by outcome, deliveries that arrived on the filed date
    (compliance filings), after-sales reports opened/resolved (settlement), average markup."""
    counts = dict(
        GroupBuy.objects.filter(leader_id=leader_id).values("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    ended = {BuyStatus.COMPLETED, BuyStatus.FAILED, BuyStatus.CANCELLED, BuyStatus.DRAFT}
    notes: list[str] = []
    filed = on_date = 0
    try:
        from compliance.models import Filing
    except ImportError:  # pragma: no cover - compliance is part of the project; kept optional on purpose
        notes.append("filings")
    else:
        for start, arrived in Filing.objects.filter(buy__leader_id=leader_id, arrived_at__isnull=False).values_list(
            "arrival_start", "arrived_at"
        ):
            filed += 1
            on_date += timezone.localdate(arrived) == timezone.localdate(start)
    opened = resolved = None
    try:
        from settlement.models import AfterSalesReport, ReportState
    except ImportError:  # pragma: no cover
        notes.append("after_sales")
    else:
        totals = AfterSalesReport.objects.filter(buy__leader_id=leader_id).aggregate(
            opened=Count("pk"), resolved=Count("pk", filter=Q(state=ReportState.RESOLVED))
        )
        opened, resolved = totals["opened"], totals["resolved"]
    markups = [
        (price - cost) * 100 / cost
        for price, cost in BuyItem.objects.filter(buy__leader_id=leader_id, supplier_cost__gt=0).values_list(
            "unit_price", "supplier_cost"
        )
    ]
    return Reputation(
        completed=counts.get(BuyStatus.COMPLETED, 0),
        failed=counts.get(BuyStatus.FAILED, 0),
        cancelled=counts.get(BuyStatus.CANCELLED, 0),
        running=sum(n for s, n in counts.items() if s not in ended),
        deliveries_filed=filed,
        deliveries_on_date=on_date,
        on_date_share=round(on_date * 100 / filed) if filed else None,
        after_sales_opened=opened,
        after_sales_resolved=resolved,
        average_markup=(sum(markups, Decimal(0)) / len(markups)).quantize(Decimal("0.1")) if markups else None,
        notes=notes,
    )


def _as_id(value: Any) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        raise err.not_found() from None


@dataclass
class BuyPagePanel:
    pool: Pool | None
    packs: list[PackStatus]


def buy_page_panel(*, buy: GroupBuy) -> BuyPagePanel:
    """The light part of the coordination panel for the buy page: the pool's progress (one query, only when the
    buy is pooled — `buy.pool_id` annotated by the buy selector, else looked up) and "N more fills the next box"
    from the already loaded items (one query, only when an item ships in packs)."""
    pool_id = buy.pool_id if hasattr(buy, "pool_id") else pool_id_for_buy(buy.pk)
    pool = Pool.objects.filter(pk=pool_id).first() if pool_id else None
    items = [i for i in getattr(buy, "item_list", []) if i.offer.pack_size > 1]
    packs: list[PackStatus] = []
    if items:
        tolerances = dict(
            EntryLine.objects.filter(item__in=items, entry__status=EntryStatus.ACTIVE)
            .values("item_id")
            .annotate(t=Sum("tolerance"))
            .values_list("item_id", "t")
        )
        for item in items:
            size, tol = item.offer.pack_size, tolerances.get(item.pk) or 0
            packs.append(
                PackStatus(
                    item_id=item.pk,
                    offer_title=item.offer.title,
                    unit=item.offer.unit,
                    pack_size=size,
                    firm=item.total_quantity,
                    tolerance=tol,
                    full_packs=item.total_quantity // size,
                    missing=units_to_fill_next_pack(item.total_quantity, tol, size),
                )
            )
    return BuyPagePanel(pool=pool, packs=packs)


def active_pool_id_subquery() -> Any:
    """For annotating buys with `pool_id` (the active pool they belong to) at no extra query."""
    from django.db.models import OuterRef, Subquery

    return Subquery(
        PoolMember.objects.filter(buy_id=OuterRef("pk"), status=PoolMemberStatus.ACTIVE).values("pool_id")[:1]
    )
