"""The calls the group-buy services (groupbuy/services/signup.py, buys.py) make into settlement.

Each is idempotent, so a redelivered task or a repeated call changes nothing:

- after `signup_withdraw` / a `signup_change` that lowers the amount:  entry_refund_if_paid(entry_id=...)
- after a buy failed or was cancelled (entries released):              refunds_create_for_released_entries(buy_id=...)
- at the end of the close transaction (after purchase_order_build):     settlement_buy_closed(buy_id=...)
"""

from __future__ import annotations

from django.db import transaction

from groupbuy.models import EntryLine, EntryStatus
from settlement.models import Adjustment, AdjustmentReason, Payment, RefundReason, money
from settlement.services.common import lock_payment, purchase_order_include_donations, refund_excess
from settlement.services.payments import refunds_create_for_entry, refunds_create_for_released_entries

__all__ = [
    "entry_refund_if_paid",
    "refunds_create_for_entry",
    "refunds_create_for_released_entries",
    "settlement_buy_closed",
]


def entry_refund_if_paid(*, entry_id: int) -> None:
    """Money already confirmed beyond what the entry now owes becomes a refund (settlement decides how much).

    The exists() is only a shortcut for the common unpaid case: a payment confirmed after it runs goes
    through settlement's confirmation, which refunds any excess under the same payment-row lock."""
    if Payment.objects.filter(entry_id=entry_id, paid__gt=0).exists():
        refunds_create_for_entry(entry_id=entry_id)


def settlement_buy_closed(*, buy_id: int) -> int:
    """After close: a line allocated fewer units than ordered (a pack the tolerances could not fill) is
    credited, one allocated more (a filled tolerance, agreed at sign-up) is charged; whatever was paid
    beyond the new amount is refunded; donated portions join the purchase order. Returns adjustments made."""
    lines = list(
        EntryLine.objects.filter(entry__buy_id=buy_id, entry__status=EntryStatus.ACTIVE, allocated__isnull=False)
        .select_related("entry__buy", "item")
        .order_by("entry_id", "pk")
    )
    made = 0
    with transaction.atomic():
        for line in lines:
            # allocated is never None here (the query), the test narrows it.
            if line.allocated is None or line.allocated == line.quantity:
                continue
            entry = line.entry
            lock_payment(entry)
            _adjustment, created = Adjustment.objects.get_or_create(
                source_key=f"packs:{line.pk}",
                defaults={
                    "entry": entry,
                    "buy_id": buy_id,
                    "amount": money((line.allocated - line.quantity) * line.item.unit_price),
                    "reason": AdjustmentReason.PACKS,
                    "note": f"{line.allocated}/{line.quantity}",
                },
            )
            if created:
                made += 1
                refund_excess(entry=entry, reason=RefundReason.SHORTAGE)
        purchase_order_include_donations(buy_id=buy_id)
    return made
