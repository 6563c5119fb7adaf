"""Issue 8, test 14 (throttling of sign-up): a person's sign-ups (own or by proxy, API or page) are limited
per minute by the atomic Redis limiter (core/ratelimit.py: INCR, never read-then-write), so a script
cannot flood a buy, while a volunteer typing a paper list stays well under it.

Login and token throttles: tests/accounts/test_auth_and_notices.py; invite redemption lock-out:
tests/accounts/test_invites.py.
"""

import threading
from decimal import Decimal

import pytest
from django.db import connections
from rest_framework.test import APIClient

from groupbuy.factories import GroupBuyFactory, main_item
from groupbuy.models import Entry
from groupbuy.services.signup import SIGNUP_LIMIT

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _one_window(monkeypatch):
    """The limiter's windows are fixed minutes of the wall clock; keep every request of a test in one of them
    (otherwise a test running across a minute boundary would see the count start again)."""
    import types

    from core import ratelimit

    now = ratelimit.time.time()
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: now - now % 60 + 1))


def buys(place, count):
    return [
        GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("99")) for _ in range(count)
    ]


def sign_up(client, buy):
    return client.post(f"/api/buys/{buy.pk}/entries/", {"quantities": {str(main_item(buy).pk): 1}}, format="json")


def test_api_sign_ups_over_the_limit_are_refused_with_429_and_change_nothing(place, api):
    targets = buys(place, SIGNUP_LIMIT + 1)
    client = api(place.resident.user)

    statuses = [sign_up(client, buy).status_code for buy in targets[:SIGNUP_LIMIT]]
    refused = sign_up(client, targets[-1])

    assert statuses == [201] * SIGNUP_LIMIT
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert not Entry.objects.filter(buy=targets[-1]).exists()
    # Per person: a neighbour is not affected.
    assert sign_up(api(place.neighbour.user), targets[-1]).status_code == 201


def test_page_and_proxy_sign_ups_count_against_the_same_limit(place, api, client):
    targets = buys(place, SIGNUP_LIMIT + 2)
    volunteer = place.data_volunteer
    volunteer.proxy_buildings.set([place.resident.household.building])  # the proxy role (issue 13 item 5)
    for buy in targets[:SIGNUP_LIMIT]:
        assert sign_up(api(volunteer.user), buy).status_code == 201
    client.force_login(volunteer.user)

    own = client.post(f"/buys/{targets[-2].pk}/join/", {f"q_{main_item(targets[-2]).pk}": "1", "idempotency_key": "k1"})
    proxy = client.post(
        f"/buys/{targets[-1].pk}/proxy/",
        {"label": place.resident.household.label, f"q_{main_item(targets[-1]).pk}": "1", "placed_for": ""},
    )

    assert own.status_code == 429
    assert proxy.status_code == 429
    assert not Entry.objects.filter(buy__in=targets[-2:]).exists()


@pytest.mark.django_db(transaction=True)
def test_the_limit_holds_when_many_requests_arrive_at_once(place):
    targets = buys(place, SIGNUP_LIMIT + 10)
    barrier = threading.Barrier(len(targets))
    statuses: list[int] = []

    def run(buy):
        client = APIClient()
        client.force_authenticate(place.resident.user)
        try:
            barrier.wait(timeout=30)
            statuses.append(sign_up(client, buy).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(buy,)) for buy in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(statuses) == [201] * SIGNUP_LIMIT + [429] * 10
    assert Entry.objects.filter(placed_by=place.resident.user).count() == SIGNUP_LIMIT
