import pytest

from accounts.factories import BuildingFactory, UserFactory
from accounts.models import Household, HouseholdMember, JoinRequest, Membership, Notification, User
from accounts.services.joining import join_request_create, join_request_decide
from core.errors import Conflict, NotFound, PermissionRefused

PASSWORD = "a-long-pass-phrase-42"


@pytest.fixture
def newcomer(db):
    return UserFactory(username="newcomer", display_name="孙新")


def ask(place, user, building=None, room="808"):
    return join_request_create(
        user=user,
        community_id=place.community.pk,
        building_id=(building or place.building).pk,
        room=room,
        name="孙新",
    )


def test_request_notifies_committee_and_that_buildings_leader_only(place, newcomer):
    request = ask(place, newcomer)
    assert request.status == "pending"
    notified = set(Notification.objects.filter(kind="join_requested").values_list("user_id", flat=True))
    assert notified == {place.committee.user_id, place.building_leader.user_id}


def test_committee_approval_makes_a_resident_of_the_room(place, newcomer):
    request = ask(place, newcomer, room="909")
    join_request_decide(actor=place.committee.user, join_request_id=request.pk, approve=True)
    membership = Membership.objects.get(user=newcomer, community=place.community)
    assert membership.household.label == "12-909"
    assert membership.is_resident
    assert HouseholdMember.objects.get(user=newcomer).household_id == membership.household_id
    assert Notification.objects.filter(user=newcomer, kind="join_approved").count() == 1


def test_building_leader_approves_in_their_own_building(place, newcomer):
    request = ask(place, newcomer)
    decided = join_request_decide(actor=place.building_leader.user, join_request_id=request.pk, approve=True)
    assert decided.status == "approved"
    assert decided.decided_by_id == place.building_leader.user_id


def test_building_leader_cannot_decide_for_another_building(place, newcomer):
    request = ask(place, newcomer, building=place.other_building)
    with pytest.raises(PermissionRefused):
        join_request_decide(actor=place.building_leader.user, join_request_id=request.pk, approve=True)
    request.refresh_from_db()
    assert request.status == "pending"
    assert not Membership.objects.filter(user=newcomer).exists()


@pytest.mark.parametrize("role", ["resident", "leader", "data_volunteer", "receiving_volunteer", "gate_guard"])
def test_other_roles_cannot_decide(place, newcomer, role):
    request = ask(place, newcomer)
    with pytest.raises(PermissionRefused):
        join_request_decide(actor=getattr(place, role).user, join_request_id=request.pk, approve=True)
    request.refresh_from_db()
    assert request.status == "pending"


def test_committee_of_another_community_cannot_decide(place, other_place, newcomer):
    request = ask(place, newcomer)
    with pytest.raises(PermissionRefused):
        join_request_decide(actor=other_place.committee.user, join_request_id=request.pk, approve=True)
    request.refresh_from_db()
    assert request.status == "pending"
    assert not Membership.objects.filter(user=newcomer).exists()


def test_rejection_tells_the_person_and_adds_nobody(place, newcomer):
    request = ask(place, newcomer)
    households_before = Household.objects.count()
    join_request_decide(actor=place.committee.user, join_request_id=request.pk, approve=False, reason="不是本小区")
    assert not Membership.objects.filter(user=newcomer).exists()
    assert Household.objects.count() == households_before
    notice = Notification.objects.get(user=newcomer, kind="join_rejected")
    assert notice.params["reason"] == "不是本小区"


def test_a_request_is_decided_once(place, newcomer):
    request = ask(place, newcomer)
    join_request_decide(actor=place.committee.user, join_request_id=request.pk, approve=False)
    with pytest.raises(Conflict) as exc:
        join_request_decide(actor=place.building_leader.user, join_request_id=request.pk, approve=True)
    assert exc.value.code == "join_request_decided"
    request.refresh_from_db()
    assert request.status == "rejected"
    assert not Membership.objects.filter(user=newcomer).exists()


def test_one_pending_request_per_person_and_community(place, newcomer):
    ask(place, newcomer)
    with pytest.raises(Conflict) as exc:
        ask(place, newcomer, room="810")
    assert exc.value.code == "join_request_pending"
    assert JoinRequest.objects.filter(user=newcomer).count() == 1


def test_members_cannot_ask_again_and_foreign_buildings_are_refused(place, other_place, newcomer):
    with pytest.raises(Conflict) as exc:
        ask(place, place.resident.user)
    assert exc.value.code == "already_member"
    with pytest.raises(NotFound):
        ask(place, newcomer, building=other_place.building)
    with pytest.raises(NotFound):
        ask(place, newcomer, building=BuildingFactory())
    assert JoinRequest.objects.count() == 0


def test_page_for_a_newcomer_creates_account_and_request(place, client):
    response = client.post(
        f"/accounts/join/{place.community.pk}/",
        {
            "building": place.building.pk,
            "room": "1201",
            "display_name": "周新",
            "username": "zhouxin",
            "password": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    request = JoinRequest.objects.get(user__username="zhouxin")
    assert request.label == "12-1201"
    assert request.status == "pending"


def test_page_refusal_creates_no_account(place, client):
    response = client.post(
        f"/accounts/join/{place.community.pk}/",
        {
            "building": place.building.pk,
            "room": "1201",
            "display_name": "周新",
            "username": place.resident.user.username,
            "password": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 400
    assert JoinRequest.objects.count() == 0
    assert 'value="1201"' in response.content.decode()


def test_approval_page_lists_only_the_leaders_building(place, newcomer, web):
    ask(place, newcomer)
    other = UserFactory(username="other-b")
    ask(place, other, building=place.other_building)
    page = web(place.building_leader.user).get(f"/accounts/c/{place.community.pk}/join-requests/")
    assert page.status_code == 200
    assert [r.user_id for r in page.context["pending"]] == [newcomer.pk]


def test_approval_page_post_decides(place, newcomer, web):
    request = ask(place, newcomer)
    response = web(place.committee.user).post(
        f"/accounts/c/{place.community.pk}/join-requests/", {"request_id": request.pk, "decision": "approve"}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "approved"


def test_api_create_list_approve(place, newcomer, api):
    created = api(newcomer).post(
        "/api/join-requests/",
        {"community_id": place.community.pk, "building_id": place.building.pk, "room": "1502"},
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    listed = api(place.building_leader.user).get("/api/join-requests/", {"community_id": place.community.pk})
    assert [r["id"] for r in listed.json()] == [pk]
    assert api(place.resident.user).get("/api/join-requests/", {"community_id": place.community.pk}).json() == []
    refused = api(place.resident.user).post(f"/api/join-requests/{pk}/approve/", {}, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    approved = api(place.committee.user).post(f"/api/join-requests/{pk}/approve/", {}, format="json")
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    again = api(place.committee.user).post(f"/api/join-requests/{pk}/reject/", {}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "join_request_decided"
    assert User.objects.get(pk=newcomer.pk).memberships.get().household.label == "12-1502"
