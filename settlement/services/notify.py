"""Who hears about settlement events. Every key is unique per event so repeats add nothing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from accounts.models import Membership
from accounts.notifications import notification_send, notification_send_each
from groupbuy.models import Entry, GroupBuy
from settlement.models import Refund
from settlement.selectors.orders import Tab, buy_anchor, entry_anchor


def entry_user_ids(entry: Entry) -> set[int]:
    members = Membership.objects.filter(household_id=entry.household_id, is_active=True).values_list(
        "user_id", flat=True
    )
    return {*members, entry.placed_by_id}


def settlement_link(buy_id: int) -> str:
    return reverse("settlement:hub", kwargs={"pk": buy_id})


def entry_card_link(*, entry_id: int, tab: str) -> str:
    """The entry's card on 我的订单 (/buys/mine/?tab=…&entry=…#entry-…), where a notice about one household's
    entry leads. The page opens the tab holding the entry when the notice is read (it may have moved since:
    paid after a reminder); `tab` is the one it is in when the notice is sent."""
    query = urlencode({"tab": tab, "entry": entry_id})
    return f"{reverse('groupbuy:my_entries')}?{query}#{entry_anchor(entry_id)}"


def buy_card_link(*, buy_id: int, tab: str) -> str:
    """The card of the reader's entry in a buy on 我的订单 (/buys/mine/?tab=…&buy=…#buy-…), for a notice sent to
    many households with one link (notification_send_each writes one link per call)."""
    query = urlencode({"tab": tab, "buy": buy_id})
    return f"{reverse('groupbuy:my_entries')}?{query}#{buy_anchor(buy_id)}"


def notify_entry(*, entry: Entry, kind: str, dedupe_key: str, params: dict, link: str = "") -> None:
    """`kind` to the entry's household and whoever placed it; `link` defaults to the buy's settlement page."""
    buy = entry.buy
    notification_send(
        user_ids=entry_user_ids(entry),
        kind=kind,
        dedupe_key=dedupe_key,
        params={"title": buy.title, "buy_id": buy.pk, **params},
        link=link or settlement_link(buy.pk),
        community_id=buy.community_id,
    )


def notify_entries_each(
    *, buy: GroupBuy, kind: str, notices: Iterable[tuple[Entry, str, dict[str, Any]]], link: str = ""
) -> int:
    """`kind` to the people of several entries of `buy`, each entry with its own key and parameters
    (one query for the households' members, one INSERT); `link` defaults to the buy's settlement page."""
    notices = list(notices)
    members: dict[int, set[int]] = defaultdict(set)
    for household_id, user_id in Membership.objects.filter(
        household_id__in={entry.household_id for entry, _key, _params in notices}, is_active=True
    ).values_list("household_id", "user_id"):
        members[household_id].add(user_id)
    return notification_send_each(
        kind=kind,
        notices=[
            (
                {*members[entry.household_id], entry.placed_by_id},
                dedupe_key,
                {"title": buy.title, "buy_id": buy.pk, **params},
            )
            for entry, dedupe_key, params in notices
        ],
        link=link or settlement_link(buy.pk),
        community_id=buy.community_id,
    )


def notify_refund_due(*, refund: Refund) -> None:
    notify_entry(
        entry=refund.entry,
        kind="refund_due",
        dedupe_key=f"refund:{refund.pk}",
        params={"amount": str(refund.amount), "reason": refund.reason},
        link=entry_card_link(entry_id=refund.entry_id, tab=Tab.AFTER),
    )


def notify_refund_paid_back(*, refund: Refund) -> None:
    """The refund was sent back: the household confirms once it arrives (a notice that needs action: SMS too)."""
    notify_entry(
        entry=refund.entry,
        kind="refund_paid_back",
        dedupe_key=f"refund:{refund.pk}:paid_back",
        params={"amount": str(refund.amount)},
        link=entry_card_link(entry_id=refund.entry_id, tab=Tab.AFTER),
    )
