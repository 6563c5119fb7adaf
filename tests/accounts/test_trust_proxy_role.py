"""Issue 13 item 5: the proxy role. Committee staff give a volunteer the right to order for households of named
buildings, and take it back, on the roles page and through the API; nobody else can, and a refused change
changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Membership
from accounts.permissions import proxy_scope
from groupbuy.factories import GroupBuyFactory

pytestmark = pytest.mark.django_db


def roles_url(membership):
    return reverse("api-membership-roles", args=[membership.pk])


def proxy_ids(membership):
    return sorted(Membership.objects.get(pk=membership.pk).proxy_buildings.values_list("pk", flat=True))


def test_committee_grants_and_revokes_the_proxy_role_through_the_api(place, api):
    volunteer = place.receiving_volunteer
    client = api(place.committee.user)
    body = {"volunteer_group": "receiving", "proxy_building_ids": [place.other_building.pk]}
    response = client.put(roles_url(volunteer), body, format="json")
    assert response.status_code == 200
    assert response.json()["proxy_building_ids"] == [place.other_building.pk]
    assert proxy_ids(volunteer) == [place.other_building.pk]
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user)
    fresh = Membership.objects.get(pk=volunteer.pk).user
    assert proxy_scope(fresh, buy).building_ids == frozenset({place.other_building.pk})

    response = client.put(roles_url(volunteer), {"volunteer_group": "receiving"}, format="json")
    assert response.json()["proxy_building_ids"] == []  # every role is set at once: left out means none
    assert proxy_ids(volunteer) == []


def test_proxy_role_naming_a_building_of_another_community_is_refused(place, other_place, api):
    volunteer = place.receiving_volunteer
    body = {"volunteer_group": "receiving", "proxy_building_ids": [place.building.pk, other_place.building.pk]}
    response = api(place.committee.user).put(roles_url(volunteer), body, format="json")
    assert (response.status_code, response.json()["code"]) == (404, "building_not_found")
    assert proxy_ids(volunteer) == []


def test_proxy_role_is_for_volunteers_only(place, api):
    body = {"proxy_building_ids": [place.building.pk]}
    response = api(place.committee.user).put(roles_url(place.neighbour), body, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "proxy_needs_volunteer")
    assert proxy_ids(place.neighbour) == []


def test_leaving_the_volunteer_groups_ends_the_proxy_role(place, api):
    volunteer = place.receiving_volunteer
    volunteer.proxy_buildings.set([place.building])
    response = api(place.committee.user).put(roles_url(volunteer), {"volunteer_group": ""}, format="json")
    assert response.status_code == 200
    assert proxy_ids(volunteer) == []


@pytest.mark.parametrize("role", ["leader", "building_leader", "receiving_volunteer", "resident"])
def test_only_committee_staff_grant_the_proxy_role(place, api, role):
    body = {"volunteer_group": "receiving", "proxy_building_ids": [place.building.pk]}
    response = api(getattr(place, role).user).put(roles_url(place.receiving_volunteer), body, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert proxy_ids(place.receiving_volunteer) == []


def test_committee_of_another_community_cannot_grant_the_proxy_role(place, other_place, api):
    body = {"volunteer_group": "receiving", "proxy_building_ids": [place.building.pk]}
    response = api(other_place.committee.user).put(roles_url(place.receiving_volunteer), body, format="json")
    assert response.status_code in (403, 404)
    assert proxy_ids(place.receiving_volunteer) == []


def test_roles_page_grants_the_proxy_role_and_the_members_page_shows_it(place, web):
    client = web(place.committee.user)
    url = reverse("accounts:member_roles", args=[place.community.pk, place.data_volunteer.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"volunteer_group": "data", "proxy_buildings": [place.building.pk]})
    assert response.status_code == 302
    assert proxy_ids(place.data_volunteer) == [place.building.pk]
    assert client.get(url).context["form"].initial["proxy_buildings"] == [place.building.pk]
    members = client.get(reverse("accounts:members", args=[place.community.pk]))
    shown = {m.pk: [b.label for b in m.proxy_buildings.all()] for m in members.context["rows"]}
    assert shown[place.data_volunteer.pk] == ["12"]
    assert shown[place.receiving_volunteer.pk] == []


def test_roles_page_refuses_the_proxy_role_for_a_non_volunteer(place, web):
    url = reverse("accounts:member_roles", args=[place.community.pk, place.neighbour.pk])
    response = web(place.committee.user).post(url, {"volunteer_group": "", "proxy_buildings": [place.building.pk]})
    assert response.status_code == 400
    assert response.context["form"].error_code == "proxy_needs_volunteer"
    assert proxy_ids(place.neighbour) == []
