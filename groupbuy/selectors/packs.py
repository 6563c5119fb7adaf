"""Pack progress of a buy (items sold in whole packs) and the buy page's pool/packs panel."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Sum

from groupbuy.models import (
    SIGNUP_STATES,
    BuyItem,
    BuyStatus,
    EntryLine,
    EntryStatus,
    GroupBuy,
    Pool,
    PoolStatus,
)
from groupbuy.packs import units_to_fill_next_pack
from groupbuy.selectors.buys import buy_progress_get
from groupbuy.selectors.pools import pool_id_get_for_buy


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


def pack_status_list(*, buy: GroupBuy) -> list[PackStatus]:
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


@dataclass
class BuyPagePanel:
    pool: Pool | None
    packs: list[PackStatus]


def pool_progress_apply(buy: GroupBuy) -> Pool | None:
    """One state wherever a buy's progress is shown (the page, the share preview, the poster, the 接龙 text): a
    pooled buy forms with its pool, so `buy.progress` and, while it takes sign-ups, its formed/open tag become the
    pool's; this compound's own count stays on `buy`. One query, only when the buy is pooled (`buy.pool_id`
    annotated by the buy selector, else looked up). Returns the pool, or None."""
    pool_id = buy.pool_id if hasattr(buy, "pool_id") else pool_id_get_for_buy(buy.pk)
    pool = Pool.objects.filter(pk=pool_id).first() if pool_id else None
    if pool is not None:
        buy.progress = buy_progress_get(pool)
        if buy.status in SIGNUP_STATES:
            buy.status_label = (BuyStatus.FORMED if pool.status == PoolStatus.FORMED else BuyStatus.OPEN).label
    return pool


def buy_panel_get(*, buy: GroupBuy) -> BuyPagePanel:
    """The light part of the coordination panel for the buy page: the pool's progress, put on `buy.progress` (one
    query, only when the buy is pooled — `buy.pool_id` annotated by the buy selector, else looked up) and "N more
    fills the next box" from the already loaded items (one query, only when an item ships in packs)."""
    pool = pool_progress_apply(buy)
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
