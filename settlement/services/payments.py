"""Payments per entry (unpaid -> marked -> confirmed), refunds (due -> paid back -> received),
reminders, and the refund hooks the sign-up/close services call."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.notifications import notification_send
from core.enqueue import enqueue_task_on_commit
from core.errors import PermissionRefused
from groupbuy.models import BuyStatus, Entry, EntryStatus, GroupBuy
from settlement import exceptions as errors
from settlement.models import Payment, PaymentMethod, PaymentState, Refund, RefundReason, RefundState, money
from settlement.permissions import (
    require_own_entry,
    require_payment_confirmer,
    require_payment_staff,
    require_refund_settler,
)
from settlement.selectors import reconciliation_row_list
from settlement.selectors.orders import Tab
from settlement.services.common import (
    entry_owed,
    entry_refunded,
    lock_payment,
    parse_money,
    reason_for_inactive,
    refund_excess,
)
from settlement.services.notify import entry_card_link, entry_user_ids, notify_refund_paid_back
from settlement.services.photos import photo_prefix, photo_recorded
from settlement.uploads import stored_photos

# A resident may pay from sign-up until the goods are handed out.
PAYABLE_STATES = (
    BuyStatus.OPEN,
    BuyStatus.FORMED,
    BuyStatus.CLOSED,
    BuyStatus.ORDERED,
    BuyStatus.FILED,
    BuyStatus.APPROVED,
    BuyStatus.ON_HOLD,
    BuyStatus.ARRIVED,
    BuyStatus.DISINFECTED,
    BuyStatus.RELEASED,
    BuyStatus.DISTRIBUTING,
    BuyStatus.COMPLETED,
)
# How far a mark may exceed what is still due (a round-up, a small tip): a larger one is a typo or a fake that
# would come back out as an "overpayment" refund.
MAX_OVERPAYMENT = Decimal("100.00")


def balance_due(entry: Entry, payment: Payment | None) -> Decimal:
    """What the household still has to send (owed minus confirmed net of refunds and pending marks)."""
    paid = payment.paid if payment else Decimal("0")
    pending = payment.marked_amount if payment else Decimal("0")
    return money(entry_owed(entry) - (paid - entry_refunded(entry.pk)) - pending)


def payment_mark(
    *,
    actor: User,
    entry: Entry,
    amount: Any,
    method: str,
    reference: str = "",
    screenshot: Any = None,
) -> Payment:
    """The resident (or a data volunteer / the leader recording cash) says the money was sent.

    A repeat with the same amount and method changes nothing. While not yet confirmed the
    amount may be corrected. After confirmation a new mark is a top-up and is only
    accepted while something is still due (after an accepted price increase).
    """
    buy = entry.buy
    try:
        require_own_entry(actor, entry)
    except PermissionRefused:
        require_payment_staff(actor, buy)
    value = parse_money(amount, field="amount")
    if value <= 0:
        raise errors.invalid_amount(field="amount")
    if method not in PaymentMethod.values:
        raise errors.invalid_method(field="method")
    if entry.status != EntryStatus.ACTIVE:
        raise errors.entry_not_active()
    if buy.status not in PAYABLE_STATES:
        raise errors.not_payable()
    reference = (reference or "").strip()[:100]

    shots = [screenshot] if screenshot else []
    with stored_photos(shots, user_id=actor.pk, prefix=photo_prefix("payment")) as names:
        with transaction.atomic():
            payment = lock_payment(entry)
            entry.refresh_from_db(fields=["status", "amount", "units"])
            if entry.status != EntryStatus.ACTIVE:
                raise errors.entry_not_active()
            if payment.state == PaymentState.MARKED and payment.marked_amount == value and payment.method == method:
                if names:
                    Payment.objects.filter(pk=payment.pk).update(screenshot=names[0])
                    photo_recorded(kind="payment", pk=payment.pk, replaced=payment.screenshot)
                    payment.screenshot = names[0]
                return payment
            if payment.state == PaymentState.CONFIRMED:
                due = balance_due(entry, payment)
                if due <= 0:
                    raise errors.nothing_due()
            still_owed = entry_owed(entry) - (payment.paid - entry_refunded(entry.pk))
            most = money(max(still_owed, Decimal("0")) + MAX_OVERPAYMENT)
            if value > most:
                raise errors.amount_too_high(most=most)
            fields = {
                "state": PaymentState.MARKED,
                "marked_amount": value,
                "method": method,
                "reference": reference,
                "marked_by": actor,
                "marked_at": timezone.now(),
            }
            if names:
                fields["screenshot"] = names[0]
            Payment.objects.filter(pk=payment.pk, state=payment.state).update(**fields)
            if names:
                photo_recorded(kind="payment", pk=payment.pk, replaced=payment.screenshot)
            payment.refresh_from_db()
            return payment


def payment_confirm(*, actor: User, entry: Entry, expected_amount: Any = None) -> Payment:
    """A data volunteer or the buy's leader confirms the marked amount arrived. Repeats change nothing.

    `expected_amount` is the amount the confirmer saw; if the resident changed it meanwhile the
    confirmation is refused rather than confirming a number nobody checked.
    """
    require_payment_confirmer(actor, entry)
    expected = parse_money(expected_amount, field="amount") if expected_amount not in (None, "") else None
    with transaction.atomic():
        payment = lock_payment(entry)
        if payment.state == PaymentState.CONFIRMED:
            return payment
        if payment.state != PaymentState.MARKED:
            raise errors.payment_not_marked()
        if expected is not None and expected != payment.marked_amount:
            raise errors.payment_changed()
        Payment.objects.filter(pk=payment.pk, state=PaymentState.MARKED).update(
            state=PaymentState.CONFIRMED,
            paid=payment.paid + payment.marked_amount,
            marked_amount=0,
            confirmed_by=actor,
            confirmed_at=timezone.now(),
        )
        entry.refresh_from_db(fields=["status", "amount", "units"])
        reason = RefundReason.OVERPAYMENT if entry.status == EntryStatus.ACTIVE else reason_for_inactive(entry)
        refund_excess(entry=entry, reason=reason)
        payment.refresh_from_db()
        return payment


def payment_reject(*, actor: User, entry: Entry) -> Payment:
    """The money never arrived: drop the unconfirmed mark (back to unpaid, or to confirmed for a top-up)."""
    require_payment_staff(actor, entry.buy)
    with transaction.atomic():
        payment = lock_payment(entry)
        if payment.state != PaymentState.MARKED:
            raise errors.payment_not_marked()
        back = PaymentState.CONFIRMED if payment.paid > 0 else PaymentState.UNPAID
        Payment.objects.filter(pk=payment.pk, state=PaymentState.MARKED).update(state=back, marked_amount=0)
        payment.refresh_from_db()
        return payment


def refund_mark_paid_back(*, actor: User, refund: Refund) -> Refund:
    """Payment staff sent the money back (never to their own household; an overpayment by a second person)."""
    require_refund_settler(actor, refund)
    changed = Refund.objects.filter(pk=refund.pk, state=RefundState.DUE).update(
        state=RefundState.PAID_BACK, paid_back_by=actor, paid_back_at=timezone.now()
    )
    refund.refresh_from_db()
    if changed:  # the household is asked to confirm it arrived (once: the key names the refund)
        notify_refund_paid_back(refund=refund)
    return refund


def refund_confirm(*, actor: User, refund: Refund) -> Refund:
    """The household (or payment staff) confirms the money came back. Repeats change nothing."""
    entry = refund.entry
    try:
        require_own_entry(actor, entry)
    except PermissionRefused:
        require_payment_staff(actor, refund.buy)
        if refund.paid_back_by_id == actor.pk:
            raise errors.second_person_required() from None  # whoever paid it back cannot also attest it arrived
    changed = Refund.objects.filter(pk=refund.pk, state=RefundState.PAID_BACK).update(
        state=RefundState.CONFIRMED, confirmed_by=actor, confirmed_at=timezone.now()
    )
    refund.refresh_from_db()
    if not changed and refund.state == RefundState.DUE:
        raise errors.refund_not_paid_back()
    return refund


# --- hooks for the sign-up / close services ---------------------------------


def refunds_create_for_entry(*, entry_id: int) -> Refund | None:
    """After an entry was withdrawn or reduced: refund whatever was paid beyond what it now owes."""
    entry = Entry.objects.select_related("buy").get(pk=entry_id)
    with transaction.atomic():
        lock_payment(entry)
        entry.refresh_from_db(fields=["status", "amount", "units"])
        reason = RefundReason.OVERPAYMENT if entry.status == EntryStatus.ACTIVE else reason_for_inactive(entry)
        return refund_excess(entry=entry, reason=reason)


def refunds_create_for_released_entries(*, buy_id: int) -> int:
    """After a buy failed or was cancelled (or entries were withdrawn): a refund for every payment
    that is no longer owed. Idempotent; returns how many refunds it created."""
    entry_ids = list(
        Payment.objects.filter(buy_id=buy_id, paid__gt=0)
        .exclude(entry__status=EntryStatus.ACTIVE)
        .order_by("entry_id")
        .values_list("entry_id", flat=True)
    )
    created = 0
    for entry_id in entry_ids:
        if refunds_create_for_entry(entry_id=entry_id) is not None:
            created += 1
    return created


# --- reminders --------------------------------------------------------------


def payment_reminders_send(*, buy_id: int, today: Any = None) -> int:
    """Remind every household that still owes money; at most once per day per buy. Returns users addressed."""
    buy = GroupBuy.objects.get(pk=buy_id)
    if buy.status not in PAYABLE_STATES:
        return 0
    day = today or timezone.localdate()
    addressed = 0
    for row in reconciliation_row_list(buy=buy):
        if row["due"] > 0 and row["state"] != PaymentState.MARKED:
            entry = row["entry"]
            addressed += notification_send(
                user_ids=entry_user_ids(entry),
                kind="payment_reminder",
                dedupe_key=f"buy:{buy.pk}:payment_reminder:{day.isoformat()}",
                params={"title": buy.title, "buy_id": buy.pk, "amount": str(row["due"])},
                link=entry_card_link(entry_id=entry.pk, tab=Tab.PAY),
                community_id=buy.community_id,
            )
    return addressed


def payment_reminders_request(*, actor: User, buy: GroupBuy) -> None:
    """The leader or a data volunteer asks for reminders; sent by a task after commit."""
    require_payment_staff(actor, buy)
    if buy.status not in PAYABLE_STATES:
        raise errors.not_payable()
    enqueue_task_on_commit("settlement.send_payment_reminders", buy.pk)
