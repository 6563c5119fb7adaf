"""Issue 15: a buy's short link — one live unguessable token per buy, made on first use (idempotent, also when
two requests race), reset by the buy's leader only (the old address then answers 404)."""

import threading

import pytest
from django.db import connection, connections
from django.urls import reverse

from core.errors import ApplicationError
from groupbuy.factories import GroupBuyFactory
from groupbuy.models import ShareLink
from groupbuy.services.share import share_link_for, share_link_get_or_create, share_link_reset


@pytest.fixture
def buy(place):
    return GroupBuyFactory(community=place.community, leader=place.leader.user, title="蔬菜套餐")


def test_a_buy_gets_one_unguessable_link_made_once(buy):
    first = share_link_get_or_create(buy=buy)
    again = share_link_get_or_create(buy=buy)
    assert first.pk == again.pk
    assert ShareLink.objects.filter(buy=buy).count() == 1
    assert len(first.token) >= 22  # token_urlsafe(18): 144 random bits
    assert str(buy.pk) != first.token
    assert share_link_for(buy) == f"/s/{first.token}/"


def test_two_buys_get_different_tokens(place, buy):
    other = GroupBuyFactory(community=place.community, leader=place.leader.user)
    assert share_link_get_or_create(buy=buy).token != share_link_get_or_create(buy=other).token


def test_the_leader_resets_the_link_and_the_old_one_stops_working(place, web, buy):
    old = share_link_get_or_create(buy=buy)
    response = web(place.leader.user).post(reverse("groupbuy:share_link_reset", args=[buy.pk]))
    assert response.status_code == 302
    live = ShareLink.objects.get(buy=buy, revoked_at__isnull=True)
    assert live.token != old.token
    assert live.created_by == place.leader.user
    old.refresh_from_db()
    assert old.revoked_at is not None
    gone = web().get(f"/s/{old.token}/")
    assert gone.status_code == 404
    assert gone["X-Error-Code"] == "share_link_not_found"
    assert "no longer works" in gone.content.decode() or "失效" in gone.content.decode()
    assert web().get(f"/s/{live.token}/").status_code == 200


@pytest.mark.parametrize("who", ["resident", "other_leader", "committee"])
def test_only_the_buys_leader_may_reset_the_link(place, web, buy, who):
    old = share_link_get_or_create(buy=buy)
    response = web(getattr(place, who).user).post(reverse("groupbuy:share_link_reset", args=[buy.pk]))
    assert response.status_code == 403
    assert list(ShareLink.objects.filter(buy=buy).values_list("token", "revoked_at")) == [(old.token, None)]


def test_a_member_of_another_community_cannot_reset(place, other_place, web, buy):
    old = share_link_get_or_create(buy=buy)
    response = web(other_place.leader.user).post(reverse("groupbuy:share_link_reset", args=[buy.pk]))
    assert response.status_code == 403
    assert ShareLink.objects.get(buy=buy).token == old.token


def test_reset_service_refuses_a_non_leader(place, buy):
    before = list(ShareLink.objects.filter(buy=buy).values_list("token", "revoked_at"))
    with pytest.raises(ApplicationError):
        share_link_reset(actor=place.resident.user, buy=buy)
    assert list(ShareLink.objects.filter(buy=buy).values_list("token", "revoked_at")) == before


@pytest.mark.parametrize("token", ["short", "x" * 65, "has space!!!!!!!!!!", "A" * 24])
def test_unknown_or_malformed_tokens_are_a_friendly_404(web, db, token):
    response = web().get(f"/s/{token}/")
    assert response.status_code == 404
    assert response["X-Error-Code"] == "share_link_not_found"


def _together(calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_racing_first_uses_and_resets_end_with_one_live_link(place):
    if connection.vendor != "postgresql":
        pytest.skip("LOUD SKIP: the race needs PostgreSQL (set DATABASE_URL)")
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user)
    links = _together([lambda: share_link_get_or_create(buy=buy) for _ in range(8)])
    assert len({link.pk for link in links}) == 1
    assert ShareLink.objects.filter(buy=buy).count() == 1
    leader = place.leader.user
    # Several rounds: a reset that took the buy's row after revoking the link deadlocked with another now and
    # then (one round in CI caught it).
    for _round in range(5):
        resets = _together([lambda: share_link_reset(actor=leader, buy=buy) for _ in range(4)])
        assert None not in resets  # a thread that raised (a deadlock) left no link
        live = ShareLink.objects.filter(buy=buy, revoked_at__isnull=True)
        assert live.count() == 1
        assert {link.pk for link in resets} <= set(ShareLink.objects.filter(buy=buy).values_list("pk", flat=True))
        assert live.get().pk != links[0].pk
