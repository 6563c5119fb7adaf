"""Who hears about settlement events. Every key is unique per event so repeats add nothing."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import Membership
from accounts.notifications import notification_send
from groupbuy.models import Entry
from groupbuy.settlement.models import Refund


def entry_user_ids(entry: Entry) -> set[int]:
    members = Membership.objects.filter(household_id=entry.household_id, is_active=True).values_list(
        "user_id", flat=True
    )
    return {*members, entry.placed_by_id}


def settlement_link(buy_id: int) -> str:
    return reverse("settlement:hub", kwargs={"pk": buy_id})


def notify_entry(*, entry: Entry, kind: str, dedupe_key: str, params: dict) -> None:
    buy = entry.buy
    notification_send(
        user_ids=entry_user_ids(entry),
        kind=kind,
        dedupe_key=dedupe_key,
        params={"title": buy.title, "buy_id": buy.pk, **params},
        link=settlement_link(buy.pk),
        community_id=buy.community_id,
    )


def notify_refund_due(*, refund: Refund) -> None:
    notify_entry(
        entry=refund.entry,
        kind="refund_due",
        dedupe_key=f"refund:{refund.pk}",
        params={"amount": str(refund.amount), "reason": refund.reason},
    )
