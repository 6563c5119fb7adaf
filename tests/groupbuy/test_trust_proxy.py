"""Issue 13 item 5: proxy ordering is scoped. A building leader orders for households of the building they
lead; a volunteer only with the proxy role, for the buildings it names; the buy's own leader for the whole buy.
Everyone else is refused, through the API and the page alike, and a refusal changes nothing (and shows no
names of the household's members)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.factories import HouseholdFactory, MembershipFactory, UserFactory
from accounts.models import HouseholdMember, User
from groupbuy.factories import GroupBuyFactory, buy_state, main_item
from groupbuy.models import Entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def buy(place):
    return GroupBuyFactory(
        community=place.community, leader=place.leader.user, moq=Decimal("3"), household_limit=5, item__cap=10
    )


@pytest.fixture
def far(place):
    """A resident of building 3 (no building leader there), with an elderly member without a phone."""
    household = HouseholdFactory(community=place.community, building=place.other_building, room="101")
    HouseholdMember.objects.create(household=household, name="赵奶奶", phone="")
    user = UserFactory(username="A-far", display_name="赵大爷")
    return MembershipFactory(user=user, household=household, community=place.community)


@pytest.fixture
def procurement(place):
    household = HouseholdFactory(community=place.community, building=place.building, room="603")
    user = UserFactory(username="A-procure", display_name="王采购")
    return MembershipFactory(user=user, household=household, community=place.community, volunteer_group="procurement")


def api_order(api, user, buy, household):
    url = reverse("api-buy-entries", args=[buy.pk])
    payload = {"quantities": {str(main_item(buy).pk): 1}, "household_id": household.pk}
    return api(user).post(url, payload, format="json")


def assert_refused(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["code"] == code


# --- API -------------------------------------------------------------------------------------------------------------


def test_building_leader_orders_for_a_household_of_their_building(place, api, buy):
    response = api_order(api, place.building_leader.user, buy, place.neighbour.household)
    assert response.status_code == 201
    entry = Entry.objects.get(pk=response.json()["id"])
    assert (entry.household_id, entry.placed_by_id) == (place.neighbour.household_id, place.building_leader.user.pk)


def test_building_leader_cannot_order_for_a_household_of_another_building(place, api, buy, far):
    before = buy_state(buy)
    response = api_order(api, place.building_leader.user, buy, far.household)
    assert_refused(response, 403, "not_your_building")
    assert buy_state(buy) == before
    assert not Entry.objects.filter(household=far.household).exists()


@pytest.mark.parametrize("role", ["receiving_volunteer", "data_volunteer", "procurement"])
def test_volunteer_without_the_proxy_role_cannot_order_for_anyone(place, api, buy, procurement, role):
    volunteer = procurement if role == "procurement" else getattr(place, role)
    before = buy_state(buy)
    assert_refused(api_order(api, volunteer.user, buy, place.neighbour.household), 403, "forbidden")
    assert buy_state(buy) == before


def test_volunteer_without_the_proxy_role_still_signs_up_their_own_household(place, api, buy):
    response = api_order(api, place.receiving_volunteer.user, buy, place.receiving_volunteer.household)
    assert response.status_code == 201


def test_volunteer_with_the_proxy_role_orders_only_in_the_buildings_it_names(place, api, buy, far):
    volunteer = place.receiving_volunteer
    volunteer.proxy_buildings.set([place.other_building])
    before = buy_state(buy)
    assert_refused(api_order(api, volunteer.user, buy, place.neighbour.household), 403, "not_your_building")
    assert buy_state(buy) == before
    response = api_order(api, volunteer.user, buy, far.household)
    assert response.status_code == 201
    assert Entry.objects.get(pk=response.json()["id"]).placed_by_id == volunteer.user.pk


def test_the_buys_own_leader_orders_for_any_household_of_the_community(place, api, buy, far):
    assert api_order(api, place.leader.user, buy, far.household).status_code == 201
    assert api_order(api, place.leader.user, buy, place.neighbour.household).status_code == 201


def test_a_team_leader_of_another_buy_cannot_order_for_anyone_in_this_one(place, api, buy, far):
    before = buy_state(buy)
    assert_refused(api_order(api, place.other_leader.user, buy, far.household), 403, "forbidden")
    assert buy_state(buy) == before


def test_a_leader_with_a_buy_of_their_own_orders_community_wide_only_in_it(place, api, buy, far):
    own = GroupBuyFactory(community=place.community, leader=place.other_leader.user, moq=Decimal("3"))
    assert api_order(api, place.other_leader.user, own, far.household).status_code == 201
    assert_refused(api_order(api, place.other_leader.user, buy, far.household), 403, "forbidden")


def test_committee_staff_cannot_order_for_a_household(place, api, buy):
    assert_refused(api_order(api, place.committee.user, buy, place.neighbour.household), 403, "forbidden")


def test_a_revoked_proxy_role_orders_no_more(place, api, buy):
    volunteer = place.receiving_volunteer
    volunteer.proxy_buildings.set([place.building])
    assert api_order(api, volunteer.user, buy, place.neighbour.household).status_code == 201
    volunteer.proxy_buildings.clear()
    before = buy_state(buy)
    fresh = User.objects.get(pk=volunteer.user_id)  # a new request loads the user (and its roles) afresh
    assert_refused(api_order(api, fresh, buy, place.resident.household), 403, "forbidden")
    assert buy_state(buy) == before


# --- pages -----------------------------------------------------------------------------------------------------------


def proxy_url(buy):
    return reverse("groupbuy:proxy_signup", args=[buy.pk])


def test_proxy_page_refuses_another_buildings_household_before_showing_its_members(place, web, buy, far):
    before = buy_state(buy)
    client = web(place.building_leader.user)
    shown = client.get(proxy_url(buy), {"label": "3-101"})
    assert shown.status_code == 403
    assert "This household is not in your building." in shown.content.decode()
    assert "赵奶奶" not in shown.content.decode()
    posted = client.post(proxy_url(buy), {"label": "3-101", f"q_{main_item(buy).pk}": "1", "placed_for": ""})
    assert posted.status_code == 403
    assert buy_state(buy) == before


def test_proxy_page_takes_an_order_from_a_volunteer_with_the_role(place, web, buy, far):
    volunteer = place.receiving_volunteer
    volunteer.proxy_buildings.set([place.other_building])
    client = web(volunteer.user)
    assert "赵奶奶" in client.get(proxy_url(buy), {"label": "3-101"}).content.decode()
    response = client.post(
        proxy_url(buy), {"label": "3-101", f"q_{main_item(buy).pk}": "1", "placed_for": "", "idempotency_key": "k"}
    )
    assert response.status_code == 302
    assert Entry.objects.get(buy=buy).household_id == far.household_id


def test_proxy_page_refuses_a_volunteer_without_the_role(place, web, buy):
    before = buy_state(buy)
    client = web(place.receiving_volunteer.user)
    assert client.get(proxy_url(buy)).status_code == 403
    response = client.post(proxy_url(buy), {"label": "12-302", f"q_{main_item(buy).pk}": "1", "placed_for": ""})
    assert response.status_code == 403
    assert buy_state(buy) == before


def test_buy_page_offers_proxy_ordering_only_to_those_who_may(place, web, buy):
    link = f'href="{proxy_url(buy)}"'
    assert link in web(place.building_leader.user).get(reverse("groupbuy:buy_detail", args=[buy.pk])).content.decode()
    volunteer_page = web(place.data_volunteer.user).get(reverse("groupbuy:buy_detail", args=[buy.pk]))
    assert link not in volunteer_page.content.decode()


# --- the paper sign-up sheet (entered later with proxy ordering) -----------------------------------------------------


def sheet_url(buy):
    return reverse("printables:signup_sheet", args=[buy.pk])


def test_signup_sheet_of_a_building_leader_is_their_building_only(place, web, buy, far):
    client = web(place.building_leader.user)
    text = client.get(sheet_url(buy), {"building": "all", "lang": "en"}).content.decode()  # Chinese by default
    assert "Building 12" in text
    assert "Building 3" not in text  # "all" means every building they order for
    response = client.get(sheet_url(buy), {"building": place.other_building.pk})
    assert response.status_code == 403
    assert "This household is not in your building." in response.content.decode()


def test_signup_sheet_of_a_proxy_volunteer_covers_the_buildings_of_the_role(place, web, buy):
    volunteer = place.data_volunteer
    client = web(volunteer.user)
    assert client.get(sheet_url(buy)).status_code == 403
    volunteer.proxy_buildings.set([place.other_building])
    assert client.get(sheet_url(buy), {"building": place.other_building.pk}).status_code == 200
    assert client.get(sheet_url(buy), {"building": place.building.pk}).status_code == 403


def test_a_proxy_whose_role_was_taken_back_cannot_change_or_withdraw_the_entry_they_placed(place, api, buy):
    volunteer = place.receiving_volunteer
    volunteer.proxy_buildings.set([place.building])
    entry_id = api_order(api, volunteer.user, buy, place.neighbour.household).json()["id"]
    volunteer.proxy_buildings.clear()
    client = api(User.objects.get(pk=volunteer.user_id))
    before = buy_state(buy)
    change = client.patch(
        reverse("api-entry", args=[entry_id]), {"quantities": {str(main_item(buy).pk): 3}}, format="json"
    )
    assert_refused(change, 403, "not_your_entry")
    assert_refused(client.post(reverse("api-entry-withdraw", args=[entry_id])), 403, "not_your_entry")
    assert buy_state(buy) == before
    # The household itself still may.
    assert api(place.neighbour.user).post(reverse("api-entry-withdraw", args=[entry_id])).status_code == 200
