"""The purchase order of a buy: the built one after the close, or a preview of what the close would order."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, Sum

from groupbuy.models import (
    BuyItem,
    EntryLine,
    EntryStatus,
    GroupBuy,
    PurchaseOrder,
)
from groupbuy.packs import allocate_packs
from groupbuy.selectors.other_apps import donated_by_item


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


def purchase_order_get(*, buy: GroupBuy) -> OrderView:
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
    donated = donated_by_item(buy_id=buy.pk)
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
