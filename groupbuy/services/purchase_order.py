"""The purchase order for the supplier, computed once when a buy closes, and the allocation it rests on."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import F, Sum

from groupbuy.models import BuyItem, EntryLine, EntryStatus, GroupBuy, PurchaseOrder, PurchaseOrderLine
from groupbuy.packs import allocate_packs


def entries_allocate(*, buy_id: int) -> dict[int, int]:
    """Set EntryLine.allocated for the live entries of a closing buy (the caller holds the buy's row lock).

    Items sold in units get what was ordered. Items of a pack-size offer get `allocate_packs`: firm
    quantities in 接龙 order, then tolerances in 接龙 order, never beyond the packs ordered — so a last
    remainder that the tolerances cannot fill is cut (allocated < quantity; settlement refunds the cut) and a
    filled tolerance gives more than the quantity (settlement charges the extra). Returns {item id: packs}
    for the pack-size items."""
    live = EntryLine.objects.filter(entry__buy_id=buy_id, entry__status=EntryStatus.ACTIVE)
    pack_sizes = dict(
        BuyItem.objects.filter(buy_id=buy_id, offer__pack_size__gt=1).values_list("pk", "offer__pack_size")
    )
    live.exclude(item_id__in=list(pack_sizes)).update(allocated=F("quantity"))
    if not pack_sizes:
        return {}
    by_item: dict[int, list[EntryLine]] = defaultdict(list)
    for line in (
        live.filter(item_id__in=list(pack_sizes))
        .order_by("entry__seq", "pk")
        .only("pk", "item_id", "quantity", "tolerance")
    ):
        by_item[line.item_id].append(line)
    packs: dict[int, int] = {}
    changed: list[EntryLine] = []
    for item_id, size in pack_sizes.items():
        lines = by_item.get(item_id, [])
        result = allocate_packs([(line.quantity, line.tolerance) for line in lines], size)
        packs[item_id] = result.packs
        for line, share in zip(lines, result.allocated, strict=True):
            line.allocated = share
            changed.append(line)
    EntryLine.objects.bulk_update(changed, ["allocated"], batch_size=500)
    return packs


def purchase_order_build(*, buy: GroupBuy) -> PurchaseOrder:
    """Per item: the units allocated to the live entries (= what was ordered, or whole packs for pack-size
    offers), the cost at the supplier price frozen when the buy opened. Called inside the close transaction
    after `entries_allocate` (the buy row is locked, so the entries cannot change); the OneToOne on `buy`
    makes a second order impossible."""
    ordered = dict(
        EntryLine.objects.filter(entry__buy_id=buy.pk, entry__status=EntryStatus.ACTIVE)
        .values("item_id")
        .annotate(total=Sum("allocated"))
        .values_list("item_id", "total")
    )
    items = BuyItem.objects.filter(buy_id=buy.pk).select_related("offer").order_by("position", "pk")
    lines: list[PurchaseOrderLine] = []
    total_cost = Decimal("0")
    total_amount = Decimal("0")
    for item in items:
        quantity = ordered.get(item.pk) or 0
        if quantity <= 0:
            continue
        amount = item.supplier_cost * quantity
        total_cost += amount
        total_amount += item.unit_price * quantity
        size = item.offer.pack_size
        lines.append(
            PurchaseOrderLine(
                item=item,
                quantity=quantity,
                packs=quantity // size if size > 1 else 0,
                unit_cost=item.supplier_cost,
                amount=amount,
            )
        )
    order = PurchaseOrder.objects.create(buy=buy, total_cost=total_cost, total_amount=total_amount)
    for line in lines:
        line.order = order
    PurchaseOrderLine.objects.bulk_create(lines)
    return order
