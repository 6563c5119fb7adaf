"""What each entry owes, paid and got back: the reconciliation, a household's own money, refunds."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.db import models
from django.db.models import DecimalField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.permissions import Action, can, is_entry_owner, membership_for
from groupbuy.models import Entry, EntryLine, EntryStatus, GroupBuy
from settlement import exceptions as errors
from settlement.models import (
    ZERO,
    Adjustment,
    PayeeAccount,
    Payment,
    PaymentState,
    Refund,
    money,
)
from settlement.permissions import is_payment_staff
from settlement.selectors.payee import payee_for_buy, payee_qr_ready, transfer_note

MONEY_FIELD = DecimalField(max_digits=12, decimal_places=2)


# Shown (never stored) when everything paid for an entry has been refunded.
REFUNDED = "refunded"


def _sum_subquery(model: Any, field: str = "amount") -> Subquery:
    return Subquery(
        model.objects.filter(entry_id=OuterRef("pk"))
        .order_by()
        .values("entry_id")
        .annotate(s=Sum(field))
        .values("s")[:1],
        output_field=MONEY_FIELD,
    )


class _MoneyAnnotations(TypedDict):
    credits: Decimal
    refunded: Decimal


if TYPE_CHECKING:  # django_stubs_ext is a dev requirement; its two-argument form is for the type checker only
    from django_stubs_ext import WithAnnotations

    # An entry annotated by entry_money_list: the sums of its adjustments and refunds.
    EntryWithMoney = WithAnnotations[Entry, _MoneyAnnotations]


class EntryMoney(TypedDict):
    owed: Decimal
    paid: Decimal
    pending: Decimal
    refunded: Decimal
    due: Decimal
    balance: Decimal
    state: str
    method: str
    marked_at: datetime | None
    payment: Payment | None


def with_money(entries: QuerySet[Entry]) -> QuerySet[EntryWithMoney]:
    """`entries` with what money_of / payment_summary_of need: the payment row joined and the sums of
    adjustments and refunds annotated (one query for any number of entries, of any buys)."""
    return entries.select_related("payment").annotate(
        credits=Coalesce(_sum_subquery(Adjustment), Value(ZERO), output_field=MONEY_FIELD),
        refunded=Coalesce(_sum_subquery(Refund), Value(ZERO), output_field=MONEY_FIELD),
    )


def entry_money_list(*, buy: GroupBuy) -> QuerySet[EntryWithMoney]:
    """Entries of the buy (all statuses) with their payment, credits and refunds in one query."""
    return with_money(Entry.objects.filter(buy_id=buy.pk).select_related("household__building", "placed_by")).order_by(
        "seq"
    )


def money_of(entry: EntryWithMoney) -> EntryMoney:
    """owed / paid / pending / refunded / due / excess for an entry annotated by entry_money_list."""
    payment = getattr(entry, "payment", None) if hasattr(entry, "payment") else None
    owed = money(max(entry.amount + entry.credits, ZERO)) if entry.status == EntryStatus.ACTIVE else ZERO
    paid = payment.paid if payment else ZERO
    pending = payment.marked_amount if payment else ZERO
    net = paid - entry.refunded
    state = payment.state if payment else PaymentState.UNPAID
    if paid > 0 and pending == 0 and entry.refunded >= paid:
        state = REFUNDED
    return {
        "owed": owed,
        "paid": paid,
        "pending": pending,
        "refunded": entry.refunded,
        "due": money(owed - net - pending),
        "balance": money(net - owed),  # > 0: paid too much and not yet refunded
        "state": state,
        "method": payment.method if payment else "",
        "marked_at": payment.marked_at if payment else None,
        "payment": payment,
    }


class PayStage(models.TextChoices):
    """Where a household is with paying for one sign-up, as the resident reads it."""

    TO_PAY = "to_pay", _("To pay")
    AWAITING = "awaiting", _("Awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    REFUNDED = "refunded", _("Refunded")
    NOTHING = "nothing", _("Nothing to pay")


class PaymentSummary(TypedDict):
    """The three numbers a household sees, which always add up:
    amount_due == confirmed + awaiting + still_owed - overpaid.

    amount_due  what the sign-up costs now (0 once withdrawn or failed);
    confirmed   transfers the leader or a data volunteer confirmed, net of refunds;
    awaiting    what the household marked as sent and nobody has confirmed yet (待确认);
    still_owed  what is left to send; 0 once confirmed + awaiting cover the amount due;
    overpaid    sent beyond the amount due (a refund follows once confirmed); otherwise 0.
    pay_amount  what the pay form suggests: a new mark replaces an unconfirmed one, so it covers both.
    """

    amount_due: Decimal
    confirmed: Decimal
    awaiting: Decimal
    still_owed: Decimal
    overpaid: Decimal
    pay_amount: Decimal
    stage: str
    stage_label: str
    can_pay: bool


def payment_summary(info: EntryMoney, *, active: bool) -> PaymentSummary:
    """The household's three numbers and stage from money_of's result (the one place they are computed)."""
    confirmed = money(info["paid"] - info["refunded"])
    awaiting = info["pending"]
    rest = money(info["owed"] - confirmed - awaiting)
    still_owed = max(rest, ZERO)
    if info["state"] == REFUNDED:
        stage = PayStage.REFUNDED
    elif awaiting > 0:
        stage = PayStage.AWAITING
    elif still_owed > 0:
        stage = PayStage.TO_PAY
    elif confirmed > 0:
        stage = PayStage.CONFIRMED
    else:
        stage = PayStage.NOTHING
    return {
        "amount_due": info["owed"],
        "confirmed": confirmed,
        "awaiting": awaiting,
        "still_owed": still_owed,
        "overpaid": max(-rest, ZERO),
        "pay_amount": money(still_owed + awaiting),
        "stage": stage.value,
        "stage_label": str(stage.label),
        # A mark is taken while something is owed, and an unconfirmed one may be corrected.
        "can_pay": active and (still_owed > 0 or stage == PayStage.AWAITING),
    }


def payment_summary_of(entry: EntryWithMoney) -> PaymentSummary:
    """payment_summary for an entry annotated by with_money / entry_money_list / my_entry_get."""
    return payment_summary(money_of(entry), active=entry.status == EntryStatus.ACTIVE)


def reconciliation_row_list(*, buy: GroupBuy) -> list[dict[str, Any]]:
    rows = []
    for entry in entry_money_list(buy=buy):
        info = money_of(entry)
        if entry.status != EntryStatus.ACTIVE and info["paid"] == 0 and info["pending"] == 0:
            continue
        rows.append({"entry": entry, **info})
    return rows


# "Unpaid too long" is counted over at most 90 days (the API refuses more: timedelta overflows far beyond).
UNPAID_HOURS_MAX = 24 * 90


def reconciliation_get(
    *, user: User, buy: GroupBuy, unpaid_hours: int = 24, state: str = "", marked_first: bool = False
) -> dict[str, Any]:
    """The leader's and data volunteers' view: totals, every entry's money, what needs attention.
    Rows go by 接龙 number; with `marked_first`, those waiting for confirmation (待确认) come first."""
    if not is_payment_staff(user, buy):
        raise errors.forbidden()
    rows = reconciliation_row_list(buy=buy)
    since = buy.closed_at or buy.created_at
    overdue_before = timezone.now() - timedelta(hours=min(max(unpaid_hours, 0), UNPAID_HOURS_MAX))
    totals: defaultdict[str, Decimal] = defaultdict(lambda: Decimal("0"))
    counts: defaultdict[str, int] = defaultdict(int)
    for row in rows:
        totals["expected"] += row["owed"]
        totals["marked"] += row["pending"]
        totals["confirmed"] += row["paid"]
        totals["refunded"] += row["refunded"]
        row["overdue"] = row["state"] == PaymentState.UNPAID and row["owed"] > 0 and since <= overdue_before
        row["mismatch"] = row["state"] == PaymentState.MARKED and row["due"] != 0
        row["overpaid"] = row["balance"] > 0
        counts[row["state"]] += 1
        counts["overdue"] += row["overdue"]
        counts["mismatch"] += row["mismatch"]
        counts["overpaid"] += row["overpaid"]
    totals["outstanding"] = totals["expected"] - (totals["confirmed"] - totals["refunded"])
    if state == "attention":
        rows = [r for r in rows if r["overdue"] or r["mismatch"] or r["overpaid"] or r["state"] == PaymentState.MARKED]
    elif state in (*PaymentState.values, REFUNDED):
        rows = [r for r in rows if r["state"] == state]
    if marked_first:
        rows.sort(key=lambda r: r["state"] != PaymentState.MARKED)  # stable: 接龙 order within each group
    return {"buy": buy, "rows": rows, "totals": dict(totals), "counts": dict(counts), "unpaid_hours": unpaid_hours}


class PayPage(TypedDict):
    entry: EntryWithMoney
    summary: PaymentSummary
    payee: PayeeAccount | None
    payee_qr_ready: bool
    note: str


def pay_page_get(*, user: User, entry_id: int) -> PayPage:
    """What the payment page and its API show: the entry with its money, the three numbers, who to pay and the
    transfer note. Only the entry's owner (accounts.permissions.is_entry_owner) or payment staff see it; another
    community's entry is not found."""
    entry = (
        with_money(Entry.objects.filter(pk=entry_id).select_related("buy__leader", "household__building"))
        .prefetch_related(Prefetch("lines", queryset=EntryLine.objects.select_related("item__offer").order_by("pk")))
        .first()
    )
    if entry is None or not can(user, Action.VIEW, entry.buy.community_id):
        raise errors.not_found()
    if not is_entry_owner(user, entry) and not is_payment_staff(user, entry.buy):
        raise errors.not_your_entry()
    payee = payee_for_buy(buy=entry.buy)
    return {
        "entry": entry,
        "summary": payment_summary_of(entry),
        "payee": payee,
        "payee_qr_ready": payee_qr_ready(payee),
        "note": transfer_note(entry),
    }


def my_entry_get(*, user: User, buy: GroupBuy) -> EntryWithMoney | None:
    """The user's household's entry (the live one, else the latest), with its money."""
    membership = membership_for(user, buy.community_id)
    if membership is None or not membership.household_id:
        return None
    qs = entry_money_list(buy=buy).filter(household_id=membership.household_id)
    qs = qs.prefetch_related(
        Prefetch("lines", queryset=EntryLine.objects.select_related("item__offer").order_by("pk")),
        Prefetch("refunds", queryset=Refund.objects.order_by("pk")),
    )
    return qs.filter(status=EntryStatus.ACTIVE).first() or qs.order_by("-seq").first()


def refund_list(*, user: User, buy: GroupBuy):
    """All refunds of the buy for payment staff; only the user's household's otherwise."""
    qs = Refund.objects.filter(buy_id=buy.pk).select_related("entry__household__building").order_by("pk")
    if is_payment_staff(user, buy):
        return qs
    membership = membership_for(user, buy.community_id)
    household_id = membership.household_id if membership else None
    return qs.filter(Q(entry__household_id=household_id) | Q(entry__placed_by=user))
