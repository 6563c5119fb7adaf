"""Issue 13 item 2: nobody confirms their own payment or settles a refund to themselves; an overpayment
refund needs a second person; a marked amount cannot be absurd. Service, API and page alike."""

from decimal import Decimal

import pytest
from django.urls import reverse

from core.errors import PermissionRefused, ValidationFailed
from groupbuy.models import Entry
from settlement.models import Payment, PaymentState, Refund, RefundReason, RefundState
from settlement.services.payments import (
    payment_confirm,
    payment_mark,
    refund_confirm,
    refund_mark_paid_back,
)
from tests.settlement.helpers import settlement_state

pytestmark = pytest.mark.django_db

STAFF = ["leader", "data_volunteer"]


@pytest.fixture
def staff_signed_up(make_closed, place):
    """A closed buy in which the buy's leader and the data volunteer signed up for their own households too."""
    closed = make_closed(extra_signups=[(place.leader, 1), (place.data_volunteer, 2)])
    entries = {
        who: Entry.objects.select_related("buy", "household__building").get(
            buy=closed.buy, household=getattr(place, who).household
        )
        for who in STAFF
    }
    return closed, entries


def _other(who):
    return "data_volunteer" if who == "leader" else "leader"


# --- confirming one's own payment ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", STAFF)
def test_staff_confirming_their_own_households_payment_is_refused(staff_signed_up, place, who):
    closed, entries = staff_signed_up
    entry = entries[who]
    payment_mark(actor=getattr(place, who).user, entry=entry, amount=str(entry.amount), method="cash")
    before = settlement_state(closed.buy)
    with pytest.raises(PermissionRefused) as exc:
        payment_confirm(actor=getattr(place, who).user, entry=entry)
    assert exc.value.code == "own_payment"
    assert settlement_state(closed.buy) == before
    # Someone else confirms it.
    payment = payment_confirm(actor=getattr(place, _other(who)).user, entry=entry)
    assert (payment.state, payment.paid) == (PaymentState.CONFIRMED, entry.amount)


def test_confirming_an_entry_one_placed_for_a_neighbour_is_refused(make_closed, place):
    """An entry a data volunteer placed for someone else counts as theirs: they marked it, they cannot confirm it."""
    closed = make_closed()
    Entry.objects.filter(pk=closed.resident_entry.pk).update(placed_by=place.data_volunteer.user)
    entry = Entry.objects.select_related("buy").get(pk=closed.resident_entry.pk)
    payment_mark(actor=place.resident.user, entry=entry, amount="197", method="wechat")
    with pytest.raises(PermissionRefused) as exc:
        payment_confirm(actor=place.data_volunteer.user, entry=entry)
    assert exc.value.code == "own_payment"
    assert Payment.objects.get(entry=entry).state == PaymentState.MARKED


@pytest.mark.parametrize("who", STAFF)
def test_staff_confirming_their_own_payment_through_the_api_is_refused(staff_signed_up, place, api, who):
    closed, entries = staff_signed_up
    entry = entries[who]
    client = api(getattr(place, who).user)
    r = client.post(f"/api/settlement/entries/{entry.pk}/payment/", {"amount": "5000", "method": "cash"}, format="json")
    assert (r.status_code, r.json()["code"]) == (400, "amount_too_high")
    r = client.post(
        f"/api/settlement/entries/{entry.pk}/payment/", {"amount": str(entry.amount), "method": "cash"}, format="json"
    )
    assert r.status_code == 200
    before = settlement_state(closed.buy)
    r = client.post(f"/api/settlement/entries/{entry.pk}/payment/confirm/", {}, format="json")
    assert (r.status_code, r.json()["code"]) == (403, "own_payment")
    assert settlement_state(closed.buy) == before


@pytest.mark.parametrize("who", STAFF)
def test_staff_confirming_their_own_payment_on_the_page_is_refused(staff_signed_up, place, web, who):
    closed, entries = staff_signed_up
    entry = entries[who]
    payment_mark(actor=getattr(place, who).user, entry=entry, amount=str(entry.amount), method="cash")
    before = settlement_state(closed.buy)
    client = web(getattr(place, who).user)
    response = client.post(
        reverse("settlement:confirm", kwargs={"entry_pk": entry.pk}), {"amount": str(entry.amount)}, follow=True
    )
    assert response.status_code == 200
    assert "You cannot confirm a payment for your own household&#x27;s sign-up." in response.content.decode()
    assert settlement_state(closed.buy) == before


# --- absurd amounts ----------------------------------------------------------------------------------------------


def test_marking_far_more_than_is_due_is_refused(closed, place):
    before = settlement_state(closed.buy)
    with pytest.raises(ValidationFailed) as exc:
        payment_mark(actor=place.resident.user, entry=closed.resident_entry, amount="5000", method="wechat")
    assert exc.value.code == "amount_too_high"
    assert exc.value.detail == {"field": "amount", "max": "297.00"}  # 197 due + at most 100 over
    assert settlement_state(closed.buy) == before
    payment = payment_mark(actor=place.resident.user, entry=closed.resident_entry, amount="297", method="wechat")
    assert payment.marked_amount == Decimal("297")


def test_marking_far_more_than_is_due_on_the_page_is_refused(closed, place, web):
    before = settlement_state(closed.buy)
    response = web(place.resident.user).post(
        reverse("settlement:pay", kwargs={"entry_pk": closed.resident_entry.pk}), {"amount": "5000", "method": "wechat"}
    )
    assert response.status_code == 400
    assert "That is more than is due on this sign-up (at most ¥297.00)." in response.content.decode()
    assert settlement_state(closed.buy) == before


# --- settling refunds ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("confirmer", STAFF)
def test_overpayment_refund_is_not_paid_back_by_whoever_confirmed_the_payment(closed, place, confirmer):
    payment_mark(actor=place.resident.user, entry=closed.resident_entry, amount="297", method="wechat")
    payment_confirm(actor=getattr(place, confirmer).user, entry=closed.resident_entry)
    refund = Refund.objects.get()
    assert (refund.reason, refund.amount) == (RefundReason.OVERPAYMENT, Decimal("100.00"))
    before = settlement_state(closed.buy)
    with pytest.raises(PermissionRefused) as exc:
        refund_mark_paid_back(actor=getattr(place, confirmer).user, refund=refund)
    assert exc.value.code == "second_person_required"
    assert settlement_state(closed.buy) == before
    refund = refund_mark_paid_back(actor=getattr(place, _other(confirmer)).user, refund=refund)
    assert (refund.state, refund.paid_back_by) == (RefundState.PAID_BACK, getattr(place, _other(confirmer)).user)


def test_the_payer_of_a_refund_cannot_also_confirm_it_was_received(closed, place):
    payment_mark(actor=place.resident.user, entry=closed.resident_entry, amount="297", method="wechat")
    payment_confirm(actor=place.data_volunteer.user, entry=closed.resident_entry)
    refund = refund_mark_paid_back(actor=place.leader.user, refund=Refund.objects.get())
    before = settlement_state(closed.buy)
    with pytest.raises(PermissionRefused) as exc:
        refund_confirm(actor=place.leader.user, refund=refund)
    assert exc.value.code == "second_person_required"
    assert settlement_state(closed.buy) == before
    assert refund_confirm(actor=place.resident.user, refund=refund).state == RefundState.CONFIRMED


@pytest.mark.parametrize("who", STAFF)
def test_staff_paying_back_a_refund_to_their_own_household_is_refused(staff_signed_up, place, who):
    closed, entries = staff_signed_up
    entry = entries[who]
    payment_mark(actor=getattr(place, who).user, entry=entry, amount=str(entry.amount + 50), method="cash")
    payment_confirm(actor=getattr(place, _other(who)).user, entry=entry)
    refund = Refund.objects.get(entry=entry)
    before = settlement_state(closed.buy)
    with pytest.raises(PermissionRefused) as exc:
        refund_mark_paid_back(actor=getattr(place, who).user, refund=refund)
    assert exc.value.code == "own_refund"
    assert settlement_state(closed.buy) == before


def test_overpayment_refund_by_the_confirmer_is_refused_through_the_api(closed, place, api):
    payment_mark(actor=place.resident.user, entry=closed.resident_entry, amount="297", method="wechat")
    r = api(place.leader.user).post(
        f"/api/settlement/entries/{closed.resident_entry.pk}/payment/confirm/", {}, format="json"
    )
    assert r.status_code == 200
    refund = Refund.objects.get()
    before = settlement_state(closed.buy)
    r = api(place.leader.user).post(f"/api/settlement/refunds/{refund.pk}/paid-back/")
    assert (r.status_code, r.json()["code"]) == (403, "second_person_required")
    assert settlement_state(closed.buy) == before
    r = api(place.data_volunteer.user).post(f"/api/settlement/refunds/{refund.pk}/paid-back/")
    assert (r.status_code, r.json()["state"]) == (200, "paid_back")


def test_overpayment_refund_by_the_confirmer_is_refused_on_the_page(closed, place, web):
    payment_mark(actor=place.resident.user, entry=closed.resident_entry, amount="297", method="wechat")
    payment_confirm(actor=place.leader.user, entry=closed.resident_entry)
    refund = Refund.objects.get()
    before = settlement_state(closed.buy)
    response = web(place.leader.user).post(
        reverse("settlement:refund_paid_back", kwargs={"refund_pk": refund.pk}), follow=True
    )
    assert response.status_code == 200
    assert "one person may not handle both sides of the same money" in response.content.decode()
    assert settlement_state(closed.buy) == before


def test_a_withdrawal_refund_may_be_paid_back_by_the_confirmer(place):
    """Only an overpayment needs a second person; money returned for a withdrawal was confirmed as owed."""
    from groupbuy.factories import GroupBuyFactory, signup
    from groupbuy.services.signup import signup_withdraw

    buy = GroupBuyFactory(community=place.community, leader=place.leader.user)
    entry = Entry.objects.select_related("buy").get(pk=signup(buy, place.resident, 2).pk)
    payment_mark(actor=place.resident.user, entry=entry, amount=str(entry.amount), method="wechat")
    payment_confirm(actor=place.leader.user, entry=entry)
    signup_withdraw(actor=place.resident.user, entry=entry)
    refund = refund_mark_paid_back(actor=place.leader.user, refund=Refund.objects.get())
    assert (refund.reason, refund.state) == (RefundReason.WITHDRAWN, RefundState.PAID_BACK)


def test_the_reconciliation_page_offers_no_confirm_button_for_ones_own_payment(staff_signed_up, place, web):
    closed, entries = staff_signed_up
    own, other = entries["data_volunteer"], closed.resident_entry
    payment_mark(actor=place.data_volunteer.user, entry=own, amount=str(own.amount), method="cash")
    payment_mark(actor=place.resident.user, entry=other, amount="197", method="wechat")
    body = web(place.data_volunteer.user).get(reverse("settlement:reconcile", kwargs={"pk": closed.buy.pk})).content
    body = body.decode()
    assert reverse("settlement:confirm", kwargs={"entry_pk": other.pk}) in body
    assert reverse("settlement:confirm", kwargs={"entry_pk": own.pk}) not in body
    assert "Yours: someone else confirms it" in body
