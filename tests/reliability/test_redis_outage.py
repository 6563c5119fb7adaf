"""Issue 8, test 5: Redis goes down and comes back.

A throwaway redis-server on a free port (never the machine's shared one) is the broker, cache and
rate-limit store of a real gunicorn, a real worker and a real beat. While it is down, residents keep
signing up over HTTP (the rate limiter fails open, a lost enqueue is logged and swallowed). When it
is back (empty: the worst case, every queued message gone), the worker reconnects on its own and the
beat sweep completes every close and failure that came due meanwhile, and sends the "formed" notices
whose tasks were lost, each once.
"""

import datetime
import itertools
import re
import threading
import time
from decimal import Decimal

import pytest
from django.utils import timezone
from knox.models import AuthToken

from accounts.factories import HouseholdFactory, MembershipFactory
from accounts.models import Notification
from groupbuy.factories import GroupBuyFactory, main_item
from groupbuy.models import BuyStatus, Entry, GroupBuy, PurchaseOrder
from tests.reliability.procs import (
    app_env,
    free_port,
    http_request,
    start_gunicorn,
    start_redis,
    start_worker,
    wait_until,
)

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

_rooms = itertools.count(1)


def resident(place):
    return MembershipFactory(
        community=place.community,
        household=HouseholdFactory(community=place.community, building=place.other_building, room=f"O{next(_rooms)}"),
    )


def sign_up_over_http(port, pairs):
    """POST a sign-up for each (membership, buy) at once; returns the (status, body) of each."""
    results: list = [None] * len(pairs)

    tokens = [AuthToken.objects.create(user=m.user)[1] for m, _ in pairs]
    items = [main_item(b).pk for _, b in pairs]

    def run(index, buy):
        results[index] = http_request(
            port,
            "POST",
            f"/api/buys/{buy.pk}/entries/",
            body={"quantities": {str(items[index]): 1}},
            headers={"Authorization": f"Token {tokens[index]}"},
        )

    threads = [threading.Thread(target=run, args=(i, b)) for i, (_, b) in enumerate(pairs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.fixture
def stack(tmp_path):
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    env = app_env(redis_url=url, media_root=tmp_path / "media")
    started = {"redis": start_redis(tmp_path, port)}
    try:
        started["web"] = start_gunicorn(tmp_path, env, workers=4)
        started["worker"] = start_worker(tmp_path, env, name="h9-outage", beat=True)
        started["restart_redis"] = lambda: started.__setitem__("redis", start_redis(tmp_path, port))
        yield started
    finally:
        # Everything here is throwaway (its Redis included): no need for a warm shutdown.
        for key in ("worker", "web", "redis"):
            if key in started:
                started[key].kill()


def test_sign_ups_survive_a_redis_outage_and_the_sweep_catches_up_when_it_returns(place, stack):
    web, worker = stack["web"], stack["worker"]
    port = web.extra["port"]
    due = timezone.now() + datetime.timedelta(seconds=12)
    close_when_formed = GroupBuyFactory(
        community=place.community, leader=place.leader.user, moq=Decimal("2"), close_when_formed=True
    )
    formed_by_deadline = GroupBuyFactory(
        community=place.community, leader=place.leader.user, moq=Decimal("2"), deadline=due
    )
    below_moq = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("50"), deadline=due)
    people = [resident(place) for _ in range(5)]

    stack["redis"].stop()
    results = sign_up_over_http(
        port,
        [
            (people[0], close_when_formed),
            (people[1], close_when_formed),
            (people[2], formed_by_deadline),
            (people[3], formed_by_deadline),
            (people[4], below_moq),
        ],
    )
    # Signing in still works too (the login throttle fails open).
    token = http_request(
        port, "POST", "/api/auth/token/", body={"username": place.resident.user.username, "password": "pass-12345"}
    )

    assert [status for status, _ in results] == [201] * 5, (results, web.log())
    assert token[0] == 200, token
    assert Entry.objects.filter(buy__in=[close_when_formed, formed_by_deadline, below_moq]).count() == 5
    statuses = dict(GroupBuy.objects.values_list("pk", "status"))
    assert statuses[close_when_formed.pk] == BuyStatus.FORMED  # its close could not be enqueued
    assert statuses[formed_by_deadline.pk] == BuyStatus.FORMED
    assert "not enqueued; the sweep will repair it" in web.log(2000)

    # Stay down past the deadline (and past the lost-close grace), then come back empty.
    while timezone.now() < due + datetime.timedelta(seconds=1):
        time.sleep(0.2)
    stack["restart_redis"]()

    def settled():
        s = dict(GroupBuy.objects.values_list("pk", "status"))
        return (s[close_when_formed.pk], s[formed_by_deadline.pk], s[below_moq.pk]) == (
            BuyStatus.CLOSED,
            BuyStatus.CLOSED,
            BuyStatus.FAILED,
        )

    wait_until(settled, timeout=90, procs=(worker, web))
    # Their "formed" notice tasks were lost too: the sweep sends each once (a buy formed less than the grace
    # before its close is announced one sweep later).
    formed = [close_when_formed, formed_by_deadline]
    wait_until(
        lambda: all(Notification.objects.filter(dedupe_key=f"buy:{b.pk}:buy_formed").count() == 3 for b in formed),
        timeout=30,
        procs=(worker, web),
    )
    for buy in (close_when_formed, formed_by_deadline):
        assert PurchaseOrder.objects.filter(buy=buy).count() == 1
        assert Notification.objects.filter(dedupe_key=f"buy:{buy.pk}:buy_closed").count() == 3
    assert Notification.objects.filter(dedupe_key=f"buy:{below_moq.pk}:buy_failed").count() == 2

    # The worker consumes again by itself: a new close enqueued by a sign-up is received and run.
    fresh = GroupBuyFactory(
        community=place.community, leader=place.leader.user, moq=Decimal("1"), close_when_formed=True
    )
    assert sign_up_over_http(port, [(resident(place), fresh)])[0][0] == 201
    wait_until(lambda: GroupBuy.objects.get(pk=fresh.pk).status == BuyStatus.CLOSED, timeout=30, procs=(worker,))
    assert re.search(r"Task groupbuy\.tasks\.close_group_buy\[[^\]]+\] received", worker.log(100000))
