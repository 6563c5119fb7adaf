"""What each entry owes, paid and got back: the reconciliation, a household's own money, refunds."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import DecimalField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from accounts.permissions import membership_for
from groupbuy.models import Entry, EntryLine, EntryStatus, GroupBuy
from settlement import exceptions as errors
from settlement.models import (
    ZERO,
    Adjustment,
    Payment,
    PaymentState,
    Refund,
    money,
)
from settlement.permissions import is_payment_staff

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


def entry_money_list(*, buy: GroupBuy) -> QuerySet[EntryWithMoney]:
    """Entries of the buy (all statuses) with their payment, credits and refunds in one query."""
    return (
        Entry.objects.filter(buy_id=buy.pk)
        .select_related("household__building", "payment", "placed_by")
        .annotate(
            credits=Coalesce(_sum_subquery(Adjustment), Value(ZERO), output_field=MONEY_FIELD),
            refunded=Coalesce(_sum_subquery(Refund), Value(ZERO), output_field=MONEY_FIELD),
        )
        .order_by("seq")
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


def reconciliation_get(*, user: User, buy: GroupBuy, unpaid_hours: int = 24, state: str = "") -> dict[str, Any]:
    """The leader's and data volunteers' view: totals, every entry's money, what needs attention."""
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
    return {"buy": buy, "rows": rows, "totals": dict(totals), "counts": dict(counts), "unpaid_hours": unpaid_hours}


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
