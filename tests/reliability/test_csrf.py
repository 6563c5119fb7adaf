"""Issue 8, test 14 (CSRF): every write of the site, sent with a valid session cookie but without the CSRF
token (what a forged cross-site form or fetch would do), is refused with 403 and changes nothing.

The operations are the permission matrix's (test_permission_matrix.py), so a new write route is covered
as soon as it is in the matrix. API clients authenticated by token are not cookie-based and need no CSRF
token; that is checked too. Throttles: login and token (tests/accounts/test_auth_and_notices.py), invite
redemption (tests/accounts/test_invites.py), sign-up (test_signup_throttle.py).
"""

import pytest
from django.db import transaction
from django.test import Client
from knox.models import AuthToken

from groupbuy.models import Entry
from tests.reliability.test_permission_matrix import API_OPS, PAGE_OPS, _request, _rows_written
from tests.reliability.world import World

pytestmark = pytest.mark.django_db

WRITES = [op for op in API_OPS + PAGE_OPS if op.method != "GET"]


def test_every_session_write_without_the_csrf_token_is_refused_and_changes_nothing(place, other_place, settings):
    settings.LANGUAGE_CODE = "en"
    world = World(place, other_place)
    clients = {}
    for role in ("resident", "leader", "committee"):
        client = Client(enforce_csrf_checks=True)
        client.force_login(world.users[role])
        clients[role] = client

    accepted = []
    for op in WRITES:
        for role, client in clients.items():
            sid = transaction.savepoint()
            try:
                before = _rows_written()
                response = _request(client, op, world)
                if response.status_code != 403 or _rows_written() != before:
                    accepted.append((op.key, role, response.status_code))
            finally:
                transaction.savepoint_rollback(sid)
    assert len(WRITES) > 80
    assert accepted == []


def test_the_same_write_with_the_token_or_by_api_token_goes_through(place, other_place):
    world = World(place, other_place)
    item = world.open_item
    url = f"/api/buys/{world.open_buy.pk}/entries/"

    client = Client(enforce_csrf_checks=True)
    client.force_login(place.neighbour.user)
    client.get("/")  # the session page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(
        url, {"quantities": {str(item.pk): 1}}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201, response.content[:300]

    api_token = AuthToken.objects.create(user=place.leader.user)[1]
    response = Client(enforce_csrf_checks=True).post(
        url,
        {"quantities": {str(item.pk): 1}},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {api_token}",
    )
    assert response.status_code == 201, response.content[:300]
    assert Entry.objects.filter(buy=world.open_buy).count() == 3
