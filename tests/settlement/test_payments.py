from decimal import Decimal

import pytest

from core.errors import Conflict, PermissionRefused, ValidationFailed
from groupbuy.models import Entry
from groupbuy.services.buys import group_buy_cancel
from groupbuy.services.signup import signup_withdraw
from settlement.models import Payment, PaymentState, Refund, RefundReason, RefundState
from settlement.services.payments import (
    payment_confirm,
    payment_mark,
    payment_reject,
    refund_confirm,
    refund_mark_paid_back,
    refunds_create_for_entry,
    refunds_create_for_released_entries,
)
from tests.settlement.helpers import settlement_state

pytestmark = pytest.mark.django_db


def pay(closed, entry, membership, amount, staff=None):
    payment_mark(actor=membership.user, entry=entry, amount=amount, method="wechat")
    return payment_confirm(actor=(staff or closed.place.data_volunteer).user, entry=entry)


def test_resident_marks_paid_and_data_volunteer_confirms(closed, place):
    entry = closed.resident_entry
    assert entry.amount == Decimal("197.00")
    payment = payment_mark(actor=place.resident.user, entry=entry, amount="197", method="alipay", reference="ref1")
    assert (payment.state, payment.marked_amount, payment.paid) == (PaymentState.MARKED, Decimal("197"), 0)
    payment = payment_confirm(actor=place.data_volunteer.user, entry=entry, expected_amount="197.00")
    assert (payment.state, payment.marked_amount, payment.paid) == (PaymentState.CONFIRMED, 0, Decimal("197"))
    assert payment.confirmed_by == place.data_volunteer.user
    assert not Refund.objects.exists()


def test_marking_and_confirming_twice_changes_nothing(closed, place):
    entry = closed.resident_entry
    first = payment_mark(actor=place.resident.user, entry=entry, amount="197", method="wechat")
    again = payment_mark(actor=place.resident.user, entry=entry, amount="197", method="wechat")
    assert (again.pk, again.marked_at) == (first.pk, first.marked_at)
    payment_confirm(actor=place.leader.user, entry=entry)
    repeat = payment_confirm(actor=place.leader.user, entry=entry)
    assert repeat.paid == Decimal("197")
    assert Payment.objects.get(entry=entry).paid == Decimal("197")


@pytest.mark.parametrize("who", ["resident", "neighbour", "other_leader", "building_leader", "receiving_volunteer"])
def test_confirming_a_payment_not_yours_to_confirm_is_refused(closed, place, who):
    entry = closed.resident_entry
    payment_mark(actor=place.resident.user, entry=entry, amount="197", method="wechat")
    before = settlement_state(closed.buy)
    with pytest.raises(PermissionRefused):
        payment_confirm(actor=getattr(place, who).user, entry=entry)
    assert settlement_state(closed.buy) == before


def test_data_volunteer_of_another_community_cannot_confirm(closed, place, other_place):
    payment_mark(actor=place.resident.user, entry=closed.resident_entry, amount="197", method="wechat")
    before = settlement_state(closed.buy)
    with pytest.raises(PermissionRefused):
        payment_confirm(actor=other_place.data_volunteer.user, entry=closed.resident_entry)
    assert settlement_state(closed.buy) == before


def test_marking_someone_elses_entry_is_refused(closed, place):
    before = settlement_state(closed.buy)
    with pytest.raises(PermissionRefused) as exc:
        payment_mark(actor=place.neighbour.user, entry=closed.resident_entry, amount="197", method="wechat")
    assert exc.value.code == "forbidden" or exc.value.code == "not_your_entry"
    assert settlement_state(closed.buy) == before


@pytest.mark.parametrize(
    ("amount", "method", "code"),
    [
        ("0", "wechat", "invalid_amount"),
        ("-5", "wechat", "invalid_amount"),
        ("abc", "wechat", "invalid_amount"),
        ("1.234", "wechat", "invalid_amount"),
        ("NaN", "wechat", "invalid_amount"),
        ("10", "bitcoin", "invalid_method"),
    ],
)
def test_bad_payment_input_is_refused(closed, place, amount, method, code):
    before = settlement_state(closed.buy)
    with pytest.raises(ValidationFailed) as exc:
        payment_mark(actor=place.resident.user, entry=closed.resident_entry, amount=amount, method=method)
    assert exc.value.code == code
    assert settlement_state(closed.buy) == before


def test_confirming_an_unmarked_payment_is_refused(closed, place):
    with pytest.raises(Conflict) as exc:
        payment_confirm(actor=place.leader.user, entry=closed.resident_entry)
    assert exc.value.code == "payment_not_marked"


def test_confirming_a_changed_amount_is_refused(closed, place):
    payment_mark(actor=place.resident.user, entry=closed.resident_entry, amount="100", method="wechat")
    payment_mark(actor=place.resident.user, entry=closed.resident_entry, amount="197", method="wechat")
    before = settlement_state(closed.buy)
    with pytest.raises(Conflict) as exc:
        payment_confirm(actor=place.leader.user, entry=closed.resident_entry, expected_amount="100")
    assert exc.value.code == "payment_changed"
    assert settlement_state(closed.buy) == before


def test_rejecting_a_mark_returns_to_unpaid(closed, place):
    payment_mark(actor=place.resident.user, entry=closed.resident_entry, amount="197", method="cash")
    payment = payment_reject(actor=place.data_volunteer.user, entry=closed.resident_entry)
    assert (payment.state, payment.marked_amount, payment.paid) == (PaymentState.UNPAID, 0, 0)


def test_overpayment_becomes_a_refund_on_confirmation(closed, place):
    pay(closed, closed.resident_entry, place.resident, "200")
    refund = Refund.objects.get()
    assert (refund.amount, refund.reason, refund.state) == (Decimal("3.00"), RefundReason.OVERPAYMENT, RefundState.DUE)


def test_marking_again_when_nothing_is_due_is_refused(closed, place):
    pay(closed, closed.resident_entry, place.resident, "197")
    with pytest.raises(Conflict) as exc:
        payment_mark(actor=place.resident.user, entry=closed.resident_entry, amount="5", method="wechat")
    assert exc.value.code == "nothing_due"


def test_refund_goes_due_paid_back_received(closed, place):
    pay(closed, closed.resident_entry, place.resident, "200")
    refund = Refund.objects.get()
    with pytest.raises(Conflict) as exc:
        refund_confirm(actor=place.resident.user, refund=refund)
    assert exc.value.code == "refund_not_paid_back"
    with pytest.raises(PermissionRefused):
        refund_mark_paid_back(actor=place.resident.user, refund=refund)
    refund = refund_mark_paid_back(actor=place.leader.user, refund=refund)
    assert refund.state == RefundState.PAID_BACK
    refund = refund_confirm(actor=place.resident.user, refund=refund)
    assert refund.state == RefundState.CONFIRMED
    assert refund_confirm(actor=place.resident.user, refund=refund).state == RefundState.CONFIRMED


def test_withdrawal_after_payment_creates_a_refund_once(place):
    from groupbuy.factories import GroupBuyFactory, signup

    buy = GroupBuyFactory(community=place.community, leader=place.leader.user)
    entry = signup(buy, place.resident, 2)
    entry = Entry.objects.select_related("buy").get(pk=entry.pk)
    payment_mark(actor=place.resident.user, entry=entry, amount=str(entry.amount), method="wechat")
    payment_confirm(actor=place.leader.user, entry=entry)
    signup_withdraw(actor=place.resident.user, entry=entry)  # the withdrawal creates the refund itself
    refund = Refund.objects.get()
    assert (refund.entry_id, refund.amount, refund.reason) == (entry.pk, entry.amount, RefundReason.WITHDRAWN)
    assert refunds_create_for_entry(entry_id=entry.pk) is None  # a repeat of the hook adds nothing
    assert Refund.objects.count() == 1


def test_cancelled_buy_refunds_every_payment(place):
    from groupbuy.factories import GroupBuyFactory, signup

    buy = GroupBuyFactory(community=place.community, leader=place.leader.user)
    a = Entry.objects.select_related("buy").get(pk=signup(buy, place.resident, 2).pk)
    b = Entry.objects.select_related("buy").get(pk=signup(buy, place.neighbour, 1).pk)
    payment_mark(actor=place.resident.user, entry=a, amount=str(a.amount), method="wechat")
    payment_confirm(actor=place.leader.user, entry=a)
    payment_mark(actor=place.neighbour.user, entry=b, amount=str(b.amount), method="wechat")  # never confirmed
    group_buy_cancel(actor=place.leader.user, buy=buy, reason="supplier sold out")  # refunds as it releases
    assert refunds_create_for_released_entries(buy_id=buy.pk) == 0  # a repeat of the hook adds nothing
    refund = Refund.objects.get()
    assert (refund.entry_id, refund.amount, refund.reason) == (a.pk, a.amount, RefundReason.FAILED)


def test_manual_transfer_provider_never_confirms_by_itself():
    from settlement.providers import ManualTransferProvider, PaymentProvider, PaymentRequest, get_provider

    provider = get_provider("manual")
    assert isinstance(provider, ManualTransferProvider)
    assert isinstance(provider, PaymentProvider)
    assert provider.needs_human_confirmation is True
    result = provider.start_payment(PaymentRequest(entry_id=1, amount=Decimal("10"), payee_hint="王"))
    assert result.confirmed is False
    assert result.instructions
    assert provider.start_refund(entry_id=1, amount=Decimal("10")).confirmed is False
