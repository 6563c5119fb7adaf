"""The leaders' board across neighbouring compounds and a leader's reputation (computed from records)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count

from accounts.models import User
from accounts.permissions import Action, allowed_actions
from groupbuy import exceptions as err
from groupbuy.models import (
    BuyItem,
    BuyStatus,
    DuplicateBuyNotice,
    GroupBuy,
    PoolInvitation,
    PoolMember,
    PoolMemberStatus,
)
from groupbuy.selectors.other_apps import after_sales_totals, deliveries_on_date


@dataclass
class BoardRow:
    buy: GroupBuy
    supplier_name: str
    category: str
    is_neighbour: bool
    pool_id: int | None
    duplicate_of: list[int]


def community_neighbour_id_list(*, community_id: int) -> set[int]:
    """Communities this one pools with: members of the same pools, or invited to / inviting its pools."""
    pool_ids = set(PoolMember.objects.filter(community_id=community_id).values_list("pool_id", flat=True))
    pool_ids |= set(PoolInvitation.objects.filter(community_id=community_id).values_list("pool_id", flat=True))
    others = set(PoolMember.objects.filter(pool_id__in=pool_ids).values_list("community_id", flat=True))
    others |= set(PoolInvitation.objects.filter(pool_id__in=pool_ids).values_list("community_id", flat=True))
    others.discard(community_id)
    return others


def leader_board_get(*, user: User, community_id: int) -> dict[tuple[str, str], list[BoardRow]]:
    """Open and upcoming buys of the community and its pooled neighbours, by (supplier, category), so leaders
    coordinate without a chat group. Leaders (OPEN_BUY) of the community only. A fixed number of queries."""
    if Action.OPEN_BUY not in allowed_actions(user, community_id):
        raise err.forbidden()
    neighbours = community_neighbour_id_list(community_id=community_id)
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


def leader_reputation_get(*, leader_id: int) -> Reputation:
    """Computed from records, never typed: buys by outcome, deliveries that arrived on the filed date
    (compliance filings), after-sales reports opened/resolved (settlement), average markup."""
    counts = dict(
        GroupBuy.objects.filter(leader_id=leader_id).values("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    ended = {BuyStatus.COMPLETED, BuyStatus.FAILED, BuyStatus.CANCELLED, BuyStatus.DRAFT}
    notes: list[str] = []
    filed, on_date = deliveries_on_date(leader_id=leader_id)
    opened, resolved = after_sales_totals(leader_id=leader_id)
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
