"""Pools across compounds: membership, the pool page (per-community counts only, never names of another
community) and the pooled purchase order."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts.models import Membership, User
from groupbuy import exceptions as err
from groupbuy.models import (
    GroupBuy,
    Pool,
    PoolInvitation,
    PoolMember,
    PoolMemberStatus,
    PoolStatus,
    PurchaseOrderLine,
)
from groupbuy.selectors.communities import lookup_id


def pool_id_get_for_buy(buy_id: int) -> int | None:
    """The pool the buy is an active member of, or None (read without a lock: lock and verify to rely on it)."""
    return (
        PoolMember.objects.filter(buy_id=buy_id, status=PoolMemberStatus.ACTIVE)
        .values_list("pool_id", flat=True)
        .first()
    )


def pool_community_id_list(*, pool_id: int) -> set[int]:
    """The communities with a buy in the pool (any membership status)."""
    return {c for c in Pool.objects.filter(pk=pool_id).values_list("members__community_id", flat=True) if c}


def active_pool_id_subquery() -> Any:
    """For annotating buys with `pool_id` (the active pool they belong to) at no extra query."""

    return Subquery(
        PoolMember.objects.filter(buy_id=OuterRef("pk"), status=PoolMemberStatus.ACTIVE).values("pool_id")[:1]
    )


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


def pool_get_for_buy(*, buy_id: int) -> Pool | None:
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


def pool_view_get(*, user: User, pool_id: Any) -> PoolView:
    """The pool's progress: per member community its count (never names of people), the pool total and MOQ.
    Visible to members of any community in the pool or invited to it."""
    pool = Pool.objects.select_related("host_buy__community").filter(pk=lookup_id(pool_id)).first()
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


def pool_list_offered_to(*, community_id: int) -> list[Pool]:
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


def pool_purchase_order_get(*, user: User, pool_id: Any) -> list[SupplierOrder]:
    """One order per supplier (and offer) with a line per drop point, from the member buys' purchase orders
    (each member buy closes and files its own delivery). Leaders of member communities only."""
    pool = Pool.objects.filter(pk=lookup_id(pool_id)).first()
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
