"""Issue 13, item 11 (the hand-out page): pickup codes travel in POST bodies, never in a URL (access logs,
browser history); a GET of the page carries no code, reads none and changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from groupbuy.models import BuyStatus
from settlement.models import HandoverLine, PickupCode, PickupState
from settlement.services.distribution import pickup_codes_issue
from tests.settlement.conftest import make_residents
from tests.settlement.helpers import settlement_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def released(closed, place):
    pickup_codes_issue(actor=place.leader.user, buy=closed.buy)
    closed.set_status(BuyStatus.RELEASED)
    return closed


def url(closed):
    return reverse("settlement:handover", kwargs={"pk": closed.buy.pk})


def code_of(closed):
    return PickupCode.objects.get(entry=closed.resident_entry).code


def test_a_get_with_a_code_in_the_query_string_reads_nothing_and_changes_nothing(released, place, web):
    code = code_of(released)
    before = settlement_state(released.buy)

    response = web(place.building_leader.user).get(url(released) + f"?code={code}")

    assert response.status_code == 200
    body = response.content.decode()
    assert f'value="{code}"' not in body  # not read into the form
    assert "12-301" not in body  # the household is not looked up
    assert response.context["preview"] is None
    assert settlement_state(released.buy) == before
    assert PickupCode.objects.get(code=code).state == PickupState.ISSUED


def test_the_page_sends_codes_only_by_post(released, place, web):
    body = web(place.building_leader.user).get(url(released)).content.decode()
    assert 'method="get"' not in body
    assert '<form method="post" class="form" id="lookup-form">' in body
    assert '<form method="post" class="form" id="handover-form">' in body


def test_lookup_by_post_shows_the_household_and_changes_nothing(released, place, web):
    code = code_of(released)
    before = settlement_state(released.buy)

    response = web(place.building_leader.user).post(url(released), {"action": "lookup", "code": code.lower()})

    assert response.status_code == 200
    assert "12-301" in response.content.decode()
    assert settlement_state(released.buy) == before
    assert not HandoverLine.objects.exists()


def test_lookup_of_an_unknown_code_is_a_coded_404(released, place, web):
    response = web(place.building_leader.user).post(url(released), {"action": "lookup", "code": "ZZZZ2222"})
    assert response.status_code == 404
    assert 'data-code="pickup_code_unknown"' in response.content.decode()


def test_lookup_and_hand_over_are_refused_to_a_resident(released, place, web):
    code = code_of(released)
    before = settlement_state(released.buy)
    client = web(place.resident.user)
    for data in ({"action": "lookup", "code": code}, {"code": code}):
        response = client.post(url(released), data)
        assert response.status_code == 403
        assert "12-301" not in response.content.decode()
    assert settlement_state(released.buy) == before
    assert PickupCode.objects.get(code=code).state == PickupState.ISSUED


def test_hand_over_by_post_redirects_to_a_url_without_the_code(released, place, web):
    code = code_of(released)
    response = web(place.building_leader.user).post(url(released), {"code": code})
    assert response.status_code == 302
    assert response["Location"] == url(released)
    assert PickupCode.objects.get(code=code).state == PickupState.HANDED_OVER


def test_the_households_qr_carries_the_code_in_the_fragment_not_the_query(released, place, web):
    code = code_of(released)
    response = web(place.resident.user).get(reverse("settlement:hub", kwargs={"pk": released.buy.pk}))
    assert response.status_code == 200
    qr_url = response.context["qr_url"]
    assert qr_url.endswith(url(released) + f"#code={code}")
    assert "?" not in qr_url


def test_a_building_leader_looking_up_another_buildings_code_learns_nothing(place, make_closed, web):
    (elsewhere,) = make_residents(place, 1)  # building 3; the building leader leads building 12
    closed = make_closed(extra_signups=[(elsewhere, 1)])
    pickup_codes_issue(actor=place.leader.user, buy=closed.buy)
    closed.set_status(BuyStatus.RELEASED)
    code = PickupCode.objects.get(entry__household=elsewhere.household).code
    before = settlement_state(closed.buy)
    client = web(place.building_leader.user)

    for data in ({"action": "lookup", "code": code}, {"code": code}):
        response = client.post(url(closed), data)
        assert response.status_code == 403
        body = response.content.decode()
        assert 'data-code="not_your_building"' in body
        assert "1000" not in body  # the room
        assert "李0" not in body  # the name
        assert response.context["preview"] is None
    assert settlement_state(closed.buy) == before
    assert PickupCode.objects.get(code=code).state == PickupState.ISSUED
