"""The purchase order for the supplier, computed once when a buy closes."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from groupbuy.models import BuyItem, EntryLine, EntryStatus, GroupBuy, PurchaseOrder, PurchaseOrderLine


def _packs(quantity: int, pack_size: int) -> int:
    return -(-quantity // pack_size) if pack_size > 1 else 0


def purchase_order_build(*, buy: GroupBuy) -> PurchaseOrder:
    """Per item: the units the live entries ordered, whole packs for pack-size offers, the cost at the
    supplier price frozen when the buy opened. Called inside the close transaction (the buy row is locked,
    so the entries cannot change); the OneToOne on `buy` makes a second order impossible."""
    ordered = dict(
        EntryLine.objects.filter(entry__buy_id=buy.pk, entry__status=EntryStatus.ACTIVE)
        .values("item_id")
        .annotate(total=Sum("quantity"))
        .values_list("item_id", "total")
    )
    items = BuyItem.objects.filter(buy_id=buy.pk).select_related("offer").order_by("position", "pk")
    lines: list[PurchaseOrderLine] = []
    total_cost = Decimal("0")
    total_amount = Decimal("0")
    for item in items:
        quantity = ordered.get(item.pk, 0)
        if quantity <= 0:
            continue
        amount = item.supplier_cost * quantity
        total_cost += amount
        total_amount += item.unit_price * quantity
        lines.append(
            PurchaseOrderLine(
                item=item,
                quantity=quantity,
                packs=_packs(quantity, item.offer.pack_size),
                unit_cost=item.supplier_cost,
                amount=amount,
            )
        )
    order = PurchaseOrder.objects.create(buy=buy, total_cost=total_cost, total_amount=total_amount)
    for line in lines:
        line.order = order
    PurchaseOrderLine.objects.bulk_create(lines)
    return order
