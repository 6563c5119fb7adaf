"""Shared pieces of the settlement services: input parsing, what an entry owes, excess refunds, the purchase order."""

from __future__ import annotations

import math
from decimal import Decimal

from django.db.models import Sum

from core.parsing import parse_int
from groupbuy.models import BuyStatus, Entry, EntryLine, EntryStatus, GroupBuy, PurchaseOrder, PurchaseOrderLine
from settlement import exceptions as errors
from settlement.models import ZERO, Adjustment, Donation, Payment, Refund, RefundReason, money
from settlement.services.notify import notify_refund_due

# A buy whose list is frozen and whose goods are on their way or being handed out.
AFTER_CLOSE_STATES = (
    BuyStatus.CLOSED,
    BuyStatus.ORDERED,
    BuyStatus.FILED,
    BuyStatus.APPROVED,
    BuyStatus.ON_HOLD,
    BuyStatus.ARRIVED,
    BuyStatus.DISINFECTED,
    BuyStatus.RELEASED,
    BuyStatus.DISTRIBUTING,
)


def parse_money(raw: object, *, field: str) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (ArithmeticError, ValueError):
        raise errors.invalid_amount(field=field) from None
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")) or value >= Decimal("1e9"):
        raise errors.invalid_amount(field=field)
    return value


def parse_quantity(raw: object, *, field: str) -> int:
    """A whole number of units from 0 to 1,000,000 (core.parsing.parse_int), else invalid_quantity."""
    value = parse_int(raw)
    if value is None or value > 1_000_000:
        raise errors.invalid_quantity(field=field)
    return value


def require_after_close(buy: GroupBuy) -> None:
    if buy.status not in AFTER_CLOSE_STATES:
        raise errors.invalid_state()


# --- the money of an entry -------------------------------------------------


def entry_owed(entry: Entry) -> Decimal:
    if entry.status != EntryStatus.ACTIVE:
        return ZERO
    credits = Adjustment.objects.filter(entry_id=entry.pk).aggregate(s=Sum("amount"))["s"] or ZERO
    return money(max(entry.amount + credits, ZERO))


def entry_refunded(entry_id: int) -> Decimal:
    return Refund.objects.filter(entry_id=entry_id).aggregate(s=Sum("amount"))["s"] or ZERO


def lock_payment(entry: Entry) -> Payment:
    """The entry's payment row, created if missing, locked for the rest of the transaction.

    Every change of an entry's money takes this lock first, so excess refunds are
    computed once even when a confirmation and a shortage race.
    """
    Payment.objects.get_or_create(entry_id=entry.pk, defaults={"buy_id": entry.buy_id})
    return Payment.objects.select_for_update().get(entry_id=entry.pk)


def refund_excess(*, entry: Entry, reason: str, note: str = "") -> Refund | None:
    """Create a refund for whatever was paid beyond what is owed. Caller holds the payment lock."""
    payment = Payment.objects.get(entry_id=entry.pk)
    entry.refresh_from_db(fields=["status", "amount", "units"])
    excess = payment.paid - entry_refunded(entry.pk) - entry_owed(entry)
    if excess <= 0:
        return None
    refund = Refund.objects.create(entry=entry, buy_id=entry.buy_id, amount=money(excess), reason=reason, note=note)
    notify_refund_due(refund=refund)
    return refund


def reason_for_inactive(entry: Entry) -> str:
    return RefundReason.WITHDRAWN if entry.status == EntryStatus.WITHDRAWN else RefundReason.FAILED


# --- the purchase order ----------------------------------------------------


def line_units(line: EntryLine) -> int:
    """Units the line gets: its allocation once the buy closed (whole packs, shortages), else its quantity."""
    return line.allocated if line.allocated is not None else line.quantity


def purchase_order_recompute(*, buy_id: int, item_ids: list[int] | None = None) -> PurchaseOrder:
    """Rebuild the purchase order lines of `item_ids` (all items if None) from the live entries'
    allocations plus donated portions. Called after a price change is resolved and after donations
    change; other items' lines are left as the close service built them. Idempotent."""
    buy = GroupBuy.objects.get(pk=buy_id)
    order, _created = PurchaseOrder.objects.get_or_create(buy=buy)
    items = list(buy.items.select_related("offer").order_by("pk"))
    if item_ids is not None:
        items = [item for item in items if item.pk in set(item_ids)]
    wanted: dict[int, int] = {}
    for line in EntryLine.objects.filter(
        entry__buy_id=buy_id, entry__status=EntryStatus.ACTIVE, item_id__in=[i.pk for i in items]
    ).only("item_id", "quantity", "allocated"):
        wanted[line.item_id] = wanted.get(line.item_id, 0) + line_units(line)
    for item_id, qty in Donation.objects.filter(buy_id=buy_id, item_id__in=[i.pk for i in items]).values_list(
        "item_id", "quantity"
    ):
        wanted[item_id] = wanted.get(item_id, 0) + qty
    for item in items:
        qty = wanted.get(item.pk, 0)
        if qty == 0:
            order.lines.filter(item=item).delete()
            continue
        pack = item.offer.pack_size
        PurchaseOrderLine.objects.update_or_create(
            order=order,
            item=item,
            defaults={
                "quantity": qty,
                "packs": math.ceil(qty / pack) if pack > 1 else 0,
                "unit_cost": item.supplier_cost,
                "amount": money(item.supplier_cost * qty),
            },
        )
    total_cost = ZERO
    total_amount = ZERO
    for order_line in order.lines.select_related("item"):
        total_cost += order_line.amount
        total_amount += order_line.item.unit_price * order_line.quantity
    PurchaseOrder.objects.filter(pk=order.pk).update(total_cost=money(total_cost), total_amount=money(total_amount))
    order.refresh_from_db()
    return order


def purchase_order_include_donations(*, buy_id: int) -> None:
    """Hook for the close service: after the purchase order is built, add donated portions."""
    item_ids = list(Donation.objects.filter(buy_id=buy_id).values_list("item_id", flat=True).distinct())
    if item_ids:
        purchase_order_recompute(buy_id=buy_id, item_ids=item_ids)
