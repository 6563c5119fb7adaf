"""The committee's API: same services and rules as the pages; staff of A have no power in B."""

import pytest

from accounts.models import Household, HouseholdMember, InviteCode, Membership
from accounts.services.invites import hash_code


def test_members_list_for_committee_only(place, api, django_assert_max_num_queries):
    url = f"/api/communities/{place.community.pk}/members/"
    with django_assert_max_num_queries(8):
        response = api(place.committee.user).get(url)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 9
    assert place.resident.user.phone not in response.content.decode()
    assert api(place.committee.user).get(url, {"q": "12-302"}).json()["count"] == 1
    assert api(place.leader.user).get(url).status_code == 403


def test_roles_put_sets_only_role_fields(place, api):
    response = api(place.committee.user).put(
        f"/api/memberships/{place.neighbour.pk}/roles/",
        {
            "is_team_leader": True,
            "volunteer_group": "data",
            # not settable through this endpoint: ignored
            "community": place.community.pk + 999,
            "household": None,
            "is_active": False,
            "user": place.committee.user_id,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    m = Membership.objects.get(pk=place.neighbour.pk)
    assert m.is_team_leader
    assert m.volunteer_group == "data"
    assert m.is_active
    assert m.community_id == place.community.pk
    assert m.household_id == place.neighbour.household_id
    assert m.user_id == place.neighbour.user_id


def test_roles_put_refusals_are_coded(place, api):
    client = api(place.committee.user)
    response = client.put(f"/api/memberships/{place.neighbour.pk}/roles/", {"is_building_leader": True}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "building_required"
    response = client.put(f"/api/memberships/{place.committee.pk}/roles/", {}, format="json")
    assert response.json()["code"] == "cannot_remove_own_committee"
    assert client.put("/api/memberships/999999/roles/", {}, format="json").status_code == 404


def test_vulnerable_and_household_member_and_invites(place, api):
    client = api(place.committee.user)
    household = place.neighbour.household
    response = client.put(f"/api/households/{household.pk}/vulnerable/", {"is_vulnerable": True}, format="json")
    assert response.status_code == 200
    assert response.json() == {"id": household.pk, "label": "12-302", "is_vulnerable": True}

    response = client.post(
        f"/api/communities/{place.community.pk}/household-members/",
        {"building_id": place.building.pk, "room": "1101", "name": "陈阿婆", "note": "leave at door", "phone": "139"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["household"] == "12-1101"
    assert "phone" not in response.json()
    assert response.json()["has_account"] is False

    response = client.post(
        f"/api/communities/{place.community.pk}/invites/",
        {"household_ids": [household.pk], "valid_days": 3},
        format="json",
    )
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    [issued] = response.json()
    assert issued["household"] == "12-302"
    assert InviteCode.objects.get().code_hash == hash_code(issued["code"].replace("-", ""))


@pytest.mark.parametrize(
    ("method", "url", "payload"),
    [
        ("get", "/api/communities/{c}/members/", None),
        ("put", "/api/memberships/{m}/roles/", {"is_committee": True}),
        ("put", "/api/households/{h}/vulnerable/", {"is_vulnerable": True}),
        ("post", "/api/communities/{c}/household-members/", {"building_id": "{b}", "room": "1", "name": "x"}),
        ("post", "/api/communities/{c}/invites/", {"building_ids": ["{b}"]}),
    ],
)
def test_committee_of_another_community_is_refused_on_every_committee_api(
    place, other_place, api, method, url, payload
):
    ids = {
        "{c}": place.community.pk,
        "{m}": place.neighbour.pk,
        "{h}": place.neighbour.household_id,
        "{b}": place.building.pk,
    }

    def fill(value):
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, str) and value in ids:
            return ids[value]
        if isinstance(value, str):
            for k, v in ids.items():
                value = value.replace(k, str(v))
        return value

    before = (
        list(Membership.objects.order_by("pk").values()),
        list(Household.objects.order_by("pk").values()),
        HouseholdMember.objects.count(),
        InviteCode.objects.count(),
    )
    body = {k: fill(v) for k, v in payload.items()} if payload else None
    response = getattr(api(other_place.committee.user), method)(fill(url), body, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    after = (
        list(Membership.objects.order_by("pk").values()),
        list(Household.objects.order_by("pk").values()),
        HouseholdMember.objects.count(),
        InviteCode.objects.count(),
    )
    assert after == before
