"""Snapshots of settlement state, for "a refused action changed nothing" assertions."""

from __future__ import annotations

from groupbuy.factories import buy_state
from settlement.models import (
    Adjustment,
    AfterSalesReport,
    Donation,
    HandoverLine,
    ItemArrival,
    Payment,
    PickupCode,
    PriceChange,
    PriceChangeResponse,
    Refund,
)


def settlement_state(buy) -> dict:
    return {
        **buy_state(buy),
        "payments": list(
            Payment.objects.filter(buy_id=buy.pk).order_by("pk").values_list("pk", "state", "marked_amount", "paid")
        ),
        "refunds": list(Refund.objects.filter(buy_id=buy.pk).order_by("pk").values_list("pk", "amount", "state")),
        "adjustments": Adjustment.objects.filter(buy_id=buy.pk).count(),
        "changes": list(PriceChange.objects.filter(buy_id=buy.pk).order_by("pk").values_list("pk", "status")),
        "responses": PriceChangeResponse.objects.filter(change__buy_id=buy.pk).count(),
        "arrivals": ItemArrival.objects.filter(buy_id=buy.pk).count(),
        "pickups": list(PickupCode.objects.filter(buy_id=buy.pk).order_by("pk").values_list("pk", "state")),
        "handovers": HandoverLine.objects.filter(pickup__buy_id=buy.pk).count(),
        "reports": list(AfterSalesReport.objects.filter(buy_id=buy.pk).order_by("pk").values_list("pk", "state")),
        "donations": list(Donation.objects.filter(buy_id=buy.pk).order_by("pk").values_list("pk", "state")),
    }
