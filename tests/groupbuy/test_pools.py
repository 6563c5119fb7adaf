"""Threshold pooling across compounds: joining, forming and failing together, leaving, helper leaders."""

import datetime
from decimal import Decimal

import pytest

from accounts.factories import MembershipFactory
from accounts.models import Notification
from core.errors import ApplicationError
from groupbuy.factories import BuyItemFactory, GroupBuyFactory, buy_state, main_item, signup
from groupbuy.models import BuyStatus, EntryStatus, GroupBuy, Pool, PoolMember, PoolStatus, PurchaseOrder
from groupbuy.services.buys import group_buy_cancel, group_buy_close
from groupbuy.services.pools import pool_create, pool_join, pool_leave, pool_offer, pool_share
from groupbuy.services.signup import signup_change, signup_withdraw
from groupbuy.services.sweep import group_buys_sweep

pytestmark = pytest.mark.django_db


def refused(code, call, *args, **kwargs):
    with pytest.raises(ApplicationError) as info:
        call(*args, **kwargs)
    assert info.value.code == code, info.value.code


def pool_state(pool):
    return {
        "pool": Pool.objects.filter(pk=pool.pk).values("status", "main_units", "total_amount", "member_count").get(),
        "members": list(PoolMember.objects.filter(pool=pool).order_by("pk").values_list("buy_id", "status")),
        "buys": list(GroupBuy.objects.order_by("pk").values_list("pk", "status", "main_units")),
    }


@pytest.fixture
def host(place):
    return GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("10"), title="豆腐团")


@pytest.fixture
def pool(place, other_place, host):
    pool = pool_create(actor=place.leader.user, buy=host)
    pool_offer(actor=place.leader.user, pool=pool, community=other_place.community)
    return pool


def join(other_place, pool, **fields):
    fields.setdefault("drop_point", "B 小区东门")
    return pool_join(actor=other_place.leader.user, pool=pool, community=other_place.community, **fields)


def test_member_buy_copies_the_pools_offers_and_prices_with_its_own_gate(place, other_place, host, pool):
    member = join(other_place, pool)
    assert member.community == other_place.community
    assert member.leader == other_place.leader.user
    assert member.drop_point == "B 小区东门"
    assert member.deadline == pool.deadline == host.deadline
    assert [(i.offer_id, i.unit_price, i.is_main) for i in member.items.all()] == [
        (i.offer_id, i.unit_price, i.is_main) for i in host.items.all()
    ]
    pool.refresh_from_db()
    assert pool.member_count == 2
    # The host leader hears that B joined; B's leaders heard of the offer.
    assert Notification.objects.filter(kind="pool_joined", user=place.leader.user).count() == 1
    assert Notification.objects.filter(kind="pool_offered", user=other_place.leader.user).count() == 1


def test_pool_total_forms_every_member_at_once_and_each_closes_its_own_order(place, other_place, host, pool):
    member = join(other_place, pool)
    signup(host, place.resident, 4)
    signup(member, other_place.resident, 5)
    host.refresh_from_db()
    assert host.status == BuyStatus.OPEN  # 9 of 10 in the pool; neither buy alone matters
    signup(member, other_place.neighbour, 1)

    pool.refresh_from_db()
    assert (pool.status, pool.main_units) == (PoolStatus.FORMED, 10)
    statuses = dict(GroupBuy.objects.filter(pk__in=[host.pk, member.pk]).values_list("pk", "status"))
    assert statuses == {host.pk: BuyStatus.FORMED, member.pk: BuyStatus.FORMED}
    assert GroupBuy.objects.get(pk=host.pk).formed_at == GroupBuy.objects.get(pk=member.pk).formed_at

    assert group_buy_close(buy_id=host.pk)
    assert group_buy_close(buy_id=member.pk)
    quantities = {o.buy_id: o.lines.get().quantity for o in PurchaseOrder.objects.filter(buy__in=[host, member])}
    assert quantities == {host.pk: 4, member.pk: 6}


def test_a_withdrawal_that_would_take_a_formed_pool_below_its_moq_is_refused(place, other_place, host, pool):
    member = join(other_place, pool)
    signup(host, place.resident, 5)
    entry = signup(member, other_place.resident, 5)
    before = pool_state(pool)
    refused("pool_minimum_needed", signup_withdraw, actor=other_place.resident.user, entry=entry)
    refused(
        "pool_minimum_needed",
        signup_change,
        actor=other_place.resident.user,
        entry=entry,
        quantities={main_item(member).pk: 4},
    )
    assert pool_state(pool) == before
    # Above the minimum a change is fine, and the pool follows it.
    signup_change(actor=other_place.resident.user, entry=entry, quantities={main_item(member).pk: 8})
    pool.refresh_from_db()
    assert pool.main_units == 13
    signup_change(actor=other_place.resident.user, entry=entry, quantities={main_item(member).pk: 5})
    pool.refresh_from_db()
    assert (pool.status, pool.main_units) == (PoolStatus.FORMED, 10)


def test_a_member_leaves_before_forming_and_the_pool_total_drops(place, other_place, host, pool):
    member = join(other_place, pool)
    signup(member, other_place.resident, 6)
    signup(host, place.resident, 3)
    pool.refresh_from_db()
    assert pool.main_units == 9

    pool_leave(actor=other_place.leader.user, buy=member)

    pool.refresh_from_db()
    assert (pool.status, pool.main_units, pool.member_count) == (PoolStatus.OPEN, 3, 1)
    assert PoolMember.objects.get(buy=member).status == "left"
    # After leaving, the buy's sign-ups no longer move the pool.
    signup(member, other_place.neighbour, 1)
    pool.refresh_from_db()
    assert pool.main_units == 3


def mirrored(*buys):
    """Each buy's current_pool (the copy the sign-up UPDATE checks) next to its active PoolMember row."""
    active = dict(PoolMember.objects.filter(status="active").values_list("buy_id", "pool_id"))
    return [(GroupBuy.objects.get(pk=b.pk).current_pool_id, active.get(b.pk)) for b in buys]


def test_the_buy_row_mirrors_its_active_pool_through_create_join_leave_and_cancel(place, other_place, host, pool):
    member = join(other_place, pool)
    assert mirrored(host, member) == [(pool.pk, pool.pk), (pool.pk, pool.pk)]
    pool_leave(actor=other_place.leader.user, buy=member)
    assert mirrored(host, member) == [(pool.pk, pool.pk), (None, None)]
    group_buy_cancel(actor=place.leader.user, buy=host, reason="供应商缺货")
    assert mirrored(host, member) == [(None, None), (None, None)]


def test_a_sign_up_on_a_buy_read_before_it_joined_the_pool_still_counts_in_the_pool(place, other_place, pool):
    """The caller's copy of the buy says "no pool"; the counter UPDATE matches only the pool on the row, so the
    sign-up retries with the pool locked instead of counting outside it."""
    stale = GroupBuyFactory(
        community=other_place.community, leader=other_place.leader.user, moq=Decimal("10"), deadline=pool.deadline
    )
    stale.items.all().delete()
    for item in pool.host_buy.items.all():
        BuyItemFactory(buy=stale, offer=item.offer, is_main=item.is_main, unit_price=item.unit_price)
    joined = join(other_place, pool, buy=stale)
    assert stale.current_pool_id is None
    assert joined.pk == stale.pk
    signup(stale, other_place.resident, 4)
    pool.refresh_from_db()
    assert pool.main_units == 4


def test_leaving_after_the_pool_formed_is_refused_and_changes_nothing(place, other_place, host, pool):
    member = join(other_place, pool)
    signup(member, other_place.resident, 10)
    before = pool_state(pool)
    refused("pool_formed", pool_leave, actor=other_place.leader.user, buy=member)
    refused("pool_formed", group_buy_cancel, actor=other_place.leader.user, buy=member, reason="没货了")
    assert pool_state(pool) == before


def test_joining_after_forming_with_a_later_deadline_or_twice_is_refused(place, other_place, host, pool):
    third = MembershipFactory(is_team_leader=True)
    pool_offer(actor=place.leader.user, pool=pool, community=third.community)
    before = pool_state(pool)
    refused("pool_deadline_later", join, other_place, pool, deadline=pool.deadline + datetime.timedelta(hours=1))
    assert pool_state(pool) == before
    join(other_place, pool)
    before = pool_state(pool)
    refused("already_in_pool", join, other_place, pool)
    refused("already_in_pool", pool_join, actor=place.leader.user, pool=pool, community=place.community)
    assert pool_state(pool) == before
    signup(host, place.resident, 10)
    before = pool_state(pool)
    refused("pool_formed", pool_join, actor=third.user, pool=pool, community=third.community)
    assert pool_state(pool) == before


def test_joining_uninvited_or_as_leader_of_another_community_is_refused(place, other_place, host):
    pool = pool_create(actor=place.leader.user, buy=host)
    before = pool_state(pool)
    refused("pool_not_invited", join, other_place, pool)
    pool_offer(actor=place.leader.user, pool=pool, community=other_place.community)
    # A's leader cannot open B's member buy, B's resident is not a leader, and B's leader cannot offer A's pool.
    refused("wrong_community", pool_join, actor=place.leader.user, pool=pool, community=other_place.community)
    refused("forbidden", pool_join, actor=other_place.resident.user, pool=pool, community=other_place.community)
    refused("wrong_community", pool_offer, actor=other_place.leader.user, pool=pool, community=other_place.community)
    refused("not_your_buy", pool_create, actor=place.other_leader.user, buy=host)
    assert pool_state(pool) == before


def test_pooling_a_buy_of_different_offers_is_refused(place, other_place, host, pool):
    own = GroupBuyFactory(community=other_place.community, leader=other_place.leader.user, deadline=pool.deadline)
    before = pool_state(pool)
    refused("pool_offers_differ", join, other_place, pool, buy=own)
    assert pool_state(pool) == before


def test_an_existing_buy_of_the_same_offer_brings_its_sign_ups_into_the_pool(place, other_place, host, pool):
    own = GroupBuyFactory(
        community=other_place.community, leader=other_place.leader.user, item=None, deadline=pool.deadline
    )
    BuyItemFactory(buy=own, offer=main_item(host).offer, is_main=True)
    signup(own, other_place.resident, 7)
    signup(host, place.resident, 3)
    join(other_place, pool, buy=own)
    pool.refresh_from_db()
    assert (pool.status, pool.main_units) == (PoolStatus.FORMED, 10)
    assert set(GroupBuy.objects.filter(pk__in=[own.pk, host.pk]).values_list("status", flat=True)) == {"formed"}


def test_at_the_pool_deadline_below_moq_every_member_fails_together(place, other_place, host, pool):
    earlier = host.deadline - datetime.timedelta(hours=2)
    member = join(other_place, pool, deadline=earlier)
    signup(member, other_place.resident, 2)
    signup(host, place.resident, 3)

    # The member's own deadline passed: it stops taking sign-ups but does not fail on its own.
    assert group_buys_sweep(now=earlier + datetime.timedelta(minutes=1))["failed"] == 0
    assert GroupBuy.objects.get(pk=member.pk).status == BuyStatus.OPEN

    result = group_buys_sweep(now=host.deadline)
    assert result["pools_failed"] == 1
    pool.refresh_from_db()
    assert pool.status == PoolStatus.FAILED
    assert set(GroupBuy.objects.filter(pk__in=[host.pk, member.pk]).values_list("status", flat=True)) == {"failed"}
    assert set(member.entries.values_list("status", flat=True)) == {EntryStatus.RELEASED}
    assert group_buys_sweep(now=host.deadline)["pools_failed"] == 0


def test_helper_leader_shares_a_buy_into_their_other_community(place, other_place, host):
    MembershipFactory(user=place.leader.user, community=other_place.community, is_team_leader=True)
    member = pool_share(actor=place.leader.user, buy=host, community=other_place.community, drop_point="B 北门")
    assert member.community == other_place.community
    assert PoolMember.objects.get(buy=member).is_helper is True
    signup(member, other_place.resident, 6)
    signup(host, place.resident, 4)
    host.refresh_from_db()
    assert host.status == BuyStatus.FORMED
    assert Pool.objects.get(host_buy=host).main_units == 10


def test_sharing_into_a_community_where_one_is_not_a_leader_is_refused(place, other_place, host):
    before = buy_state(host)
    refused("wrong_community", pool_share, actor=place.leader.user, buy=host, community=other_place.community)
    assert not Pool.objects.exists()
    assert buy_state(host) == before


def test_a_pool_counted_in_yuan_forms_on_the_total_amount(place, other_place):
    host = GroupBuyFactory(community=place.community, leader=place.leader.user, moq_kind="amount", moq=Decimal("500"))
    pool = pool_create(actor=place.leader.user, buy=host)
    pool_offer(actor=place.leader.user, pool=pool, community=other_place.community)
    member = join(other_place, pool)
    signup(host, place.resident, 5)  # 5 × 59 = 295
    pool.refresh_from_db()
    assert (pool.status, pool.total_amount) == (PoolStatus.OPEN, Decimal("295.00"))
    signup(member, other_place.resident, 4)  # + 236 = 531
    pool.refresh_from_db()
    assert (pool.status, pool.total_amount) == (PoolStatus.FORMED, Decimal("531.00"))
    assert GroupBuy.objects.get(pk=member.pk).status == BuyStatus.FORMED


def test_only_the_host_buy_can_be_shared_and_only_before_forming(place, other_place, host, pool):
    member = join(other_place, pool)
    MembershipFactory(user=other_place.leader.user, community=place.community, is_team_leader=True)
    before = pool_state(pool)
    refused("buy_already_pooled", pool_share, actor=other_place.leader.user, buy=member, community=place.community)
    assert pool_state(pool) == before
