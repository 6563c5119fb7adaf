"""Committee pages: roles, vulnerable households, people without phones; staff of A have no power in B."""

import pytest

from accounts.factories import BuildingFactory
from accounts.models import Household, HouseholdMember, Membership, Notification
from accounts.services.households import household_member_add, household_set_vulnerable
from accounts.services.roles import membership_set_roles
from core.errors import NotFound, PermissionRefused, ValidationFailed

NO_ROLES = {
    "is_team_leader": False,
    "is_building_leader": False,
    "led_building_id": None,
    "volunteer_group": "",
    "is_gate_guard": False,
    "is_committee": False,
}


def roles(**changes):
    return {**NO_ROLES, **changes}


def test_committee_grants_and_revokes_roles(place):
    m = membership_set_roles(
        actor=place.committee.user,
        membership_id=place.resident.pk,
        **roles(is_building_leader=True, led_building_id=place.other_building.pk, volunteer_group="data"),
    )
    assert m.is_building_leader
    assert m.led_building_id == place.other_building.pk
    assert m.volunteer_group == "data"
    assert Notification.objects.filter(user=place.resident.user, kind="roles_changed").count() == 1
    m = membership_set_roles(actor=place.committee.user, membership_id=place.leader.pk, **roles())
    assert not m.is_team_leader


def test_building_leader_role_needs_a_building_of_the_same_community(place, other_place):
    with pytest.raises(ValidationFailed) as exc:
        membership_set_roles(
            actor=place.committee.user, membership_id=place.resident.pk, **roles(is_building_leader=True)
        )
    assert exc.value.code == "building_required"
    with pytest.raises(NotFound):
        membership_set_roles(
            actor=place.committee.user,
            membership_id=place.resident.pk,
            **roles(is_building_leader=True, led_building_id=other_place.building.pk),
        )
    place.resident.refresh_from_db()
    assert not place.resident.is_building_leader


def test_committee_cannot_drop_their_own_committee_role(place):
    with pytest.raises(ValidationFailed) as exc:
        membership_set_roles(actor=place.committee.user, membership_id=place.committee.pk, **roles())
    assert exc.value.code == "cannot_remove_own_committee"
    place.committee.refresh_from_db()
    assert place.committee.is_committee


@pytest.mark.parametrize("role", ["resident", "leader", "building_leader", "data_volunteer", "gate_guard"])
def test_only_committee_changes_roles(place, role):
    with pytest.raises(PermissionRefused):
        membership_set_roles(
            actor=getattr(place, role).user, membership_id=place.neighbour.pk, **roles(is_team_leader=True)
        )
    place.neighbour.refresh_from_db()
    assert not place.neighbour.is_team_leader


def test_committee_of_another_community_cannot_change_roles(place, other_place):
    with pytest.raises(PermissionRefused):
        membership_set_roles(
            actor=other_place.committee.user, membership_id=place.neighbour.pk, **roles(is_committee=True)
        )
    place.neighbour.refresh_from_db()
    assert not place.neighbour.is_committee


def test_vulnerable_list_toggle(place, other_place):
    household = place.neighbour.household
    household_set_vulnerable(actor=place.committee.user, household_id=household.pk, is_vulnerable=True)
    assert Household.objects.get(pk=household.pk).is_vulnerable
    with pytest.raises(PermissionRefused):
        household_set_vulnerable(actor=other_place.committee.user, household_id=household.pk, is_vulnerable=False)
    with pytest.raises(PermissionRefused):
        household_set_vulnerable(actor=place.leader.user, household_id=household.pk, is_vulnerable=False)
    assert Household.objects.get(pk=household.pk).is_vulnerable


def test_building_leader_adds_a_person_without_phone_in_their_building(place):
    person = household_member_add(
        actor=place.building_leader.user,
        community_id=place.community.pk,
        building_id=place.building.pk,
        room="1101",
        name="陈阿婆",
        note="leave at door",
    )
    assert person.household.label == "12-1101"
    assert person.user_id is None
    assert person.created_by_id == place.building_leader.user_id
    assert person.note == "leave at door"


def test_building_leader_cannot_add_people_in_another_building(place):
    with pytest.raises(PermissionRefused):
        household_member_add(
            actor=place.building_leader.user,
            community_id=place.community.pk,
            building_id=place.other_building.pk,
            room="1101",
            name="陈阿婆",
        )
    assert HouseholdMember.objects.count() == 0
    assert not Household.objects.filter(room="1101").exists()


def test_adding_people_is_refused_for_residents_and_other_communities(place, other_place):
    for actor in (place.resident.user, place.leader.user, other_place.committee.user):
        with pytest.raises(PermissionRefused):
            household_member_add(
                actor=actor,
                community_id=place.community.pk,
                building_id=place.building.pk,
                room="1101",
                name="陈阿婆",
            )
    with pytest.raises(NotFound):
        household_member_add(
            actor=place.committee.user,
            community_id=place.community.pk,
            building_id=BuildingFactory().pk,
            room="1101",
            name="陈阿婆",
        )
    assert HouseholdMember.objects.count() == 0


def test_phone_of_a_person_added_by_staff_is_not_shown_on_the_page(place, web):
    household_member_add(
        actor=place.committee.user,
        community_id=place.community.pk,
        building_id=place.building.pk,
        room="1101",
        name="陈阿婆",
        phone="13912345678",
    )
    page = web(place.committee.user).get(f"/accounts/c/{place.community.pk}/households/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "陈阿婆" in body
    assert "13912345678" not in body


def test_roles_page_saves(place, web):
    client = web(place.committee.user)
    url = f"/accounts/c/{place.community.pk}/members/{place.neighbour.pk}/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"is_team_leader": "on", "volunteer_group": "receiving"})
    assert response.status_code == 302
    place.neighbour.refresh_from_db()
    assert place.neighbour.is_team_leader
    assert place.neighbour.volunteer_group == "receiving"


def test_roles_page_shows_refusal_in_the_form(place, web):
    response = web(place.committee.user).post(
        f"/accounts/c/{place.community.pk}/members/{place.neighbour.pk}/", {"is_building_leader": "on"}
    )
    assert response.status_code == 400
    assert response.context["form"].error_code == "building_required"
    place.neighbour.refresh_from_db()
    assert not place.neighbour.is_building_leader


def test_vulnerable_page_adds_by_label_and_removes(place, web):
    client = web(place.committee.user)
    url = f"/accounts/c/{place.community.pk}/vulnerable/"
    assert client.post(url, {"label": "12-302"}).status_code == 302
    household = place.neighbour.household
    household.refresh_from_db()
    assert household.is_vulnerable
    assert client.post(url, {"label": "99-999"}).status_code == 404
    assert client.post(url, {"household_id": household.pk, "is_vulnerable": "0"}).status_code == 302
    household.refresh_from_db()
    assert not household.is_vulnerable


def test_members_page_query_count_does_not_grow_with_members(place, web, django_assert_max_num_queries):
    client = web(place.committee.user)
    url = f"/accounts/c/{place.community.pk}/members/"
    with django_assert_max_num_queries(10):
        assert client.get(url).status_code == 200


COMMITTEE_PAGES = [
    ("get", "/accounts/c/{c}/invites/", {}),
    ("post", "/accounts/c/{c}/invites/", {"buildings": ["{b}"], "valid_days": "7"}),
    ("get", "/accounts/c/{c}/join-requests/", {}),
    ("post", "/accounts/c/{c}/join-requests/", {"request_id": "1", "decision": "approve"}),
    ("get", "/accounts/c/{c}/members/", {}),
    ("get", "/accounts/c/{c}/members/{m}/", {}),
    ("post", "/accounts/c/{c}/members/{m}/", {"is_committee": "on"}),
    ("get", "/accounts/c/{c}/vulnerable/", {}),
    ("post", "/accounts/c/{c}/vulnerable/", {"label": "12-301"}),
    ("post", "/accounts/c/{c}/vulnerable/", {"household_id": "{h}", "is_vulnerable": "1"}),
    ("get", "/accounts/c/{c}/households/", {}),
    ("post", "/accounts/c/{c}/households/", {"building": "{b}", "room": "1", "name": "x"}),
]


@pytest.mark.parametrize(("method", "url", "data"), COMMITTEE_PAGES)
def test_committee_of_another_community_is_refused_on_every_committee_page(place, other_place, web, method, url, data):
    def fill(value):
        return (
            value.replace("{c}", str(place.community.pk))
            .replace("{b}", str(place.building.pk))
            .replace("{m}", str(place.neighbour.pk))
            .replace("{h}", str(place.neighbour.household_id))
        )

    before = (
        list(Membership.objects.order_by("pk").values()),
        list(Household.objects.order_by("pk").values()),
        HouseholdMember.objects.count(),
    )
    payload = {k: [fill(x) for x in v] if isinstance(v, list) else fill(v) for k, v in data.items()}
    client = web(other_place.committee.user)
    response = getattr(client, method)(fill(url), payload)
    assert response.status_code == 403
    after = (
        list(Membership.objects.order_by("pk").values()),
        list(Household.objects.order_by("pk").values()),
        HouseholdMember.objects.count(),
    )
    assert after == before
    # the same pages are open to the community's own committee
    assert web(place.committee.user).get(fill(url)).status_code == 200


def test_committee_of_another_community_is_refused_on_the_api(place, other_place, api, django_user_model):
    from accounts.services.joining import join_request_create

    newcomer = django_user_model.objects.create_user("api-new", password="x-long-pass-phrase")
    request = join_request_create(
        user=newcomer, community_id=place.community.pk, building_id=place.building.pk, room="1"
    )
    client = api(other_place.committee.user)
    assert client.get("/api/join-requests/", {"community_id": place.community.pk}).json() == []
    for verb in ("approve", "reject"):
        response = client.post(f"/api/join-requests/{request.pk}/{verb}/", {}, format="json")
        assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == "pending"


def test_members_page_finds_by_address(place, web):
    page = web(place.committee.user).get(f"/accounts/c/{place.community.pk}/members/", {"q": "12-302"})
    assert [m.pk for m in page.context["rows"]] == [place.neighbour.pk]


@pytest.mark.parametrize("page", ["join-requests", "vulnerable", "households", "invites"])
def test_committee_list_pages_have_a_fixed_query_count(place, web, django_assert_max_num_queries, page):
    from accounts.factories import UserFactory
    from accounts.services.invites import invite_codes_issue
    from accounts.services.joining import join_request_create

    for i in range(8):
        join_request_create(
            user=UserFactory(), community_id=place.community.pk, building_id=place.building.pk, room=f"9{i}"
        )
        person = household_member_add(
            actor=place.committee.user,
            community_id=place.community.pk,
            building_id=place.building.pk,
            room=f"8{i}",
            name=f"老{i}",
        )
        household_set_vulnerable(actor=place.committee.user, household_id=person.household_id, is_vulnerable=True)
    invite_codes_issue(actor=place.committee.user, community_id=place.community.pk, building_ids=[place.building.pk])
    client = web(place.committee.user)
    with django_assert_max_num_queries(10):
        assert client.get(f"/accounts/c/{place.community.pk}/{page}/").status_code == 200
