"""Pool pages, the leaders' board and the per-buy coordination panel."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.factories import CommunityFactory, MembershipFactory
from groupbuy.factories import BuyItemFactory, GroupBuyFactory, main_item, signup
from groupbuy.models import DuplicateBuyNotice, GroupBuy, Pool, PoolMember
from groupbuy.services.buys import group_buy_close, group_buy_open
from groupbuy.services.pools import pool_create, pool_join, pool_offer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    # The assertions read the English source strings (the zh-Hans catalogue translates them).
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def pooled(place, other_place):
    other_place.community.district = place.community.district = "徐汇区"
    place.community.save()
    other_place.community.save()
    host = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("10"), title="豆腐团")
    pool = pool_create(actor=place.leader.user, buy=host)
    pool_offer(actor=place.leader.user, pool=pool, community=other_place.community)
    member = pool_join(actor=other_place.leader.user, pool=pool, community=other_place.community, drop_point="东门")
    signup(host, place.resident, 3)
    signup(member, other_place.resident, 4)
    return pool, host, member


def test_pool_page_shows_each_community_count_and_never_names_of_people(place, other_place, web, pooled):
    pool, host, member = pooled
    body = web(place.resident.user).get(reverse("groupbuy:pool_detail", args=[pool.pk])).content.decode()
    assert "7 of 10" in body.replace(".00", "")
    assert other_place.community.name in body
    assert other_place.resident.user.display_name not in body
    assert "东门" in body


def test_pool_page_is_refused_to_people_outside_the_pool(web, pooled):
    pool, _host, _member = pooled
    stranger = MembershipFactory(community=CommunityFactory())
    response = web(stranger.user).get(reverse("groupbuy:pool_detail", args=[pool.pk]))
    assert response.status_code == 403


def test_leader_joins_from_the_page_and_a_later_deadline_is_refused_with_the_message(place, web, pooled):
    pool, host, _member = pooled
    third = MembershipFactory(community=CommunityFactory(district="徐汇区"), is_team_leader=True)
    pool_offer(actor=place.leader.user, pool=pool, community=third.community)
    client = web(third.user)
    late = timezone.localtime(pool.deadline + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "community": third.community.pk,
        "drop_point": "西门",
        "deadline": late,
        "delivery_date": host.delivery_date.isoformat(),
    }
    response = client.post(reverse("groupbuy:pool_join", args=[pool.pk]), data)
    assert response.status_code == 400
    assert "later than the pool" in response.content.decode()
    assert 'value="西门"' in response.content.decode()
    assert not GroupBuy.objects.filter(community=third.community).exists()

    data["deadline"] = timezone.localtime(pool.deadline - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("groupbuy:pool_join", args=[pool.pk]), data)
    assert response.status_code == 302
    assert PoolMember.objects.filter(pool=pool, community=third.community, status="active").count() == 1


def test_pool_order_has_one_line_per_drop_point_for_leaders(place, other_place, web, pooled):
    pool, host, member = pooled
    signup(host, place.neighbour, 3)
    assert Pool.objects.get(pk=pool.pk).status == "formed"
    assert group_buy_close(buy_id=host.pk)
    assert group_buy_close(buy_id=member.pk)
    body = web(other_place.leader.user).get(reverse("groupbuy:pool_detail", args=[pool.pk])).content.decode()
    assert "东门" in body
    assert "10 份" in body


def test_coordination_panel_shows_units_missing_to_fill_the_next_box(place, web):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, item=None)
    item = BuyItemFactory(buy=buy, is_main=True, offer__pack_size=10, offer__unit="斤")
    signup(buy, place.resident, 7, item=item)
    signup(buy, place.neighbour, 10, item=item)
    body = web(place.resident.user).get(reverse("groupbuy:buy_coordination", args=[buy.pk])).content.decode()
    assert "3 斤 (jin, 500 g) more fills the next box" in body


def test_board_groups_open_buys_of_the_community_and_its_pool_neighbours(
    place, other_place, web, pooled, django_assert_max_num_queries
):
    _pool, host, member = pooled
    GroupBuyFactory(community=place.community, leader=place.other_leader.user, title="牛奶团")
    client = web(place.leader.user)
    url = reverse("groupbuy:board") + f"?community={place.community.pk}"
    client.get(url)
    with django_assert_max_num_queries(14):
        body = client.get(url).content.decode()
    assert "豆腐团" in body
    assert "牛奶团" in body
    assert other_place.community.name in body  # the neighbour's member buy is listed
    assert web(place.resident.user).get(url).status_code == 403


def test_opening_a_duplicate_buy_is_allowed_and_recorded_for_other_leaders(place, web):
    first = GroupBuyFactory(community=place.community, leader=place.leader.user, title="第一团")
    offer = main_item(first).offer
    second = group_buy_open(
        actor=place.other_leader.user,
        community=place.community,
        title="第二团",
        kind="fair",
        items=[{"offer_id": offer.pk}],
        moq_kind="units",
        moq=5,
        deadline=timezone.now() + datetime.timedelta(days=1),
        delivery_date=timezone.localdate() + datetime.timedelta(days=2),
        distribution_mode="building",
        confirm_duplicate=True,
    )
    notice = DuplicateBuyNotice.objects.get()
    assert (notice.buy, notice.other_buy, notice.reason) == (second, first, "same_offer")
    body = web(place.leader.user).get(reverse("groupbuy:board") + f"?community={place.community.pk}")
    assert "opened next to another buy" in body.content.decode()
    panel = web(place.other_leader.user).get(reverse("groupbuy:buy_coordination", args=[second.pk]))
    assert "第一团" in panel.content.decode()


def test_pool_page_is_a_fixed_number_of_queries(place, other_place, web, pooled, django_assert_max_num_queries):
    pool, host, member = pooled
    client = web(place.leader.user)
    url = reverse("groupbuy:pool_detail", args=[pool.pk])
    client.get(url)
    with django_assert_max_num_queries(30) as captured:
        client.get(url)
    small = len(captured.captured_queries)
    for n in range(3):
        community = CommunityFactory(district="徐汇区")
        leader = MembershipFactory(community=community, is_team_leader=True)
        pool_offer(actor=place.leader.user, pool=pool, community=community)
        pool_join(actor=leader.user, pool=pool, community=community, drop_point=f"门{n}")
    with django_assert_max_num_queries(small):
        client.get(url)


def test_member_buy_page_shows_its_own_count_and_the_pools_progress(other_place, web, pooled):
    pool, _host, member = pooled
    body = web(other_place.resident.user).get(reverse("groupbuy:buy_detail", args=[member.pk])).content.decode()
    assert "This community: 4" in body
    assert "Pool: 7 of 10" in body.replace(".00", "")
    assert reverse("groupbuy:pool_detail", args=[pool.pk]) in body
