"""Duplicate buys: the same offer opened again within the window in the compound (split demand)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from groupbuy.models import (
    SIGNUP_STATES,
    BuyItem,
    BuyStatus,
    DuplicateBuyNotice,
    DuplicateReason,
    GroupBuy,
    Offer,
)

# Leaders agreed not to open the same product within a week of another buy in the compound (split demand).
DUPLICATE_WINDOW = datetime.timedelta(days=7)


@dataclass
class Duplicate:
    buy: GroupBuy
    reason: DuplicateReason

    def get_reason_display(self) -> str:
        return str(self.reason.label)


def duplicate_buys(*, community_id: int, offer_ids: list[int], exclude_buy_id: int | None = None) -> list[Duplicate]:
    """The one duplicate-buy rule: buys of the community taking sign-ups, or formed in the last 7 days (and
    not failed or cancelled), that sell one of these offers or an offer of the same supplier and category.
    group_buy_open refuses to open next to one unless confirmed; the buy form previews the same list."""
    if not offer_ids:
        return []
    offers = list(Offer.objects.filter(pk__in=offer_ids).values_list("pk", "supplier_id", "category"))
    same_kind = Q()
    for _pk, supplier_id, category in offers:
        if category:
            same_kind |= Q(items__offer__supplier_id=supplier_id, items__offer__category=category)
    since = timezone.now() - DUPLICATE_WINDOW
    rows = (
        GroupBuy.objects.filter(community_id=community_id)
        .filter(Q(status__in=list(SIGNUP_STATES)) | Q(formed_at__gte=since))
        .exclude(status__in=[BuyStatus.FAILED, BuyStatus.CANCELLED])
        .filter(Q(items__offer_id__in=offer_ids) | same_kind if same_kind else Q(items__offer_id__in=offer_ids))
        .select_related("leader")
        .distinct()
        .order_by("deadline", "pk")
    )
    if exclude_buy_id is not None:
        rows = rows.exclude(pk=exclude_buy_id)
    found = list(rows[:10])
    same_offer = set(
        BuyItem.objects.filter(buy__in=[b.pk for b in found], offer_id__in=offer_ids).values_list("buy_id", flat=True)
    )
    return [
        Duplicate(
            buy=b,
            reason=DuplicateReason.SAME_OFFER if b.pk in same_offer else DuplicateReason.SAME_SUPPLIER_CATEGORY,
        )
        for b in found
    ]


def duplicate_notice_list(*, community_id: int, limit: int = 20) -> list[DuplicateBuyNotice]:
    """Buys opened anyway next to a running one, for the leaders' board."""
    return list(
        DuplicateBuyNotice.objects.filter(community_id=community_id)
        .select_related("buy", "other_buy", "opened_by")
        .order_by("-created_at", "-id")[:limit]
    )
