from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Notification
from groupbuy.models import BuyStatus
from settlement.models import Payment, PaymentState, PickupCode, PriceChange, Refund
from settlement.services.distribution import pickup_codes_issue
from settlement.services.payments import payment_mark, payment_reminders_send
from settlement.tasks import sweep_price_changes
from tests.settlement.helpers import settlement_state

pytestmark = pytest.mark.django_db


def test_pay_confirm_and_reconcile_through_the_api(closed, place, api):
    entry = closed.resident_entry
    r = api(place.resident.user).post(
        f"/api/settlement/entries/{entry.pk}/payment/", {"amount": "197", "method": "wechat"}, format="json"
    )
    assert r.status_code == 200
    assert r.json()["state"] == "marked"
    r = api(place.resident.user).post(f"/api/settlement/entries/{entry.pk}/payment/confirm/", {}, format="json")
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    r = api(place.data_volunteer.user).post(
        f"/api/settlement/entries/{entry.pk}/payment/confirm/", {"amount": "197.00"}, format="json"
    )
    assert r.status_code == 200
    assert r.json()["paid"] == "197.00"
    data = api(place.leader.user).get(f"/api/settlement/buys/{closed.buy.pk}/reconciliation/").json()
    assert data["totals"]["expected"] == "610.00"
    assert data["totals"]["confirmed"] == "197.00"
    assert [row["state"] for row in data["rows"]] == ["confirmed", "unpaid"]
    me = api(place.resident.user).get(f"/api/settlement/buys/{closed.buy.pk}/me/").json()
    assert (me["owed"], me["paid"], me["due"]) == ("197.00", "197.00", "0.00")


def test_api_errors_are_coded_and_change_nothing(closed, place, api):
    before = settlement_state(closed.buy)
    r = api(place.resident.user).post(
        f"/api/settlement/entries/{closed.resident_entry.pk}/payment/",
        {"amount": "-3", "method": "cash"},
        format="json",
    )
    assert (r.status_code, r.json()["code"]) == (400, "invalid_amount")
    r = api(place.leader.user).post(
        f"/api/settlement/buys/{closed.buy.pk}/arrivals/", {"arrived": {str(closed.main.pk): 99}}, format="json"
    )
    assert (r.status_code, r.json()["code"]) == (400, "shortage_above_ordered")
    r = api(place.neighbour.user).post(
        f"/api/settlement/entries/{closed.resident_entry.pk}/after-sales/",
        {"kind": "missing", "description": "x"},
        format="json",
    )
    assert (r.status_code, r.json()["code"]) == (403, "not_your_entry")
    assert settlement_state(closed.buy) == before


def test_price_change_through_the_api(closed, place, api):
    deadline = (timezone.now() + timedelta(hours=2)).isoformat()
    r = api(place.leader.user).post(
        f"/api/settlement/buys/{closed.buy.pk}/price-changes/",
        {"item_id": closed.main.pk, "new_price": "108", "new_cost": "95", "reason": "sold out", "deadline": deadline},
        format="json",
    )
    assert r.status_code == 201, r.json()
    change_id = r.json()["id"]
    r = api(place.resident.user).post(
        f"/api/settlement/price-changes/{change_id}/respond/", {"choice": "accept"}, format="json"
    )
    assert (r.status_code, r.json()["amount_delta"]) == (200, "147.00")
    r = api(place.resident.user).post(
        f"/api/settlement/price-changes/{change_id}/respond/", {"choice": "withdraw"}, format="json"
    )
    assert (r.status_code, r.json()["code"]) == (409, "already_answered")
    history = api(place.neighbour.user).get(f"/api/settlement/buys/{closed.buy.pk}/price-changes/").json()
    assert history[0]["responses"][0]["choice"] == "accept"


def test_handover_through_the_api(closed, place, api):
    pickup_codes_issue(actor=place.leader.user, buy=closed.buy)
    closed.set_status(BuyStatus.RELEASED)
    code = PickupCode.objects.get(entry=closed.neighbour_entry).code
    url = f"/api/settlement/buys/{closed.buy.pk}/handover/"
    r = api(place.receiving_volunteer.user).post(url, {"code": code}, format="json")
    assert (r.status_code, r.json()["state"]) == (200, "handed_over")
    r = api(place.receiving_volunteer.user).post(url, {"code": code}, format="json")
    assert (r.status_code, r.json()["code"]) == (409, "pickup_code_used")
    progress = api(place.leader.user).get(f"/api/settlement/buys/{closed.buy.pk}/distribution/").json()
    building_id = closed.resident_entry.household.building_id
    assert progress == [{"building_id": building_id, "building": "12", "total": 2, "handed": 1}]


def test_refund_flow_through_the_api(closed, place, api):
    payment_mark(actor=place.resident.user, entry=closed.resident_entry, amount="200", method="wechat")
    api(place.leader.user).post(
        f"/api/settlement/entries/{closed.resident_entry.pk}/payment/confirm/", {}, format="json"
    )
    refund = Refund.objects.get()
    assert api(place.resident.user).get(f"/api/settlement/buys/{closed.buy.pk}/refunds/").json()[0]["amount"] == "3.00"
    assert api(place.neighbour.user).get(f"/api/settlement/buys/{closed.buy.pk}/refunds/").json() == []
    # The leader confirmed the payment: a second person pays the overpayment back.
    r = api(place.data_volunteer.user).post(f"/api/settlement/refunds/{refund.pk}/paid-back/")
    assert r.json()["state"] == "paid_back"
    r = api(place.resident.user).post(f"/api/settlement/refunds/{refund.pk}/received/")
    assert r.json()["state"] == "confirmed"


def test_schema_lists_the_settlement_endpoints(api, place):
    r = api(place.resident.user).get("/api/schema/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "/api/settlement/buys/{id}/reconciliation/" in body
    assert "/api/settlement/buys/{id}/handover/" in body


def test_payment_reminders_go_to_unpaid_households_once_a_day(closed, place, api, django_capture_on_commit_callbacks):
    payment_mark(actor=place.resident.user, entry=closed.resident_entry, amount="197", method="wechat")
    with django_capture_on_commit_callbacks(execute=True):
        r = api(place.leader.user).post(f"/api/settlement/buys/{closed.buy.pk}/reminders/")
    assert r.status_code == 202
    reminded = set(Notification.objects.filter(kind="payment_reminder").values_list("user_id", flat=True))
    assert reminded == {place.neighbour.user.pk}
    payment_reminders_send(buy_id=closed.buy.pk)
    assert Notification.objects.filter(kind="payment_reminder").count() == 1
    r = api(place.resident.user).post(f"/api/settlement/buys/{closed.buy.pk}/reminders/")
    assert r.status_code == 403


def test_beat_task_resolves_due_price_changes(closed, place):
    from config.celery import app
    from settlement.services.price_changes import price_change_propose

    change = price_change_propose(
        actor=place.leader.user,
        buy=closed.buy,
        item_id=closed.extra.pk,
        new_price="25",
        reason="x",
        deadline=timezone.now() + timedelta(hours=1),
    )
    PriceChange.objects.filter(pk=change.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    assert sweep_price_changes.delay().get() == 1
    assert sweep_price_changes.delay().get() == 0
    assert app.conf.beat_schedule["settlement.price_changes"]["task"] == "settlement.sweep_price_changes"
    # Withdrawn by default (dearer): the resident's extra line is gone, nothing was charged.
    assert Payment.objects.filter(state=PaymentState.CONFIRMED).count() == 0
    assert PriceChange.objects.get().responses.get().choice == "withdraw"


def test_pick_list_and_donations_through_the_api(closed, place, api):
    from accounts.models import Household

    Household.objects.filter(pk=place.neighbour.household_id).update(is_vulnerable=True)
    closed.set_status(BuyStatus.FORMED)  # donations are taken only while the buy takes sign-ups
    r = api(place.resident.user).post(
        f"/api/settlement/buys/{closed.buy.pk}/donations/", {"item_id": closed.extra.pk, "quantity": 2}, format="json"
    )
    assert r.status_code == 201
    closed.set_status(BuyStatus.CLOSED)
    donation_id = r.json()["id"]
    r = api(place.resident.user).post(
        f"/api/settlement/donations/{donation_id}/",
        {"action": "assign", "recipient_id": place.neighbour.household_id},
        format="json",
    )
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    r = api(place.leader.user).post(
        f"/api/settlement/donations/{donation_id}/",
        {"action": "assign", "recipient_id": place.neighbour.household_id},
        format="json",
    )
    assert r.json()["recipient"] == "12-302"
    groups = api(place.building_leader.user).get(f"/api/settlement/buys/{closed.buy.pk}/pick-list/").json()
    assert [h["household"] for h in groups[0]["households"]] == ["12-301", "12-302"]
    assert groups[0]["donations"] == [
        {"id": donation_id, "household": "12-302", "item": closed.extra.offer.title, "quantity": 2, "state": "pledged"}
    ]
    assert api(place.resident.user).get(f"/api/settlement/buys/{closed.buy.pk}/pick-list/").status_code == 403


def test_fully_refunded_entry_shows_as_refunded(closed, place, api):
    from settlement.services.price_changes import price_change_propose, price_change_respond

    entry = closed.neighbour_entry
    payment_mark(actor=place.neighbour.user, entry=entry, amount="413", method="wechat")
    api(place.leader.user).post(f"/api/settlement/entries/{entry.pk}/payment/confirm/", {}, format="json")
    change = price_change_propose(
        actor=place.leader.user,
        buy=closed.buy,
        item_id=closed.main.pk,
        new_price="108",
        reason="x",
        deadline=timezone.now() + timedelta(hours=1),
    )
    price_change_respond(actor=place.neighbour.user, change=change, entry=entry, choice="withdraw")
    rows = api(place.leader.user).get(f"/api/settlement/buys/{closed.buy.pk}/reconciliation/").json()["rows"]
    row = next(r for r in rows if r["entry_id"] == entry.pk)
    assert (row["state"], row["owed"], row["refunded"]) == ("refunded", "0.00", "413.00")
