"""Reads of other apps' models from the group-buy selectors, all in this one module, so the contract between the
apps is written in one place: compliance filings (a leader's deliveries on date) and settlement after-sales
reports and donations. Plain reads, no visibility rules: the callers (board, orders) apply theirs."""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.utils import timezone

from compliance.models import DeliveryPolicy, Filing
from settlement.models import AfterSalesReport, Donation, ReportState


def deliveries_on_date(*, leader_id: int) -> tuple[int, int]:
    """(deliveries that arrived, of them on the filed arrival date) over the leader's buys."""
    filed = on_date = 0
    for start, arrived in Filing.objects.filter(buy__leader_id=leader_id, arrived_at__isnull=False).values_list(
        "arrival_start", "arrived_at"
    ):
        filed += 1
        on_date += timezone.localdate(arrived) == timezone.localdate(start)
    return filed, on_date


def after_sales_totals(*, leader_id: int) -> tuple[int, int]:
    """(after-sales reports opened, of them resolved) over the leader's buys."""
    totals = AfterSalesReport.objects.filter(buy__leader_id=leader_id).aggregate(
        opened=Count("pk"), resolved=Count("pk", filter=Q(state=ReportState.RESOLVED))
    )
    return totals["opened"], totals["resolved"]


def donated_by_item(*, buy_id: int) -> dict[int, int]:
    """{item id: donated portions} of the buy."""
    return dict(
        Donation.objects.filter(buy_id=buy_id).values("item_id").annotate(q=Sum("quantity")).values_list("item_id", "q")
    )


def public_previews_on(*, community_id: int) -> bool:
    """Whether the community's policy lets a buy's short link show its public preview (the field's default,
    on, when the committee never saved a policy)."""
    value = DeliveryPolicy.objects.filter(community_id=community_id).values_list("public_previews", flat=True).first()
    return DeliveryPolicy._meta.get_field("public_previews").default if value is None else bool(value)
