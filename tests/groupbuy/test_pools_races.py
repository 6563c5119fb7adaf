"""Pool races on real PostgreSQL: threads, each on its own connection."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from accounts.factories import HouseholdFactory, MembershipFactory
from groupbuy.factories import BuyItemFactory, GroupBuyFactory, main_item, signup
from groupbuy.models import BuyStatus, Entry, EntryStatus, GroupBuy, Pool, PoolStatus
from groupbuy.services.pools import pool_create, pool_join, pool_leave, pool_offer
from tests.groupbuy.test_races import assert_counters_match_entries, run_together

pytestmark = pytest.mark.django_db(transaction=True)


def households(place, count, prefix):
    return [
        MembershipFactory(
            community=place.community,
            household=HouseholdFactory(community=place.community, building=place.other_building, room=f"{prefix}{n}"),
        )
        for n in range(count)
    ]


def make_pool(place, other_place, moq):
    host = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal(moq))
    pool = pool_create(actor=place.leader.user, buy=host)
    pool_offer(actor=place.leader.user, pool=pool, community=other_place.community)
    member = pool_join(actor=other_place.leader.user, pool=pool, community=other_place.community, drop_point="东门")
    return pool, host, member


def assert_pool_counts_members(pool, buys):
    pool.refresh_from_db()
    live = Entry.objects.filter(buy__in=buys, status=EntryStatus.ACTIVE)
    assert pool.main_units == sum(GroupBuy.objects.get(pk=b.pk).main_units for b in buys)
    assert pool.main_units == (live.aggregate(s=Sum("units"))["s"] or 0)
    for buy in buys:
        assert_counters_match_entries(buy)


def test_signups_racing_in_two_member_buys_cross_the_moq_once_and_form_every_member_together(place, other_place):
    pool, host, member = make_pool(place, other_place, 15)
    calls = [lambda m=m: signup(host, m, 1) for m in households(place, 12, "A")]
    calls += [lambda m=m: signup(member, m, 1) for m in households(other_place, 12, "B")]

    results = run_together(calls)

    assert all(kind == "ok" for kind, _ in results)
    pool.refresh_from_db()
    assert (pool.status, pool.main_units) == (PoolStatus.FORMED, 24)
    buys = list(GroupBuy.objects.filter(pk__in=[host.pk, member.pk]))
    assert {b.status for b in buys} == {BuyStatus.FORMED}
    # Formed exactly once, in one transaction: the same formed_at on every member.
    assert len({b.formed_at for b in buys}) == 1
    assert_pool_counts_members(pool, [host, member])


def test_a_member_leaving_while_others_sign_up_never_leaves_a_formed_pool_below_its_moq(place, other_place):
    for _round in range(3):
        Pool.objects.all().delete()
        pool, host, member = make_pool(place, other_place, 10)
        for m in households(other_place, 6, f"L{_round}-"):
            signup(member, m, 1)  # the member brings 6 of the 10
        calls = [lambda m=m, host=host: signup(host, m, 1) for m in households(place, 8, f"R{_round}-")]
        calls.insert(4, lambda member=member: pool_leave(actor=other_place.leader.user, buy=member))

        results = run_together(calls)

        left = results[4][0] == "ok"
        assert results[4][0] in ("ok", "refused")
        if not left:
            assert results[4][1] == "pool_formed"
        pool.refresh_from_db()
        if pool.status == PoolStatus.FORMED:
            assert pool.main_units >= 10
        members = [host] if left else [host, member]
        assert_pool_counts_members(pool, members)
        if left:
            # 8 from A alone cannot reach 10: the pool is open and the host buy too.
            assert (pool.status, pool.main_units) == (PoolStatus.OPEN, 8)
            assert GroupBuy.objects.get(pk=host.pk).status == BuyStatus.OPEN
        else:
            assert pool.status == PoolStatus.FORMED


def test_signups_racing_a_buy_joining_the_pool_are_all_counted_in_the_pool(place, other_place):
    host = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("1000"))
    pool = pool_create(actor=place.leader.user, buy=host)
    pool_offer(actor=place.leader.user, pool=pool, community=other_place.community)
    own = GroupBuyFactory(
        community=other_place.community,
        leader=other_place.leader.user,
        item=None,
        deadline=pool.deadline,
        moq=Decimal("1000"),  # never forms alone: a formed buy cannot join (invalid_state)
    )
    BuyItemFactory(buy=own, offer=main_item(host).offer, is_main=True)
    calls = [lambda m=m: signup(own, m, 1) for m in households(other_place, 16, "J")]
    calls.insert(
        8,
        lambda: pool_join(actor=other_place.leader.user, pool=pool, community=other_place.community, buy=own),
    )

    results = run_together(calls)

    assert [r for r in results if r[0] != "ok"] == []
    assert_pool_counts_members(pool, [host, own])
    assert pool.main_units == 16


def test_signups_racing_pool_create_are_all_counted_in_the_pool(place):
    host = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("1000"))
    calls = [lambda m=m: signup(host, m, 1) for m in households(place, 16, "K")]
    calls.insert(8, lambda: pool_create(actor=place.leader.user, buy=host))

    results = run_together(calls)

    assert all(kind == "ok" for kind, _ in results)
    pool = Pool.objects.get(host_buy=host)
    assert_pool_counts_members(pool, [host])
    assert pool.main_units == 16
