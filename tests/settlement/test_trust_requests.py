"""Issue 13 items 14 and 15: no open redirect after confirming a refund; absurd reconciliation hours are a coded 400."""

import pytest
from django.urls import reverse

from settlement.models import Refund, RefundState
from settlement.services.payments import payment_confirm, payment_mark, refund_mark_paid_back

pytestmark = pytest.mark.django_db


@pytest.fixture
def refund(closed, place):
    payment_mark(actor=place.resident.user, entry=closed.resident_entry, amount="200", method="wechat")
    payment_confirm(actor=place.data_volunteer.user, entry=closed.resident_entry)
    return Refund.objects.get()


@pytest.mark.parametrize("evil", ["//evil.example/x", "https://evil.example/x", "/\\evil.example/x"])
def test_refund_received_never_redirects_off_site(closed, place, web, refund, evil):
    url = reverse("settlement:refund_received", kwargs={"refund_pk": refund.pk})
    hub = reverse("settlement:hub", kwargs={"pk": closed.buy.pk})
    client = web(place.resident.user)
    # Refused (not paid back yet): back to the hub, not to the posted address.
    response = client.post(url, {"next": evil})
    assert (response.status_code, response["Location"]) == (302, hub)
    refund_mark_paid_back(actor=place.leader.user, refund=refund)
    response = client.post(url, {"next": evil})
    assert (response.status_code, response["Location"]) == (302, hub)
    assert Refund.objects.get(pk=refund.pk).state == RefundState.CONFIRMED


def test_refund_received_returns_to_a_page_of_this_site(closed, place, web, refund):
    refund_mark_paid_back(actor=place.leader.user, refund=refund)
    back = reverse("settlement:refunds", kwargs={"pk": closed.buy.pk})
    response = web(place.resident.user).post(
        reverse("settlement:refund_received", kwargs={"refund_pk": refund.pk}), {"next": back}
    )
    assert (response.status_code, response["Location"]) == (302, back)


@pytest.mark.parametrize("hours", ["999999999999", "-1", "2161", "abc", "1e9"])
def test_reconciliation_with_out_of_range_hours_is_a_coded_400(closed, place, api, hours):
    r = api(place.leader.user).get(f"/api/settlement/buys/{closed.buy.pk}/reconciliation/?hours={hours}")
    assert r.status_code == 400
    assert r.json()["code"] == "invalid_hours"
    assert r.json()["detail"] == {"field": "hours", "min": 0, "max": 2160}


@pytest.mark.parametrize("hours", ["0", "2160"])
def test_reconciliation_accepts_hours_within_range(closed, place, api, hours):
    r = api(place.leader.user).get(f"/api/settlement/buys/{closed.buy.pk}/reconciliation/?hours={hours}")
    assert r.status_code == 200


@pytest.mark.parametrize("hours", ["999999999999", "-5", "abc"])
def test_reconciliation_page_with_absurd_hours_is_not_an_error(closed, place, web, hours):
    response = web(place.leader.user).get(
        reverse("settlement:reconcile", kwargs={"pk": closed.buy.pk}) + f"?hours={hours}"
    )
    assert response.status_code == 200
    assert 0 <= response.context["unpaid_hours"] <= 2160
