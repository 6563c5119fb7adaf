"""Issue 8, test 1 (live server): many residents' phones sign up at once against gunicorn.

The thread-level races (each thread on its own PostgreSQL connection, calling the services) are in
tests/groupbuy/test_races.py (test_fifty_households_race_for_twenty_units and the rest). Here the
requests go through the whole stack: gunicorn sync workers (separate processes, separate database
connections), DRF token authentication, the API view, the service.
"""

import threading
from decimal import Decimal

import pytest
from django.db.models import Sum
from knox.models import AuthToken

from groupbuy.factories import GroupBuyFactory, main_item
from groupbuy.models import Entry, EntryLine, EntryStatus, GroupBuy
from tests.groupbuy.test_races import assert_counters_match_entries, residents
from tests.reliability.procs import app_env, http_request, start_gunicorn

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

CLIENTS = 48
CAP = 20


@pytest.fixture(scope="module")
def live_server_gunicorn(django_db_setup, django_db_blocker, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gunicorn")
    with django_db_blocker.unblock():
        server = start_gunicorn(tmp, app_env(redis_url=_redis_url(), media_root=tmp / "media", eager=True))
    yield server
    server.stop()


def _redis_url() -> str:
    from django.conf import settings

    return settings.REDIS_URL


def _sign_up_all_at_once(port, buy, item, people):
    tokens = [AuthToken.objects.create(user=m.user)[1] for m in people]
    barrier = threading.Barrier(len(people))
    results: list = [None] * len(people)

    def run(index):
        try:
            barrier.wait(timeout=30)
            results[index] = http_request(
                port,
                "POST",
                f"/api/buys/{buy.pk}/entries/",
                body={"quantities": {str(item.pk): 1}},
                headers={"Authorization": f"Token {tokens[index]}", "Idempotency-Key": f"phone-{index}"},
            )
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[index] = ("error", repr(exc))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(people))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_many_http_clients_racing_for_a_capped_item_never_oversell_and_never_500(place, live_server_gunicorn):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("1000"), item__cap=CAP)
    item = main_item(buy)
    people = residents(place, CLIENTS)

    results = _sign_up_all_at_once(live_server_gunicorn.extra["port"], buy, item, people)

    statuses = [status for status, _ in results]
    assert all(isinstance(s, int) and s < 500 for s in statuses), (results, live_server_gunicorn.log())
    assert statuses.count(201) == CAP
    refused = [body["code"] for status, body in results if status != 201]
    assert refused == ["over_cap"] * (CLIENTS - CAP)
    # SUM(entries) == counter <= cap, on the database itself.
    buy.refresh_from_db()
    item.refresh_from_db()
    live = EntryLine.objects.filter(entry__buy=buy, entry__status=EntryStatus.ACTIVE)
    assert live.aggregate(s=Sum("quantity"))["s"] == item.total_quantity == buy.total_units == CAP
    assert Entry.objects.filter(buy=buy).count() == CAP
    assert_counters_match_entries(buy)
    assert GroupBuy.objects.get(pk=buy.pk).status == "open"


def test_repeated_requests_from_one_phone_over_http_make_one_entry(place, live_server_gunicorn):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("1000"))
    item = main_item(buy)
    token = AuthToken.objects.create(user=place.resident.user)[1]
    port = live_server_gunicorn.extra["port"]
    barrier = threading.Barrier(12)
    results: list = []

    def run():
        barrier.wait(timeout=30)
        results.append(
            http_request(
                port,
                "POST",
                f"/api/buys/{buy.pk}/entries/",
                body={"quantities": {str(item.pk): 2}},
                headers={"Authorization": f"Token {token}", "Idempotency-Key": "retry-on-weak-signal"},
            )
        )

    threads = [threading.Thread(target=run) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(results) == 12
    assert {status for status, _ in results} == {201}
    assert len({body["id"] for _, body in results}) == 1
    assert Entry.objects.filter(buy=buy).count() == 1
    assert_counters_match_entries(buy)
    assert buy.total_units == 2
