"""Pool API: the same services and codes as the pages."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from groupbuy.factories import BuyItemFactory, GroupBuyFactory, signup
from groupbuy.models import GroupBuy, Pool, PoolMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def host(place):
    return GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("10"))


def test_leaders_pool_offer_join_and_see_progress_through_the_api(place, other_place, api, host):
    leader_a = api(place.leader.user)
    response = leader_a.post(reverse("api-buy-pool", args=[host.pk]))
    assert response.status_code == 201
    pool_id = response.json()["id"]
    response = leader_a.post(reverse("api-pool-offer", args=[pool_id]), {"community": other_place.community.pk})
    assert response.status_code == 200

    leader_b = api(other_place.leader.user)
    late = (host.deadline + datetime.timedelta(hours=1)).isoformat()
    body = {"community": other_place.community.pk, "drop_point": "东门", "deadline": late}
    response = leader_b.post(reverse("api-pool-join", args=[pool_id]), body, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "pool_deadline_later")
    assert not GroupBuy.objects.filter(community=other_place.community).exists()
    del body["deadline"]
    response = leader_b.post(reverse("api-pool-join", args=[pool_id]), body, format="json")
    assert response.status_code == 201
    member = GroupBuy.objects.get(community=other_place.community)
    signup(member, other_place.resident, 4)

    data = api(place.resident.user).get(reverse("api-pool", args=[pool_id])).json()
    assert [(m["community_name"], m["units"]) for m in data["members"]] == [
        (place.community.name, 0),
        (other_place.community.name, 4),
    ]
    assert data["remaining"] == "6.00"
    assert other_place.resident.user.display_name not in str(data)

    response = leader_a.post(reverse("api-buy-pool-leave", args=[host.pk]))
    assert (response.status_code, response.json()["code"]) == (409, "pool_host_cannot_leave")
    response = leader_b.post(reverse("api-buy-pool-leave", args=[member.pk]))
    assert response.status_code == 200
    assert Pool.objects.get(pk=pool_id).main_units == 0
    assert PoolMember.objects.get(buy=member).status == "left"


def test_coordination_api_shows_the_next_box_and_the_leaders_record(place, api):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, item=None)
    item = BuyItemFactory(buy=buy, is_main=True, offer__pack_size=10, offer__unit="斤")
    signup(buy, place.resident, 17, item=item)
    data = api(place.resident.user).get(reverse("api-buy-coordination", args=[buy.pk])).json()
    assert data["pool"] is None
    assert [(p["missing"], p["full_packs"]) for p in data["packs"]] == [(3, 1)]
    assert data["reputation"]["completed"] == 0
    assert data["reputation"]["average_markup"] == "18.0"  # 59 over a cost of 50


def test_board_api_is_for_leaders(place, api, host):
    response = api(place.leader.user).get(reverse("api-board"), {"community": place.community.pk})
    assert response.status_code == 200
    assert [b["id"] for group in response.json() for b in group["buys"]] == [host.pk]
    response = api(place.resident.user).get(reverse("api-board"), {"community": place.community.pk})
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
