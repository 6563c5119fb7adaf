"""Price changes and after-sales reports of a buy."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone

from groupbuy.models import Entry, GroupBuy
from settlement.models import (
    AfterSalesReport,
    ChangeStatus,
    PriceChange,
    PriceChangeResponse,
)


def price_change_list(*, buy: GroupBuy):
    """Every change of the buy with its answers: the history participants see."""
    return (
        PriceChange.objects.filter(buy_id=buy.pk)
        .select_related("item__offer", "new_offer")
        .prefetch_related(Prefetch("responses", queryset=PriceChangeResponse.objects.select_related("entry")))
        .order_by("-created_at", "-id")
    )


def price_change_open_list(*, entry: Entry) -> list[PriceChange]:
    answered = PriceChangeResponse.objects.filter(entry_id=entry.pk).values("change_id")
    return list(
        PriceChange.objects.filter(
            buy_id=entry.buy_id, status=ChangeStatus.OPEN, item__lines__entry_id=entry.pk, deadline__gt=timezone.now()
        )
        .exclude(pk__in=answered)
        .select_related("item__offer", "new_offer")
    )


def after_sale_list(*, buy: GroupBuy):
    """Reports of the buy; participants see them all (with masked identities)."""
    return (
        AfterSalesReport.objects.filter(buy_id=buy.pk)
        .select_related("entry__household__building", "item__offer")
        .prefetch_related("photos")
        .order_by("-created_at", "-id")
    )
