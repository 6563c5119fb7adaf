"""我的订单, the resident's hub: one card per entry of the user's households (and entries they placed for a
neighbour, as groupbuy's entry_list_mine decides), each with its payment, delivery, pickup code and after-sales,
sorted into four tabs. The whole list in a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from groupbuy import selectors as groupbuy_selectors
from groupbuy.models import BuyStatus, Entry, EntryStatus
from settlement.models import AfterSalesReport, PickupCode, PickupState, Refund, RefundState, ReportState
from settlement.selectors.distribution import HANDOVER_STATES
from settlement.selectors.money import PaymentSummary, payment_summary_of, with_money


class Tab:
    """The hub's tabs, in the order shown (the query parameter `tab`)."""

    PAY = "pay"  # 待付款: something is still owed
    RECEIVE = "receive"  # 待收货: paid (or awaiting confirmation), goods not yet picked up
    DONE = "done"  # 已完成: picked up, the buy completed, or left / not formed
    AFTER = "after"  # 售后: an open after-sales report or a refund not yet received

    ORDER = (PAY, RECEIVE, DONE, AFTER)
    LABELS = {PAY: _("To pay"), RECEIVE: _("To receive"), DONE: _("Completed"), AFTER: _("After-sales")}
    # The tab opened without ?tab=: the first of these with a card in it.
    DEFAULT_ORDER = (PAY, RECEIVE, AFTER, DONE)


# Where the goods are, as the resident reads it: the buy's status grouped into a few stages, then the
# household's own hand-over (PickupCode.state) and the entry's own end (withdrawn).
DELIVERY_LABELS = {
    "open": _("Sign-up open"),
    "closed": _("List closed"),
    "ordered": _("Ordered from the supplier"),
    "on_hold": _("Deliveries on hold"),
    "delivered": _("Arrived at the gate"),
    "released": _("Ready for pickup"),
    "picked_up": _("Picked up"),
    "picked_up_in_part": _("Picked up in part"),
    "completed": _("Completed"),
    "failed": _("Did not form"),
    "cancelled": _("Cancelled"),
    "withdrawn": _("You left the list"),
}
_STAGE_OF_STATUS = {
    BuyStatus.DRAFT: "open",
    BuyStatus.OPEN: "open",
    BuyStatus.FORMED: "open",
    BuyStatus.CLOSED: "closed",
    BuyStatus.ORDERED: "ordered",
    BuyStatus.FILED: "ordered",
    BuyStatus.APPROVED: "ordered",
    BuyStatus.ON_HOLD: "on_hold",
    BuyStatus.ARRIVED: "delivered",
    BuyStatus.DISINFECTED: "delivered",
    BuyStatus.RELEASED: "released",
    BuyStatus.DISTRIBUTING: "released",
    BuyStatus.COMPLETED: "completed",
    BuyStatus.FAILED: "failed",
    BuyStatus.CANCELLED: "cancelled",
}
# A pickup code may be issued when the list freezes (to print labels) but is announced, and shown to the
# household, only once the goods are released (settlement.services.distribution.pickup_ready_notify).
PICKUP_SHOWN_STATUSES = (*HANDOVER_STATES, BuyStatus.COMPLETED)
# Stages at which the goods are in the household's hands, so a problem with them can be reported.
_GOODS_RECEIVED = ("released", "picked_up", "picked_up_in_part", "completed")


@dataclass
class OrderCard:
    entry: Entry
    pay: PaymentSummary
    delivery: str
    pickup: PickupCode | None  # only once the goods are released, until they are picked up
    refunds: list[Refund]
    reports: list[AfterSalesReport]
    tab: str
    lines: list[Any] = field(default_factory=list)
    first_of_buy: bool = False  # the first card of its buy in the tab shown: it carries the buy's anchor

    @property
    def anchor(self) -> str:
        return entry_anchor(self.entry.pk)

    @property
    def buy_anchor(self) -> str:
        return buy_anchor(self.entry.buy_id)

    @property
    def delivery_label(self) -> str:
        return str(DELIVERY_LABELS[self.delivery])

    @property
    def must_pay(self) -> bool:
        """Something is still owed: the 去付款 button."""
        return self.entry.status == EntryStatus.ACTIVE and self.pay["still_owed"] > 0

    @property
    def can_change(self) -> bool:
        return self.entry.status == EntryStatus.ACTIVE and self.entry.buy.is_signup_open

    @property
    def can_report(self) -> bool:
        return self.entry.status == EntryStatus.ACTIVE and self.delivery in _GOODS_RECEIVED

    @property
    def refunds_pending(self) -> list[Refund]:
        return [r for r in self.refunds if r.state != RefundState.CONFIRMED]


def entry_anchor(entry_id: int) -> str:
    """The id of an entry's card on 我的订单 (the fragment notices link to)."""
    return f"entry-{entry_id}"


def buy_anchor(buy_id: int) -> str:
    """The id of the first card of a buy on 我的订单 (for a notice sent to every household of the buy)."""
    return f"buy-{buy_id}"


def _delivery(entry: Entry, pickup: PickupCode | None) -> str:
    if entry.status == EntryStatus.WITHDRAWN:
        return "withdrawn"
    if pickup is not None and pickup.state == PickupState.HANDED_OVER:
        return "picked_up"
    if pickup is not None and pickup.state == PickupState.PARTIAL:
        return "picked_up_in_part"
    return _STAGE_OF_STATUS[BuyStatus(entry.buy.status)]


def _tab(
    entry: Entry, pay: PaymentSummary, delivery: str, refunds: list[Refund], reports: list[AfterSalesReport]
) -> str:
    if entry.status == EntryStatus.ACTIVE and pay["still_owed"] > 0:
        return Tab.PAY
    if any(r.state == ReportState.OPEN for r in reports) or any(r.state != RefundState.CONFIRMED for r in refunds):
        return Tab.AFTER
    # Picked up in part is not done: the rest is still to come, with the same code.
    if entry.status != EntryStatus.ACTIVE or delivery in ("picked_up", "completed"):
        return Tab.DONE
    return Tab.RECEIVE


def order_card_list(*, user: User) -> list[OrderCard]:
    """The user's cards, newest first: the entries groupbuy's entry_list_mine shows this user (their households'
    and those they placed), with money from the one money selector (payment_summary_of). Six queries."""
    entries = groupbuy_selectors.entry_list_mine(user=user)
    settled = {
        entry.pk: entry
        for entry in with_money(Entry.objects.filter(pk__in=[e.pk for e in entries]))
        .select_related("pickup")
        .prefetch_related(
            Prefetch("refunds", queryset=Refund.objects.order_by("pk")),
            Prefetch("after_sales", queryset=AfterSalesReport.objects.select_related("item__offer").order_by("pk")),
        )
    }
    cards = []
    for entry in entries:
        money_row = settled[entry.pk]
        pay = payment_summary_of(money_row)
        pickup = getattr(money_row, "pickup", None) if hasattr(money_row, "pickup") else None
        delivery = _delivery(entry, pickup)
        refunds = list(money_row.refunds.all())
        reports = list(money_row.after_sales.all())
        shown = (
            pickup
            if pickup is not None
            and entry.status == EntryStatus.ACTIVE
            and entry.buy.status in PICKUP_SHOWN_STATUSES
            and pickup.state != PickupState.HANDED_OVER
            else None
        )
        cards.append(
            OrderCard(
                entry=entry,
                pay=pay,
                delivery=delivery,
                pickup=shown,
                refunds=refunds,
                reports=reports,
                tab=_tab(entry, pay, delivery, refunds, reports),
                lines=list(entry.lines.all()),
            )
        )
    return cards


@dataclass
class OrderHub:
    tab: str
    cards: list[OrderCard]  # those of the tab shown
    counts: dict[str, int]

    @property
    def tabs(self) -> list[dict[str, Any]]:
        return [
            {"key": key, "label": Tab.LABELS[key], "count": self.counts[key], "current": key == self.tab}
            for key in Tab.ORDER
        ]


def order_hub_get(*, user: User, tab: str = "", entry_id: Any = None, buy_id: Any = None) -> OrderHub:
    """我的订单 for `user`: the cards of one tab and the count of each. The tab is the one holding the card a
    notice points at (`entry_id`, or the user's entry in `buy_id`), wherever it has moved since, else `tab` if
    it is one, else the first non-empty of Tab.DEFAULT_ORDER."""
    cards = order_card_list(user=user)
    counts = dict.fromkeys(Tab.ORDER, 0)
    for card in cards:
        counts[card.tab] += 1
    wanted = None
    if entry_id or buy_id:
        wanted = next(
            (
                c.tab
                for c in cards
                if (entry_id and str(c.entry.pk) == str(entry_id)) or (buy_id and str(c.entry.buy_id) == str(buy_id))
            ),
            None,
        )
    if wanted is None and tab in Tab.ORDER:
        wanted = tab
    if wanted is None:
        wanted = next((key for key in Tab.DEFAULT_ORDER if counts[key]), Tab.PAY)
    shown = [c for c in cards if c.tab == wanted]
    seen: set[int] = set()
    for card in shown:
        card.first_of_buy = card.entry.buy_id not in seen
        seen.add(card.entry.buy_id)
    return OrderHub(tab=wanted, cards=shown, counts=counts)
