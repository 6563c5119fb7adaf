import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.db import connections as db_connections
from django.utils import timezone

from accounts.factories import HouseholdFactory, HouseholdMemberFactory, UserFactory
from accounts.models import HouseholdMember, InviteCode, Membership, User
from accounts.services import invites as invite_services
from accounts.services.invites import hash_code, invite_codes_issue, invite_redeem
from core.errors import Conflict, NotFound, PermissionRefused, RateLimited, ValidationFailed

PASSWORD = "a-long-pass-phrase-42"


def issue_one(place, household=None):
    household = household or HouseholdFactory(building=place.building, community=place.community, room="888")
    issued = invite_codes_issue(
        actor=place.committee.user, community_id=place.community.pk, household_ids=[household.pk]
    )
    assert len(issued) == 1
    return issued[0].code, household


def redeem_new(code, username="newbie", ip="10.0.0.1", **kw):
    return invite_redeem(code=code, client_ip=ip, username=username, password=PASSWORD, display_name="赵小红", **kw)


def test_redeeming_creates_account_bound_to_the_household(place):
    code, household = issue_one(place)
    membership = redeem_new(code)
    assert membership.household_id == household.pk
    assert membership.community_id == place.community.pk
    assert membership.is_resident
    assert membership.is_active
    user = User.objects.get(username="newbie")
    assert user.check_password(PASSWORD)
    assert HouseholdMember.objects.get(user=user).household_id == household.pk
    invite = InviteCode.objects.get(household=household)
    assert invite.used_at is not None
    assert invite.used_by_id == user.pk


def test_code_can_be_typed_with_dashes_spaces_and_lowercase(place):
    code, household = issue_one(place)
    typed = " " + "-".join(code[i : i + 4] for i in (0, 4, 8)).lower() + " "
    assert redeem_new(typed).household_id == household.pk


def test_reused_code_is_refused_and_changes_nothing(place):
    code, _ = issue_one(place)
    redeem_new(code, username="first")
    users_before = User.objects.count()
    with pytest.raises(Conflict) as exc:
        redeem_new(code, username="second")
    assert exc.value.code == "invite_used"
    assert User.objects.count() == users_before
    assert not User.objects.filter(username="second").exists()


def test_expired_code_is_refused_and_changes_nothing(place):
    code, household = issue_one(place)
    InviteCode.objects.filter(household=household).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(Conflict) as exc:
        redeem_new(code)
    assert exc.value.code == "invite_expired"
    assert not User.objects.filter(username="newbie").exists()
    assert InviteCode.objects.get(household=household).used_at is None


@pytest.mark.parametrize("wrong", ["", "ABC", "ABCDEFGHJKMN", "ABCDEFGHJKMNP", "!!!!"])
def test_wrong_code_is_refused_with_a_coded_message(place, wrong):
    issue_one(place)
    with pytest.raises(ValidationFailed) as exc:
        redeem_new(wrong)
    assert exc.value.code == "invite_invalid"
    assert not User.objects.filter(username="newbie").exists()


def test_bad_account_fields_leave_the_code_unused(place):
    code, household = issue_one(place)
    with pytest.raises(ValidationFailed) as exc:
        invite_redeem(code=code, client_ip="10.0.0.1", username="x y", password="123", display_name="")
    assert set(exc.value.detail) == {"username", "password", "display_name"}
    assert InviteCode.objects.get(household=household).used_at is None
    # the same code still works afterwards
    assert redeem_new(code).household_id == household.pk


def test_taken_username_is_refused_and_code_stays_unused(place):
    code, household = issue_one(place)
    with pytest.raises(ValidationFailed) as exc:
        redeem_new(code, username=place.resident.user.username.upper())
    assert exc.value.code == "username_taken"
    assert InviteCode.objects.get(household=household).used_at is None


def test_code_is_stored_only_as_a_keyed_hash(place):
    issued = invite_codes_issue(
        actor=place.committee.user, community_id=place.community.pk, building_ids=[place.building.pk]
    )
    assert len(issued) == place.community.households.filter(building=place.building).count()
    codes = {i.code for i in issued}
    assert len(codes) == len(issued)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_invitecode")
        dump = repr(cursor.fetchall())
    for code in codes:
        assert code not in dump
        assert code.lower() not in dump
        assert hash_code(code) in dump


def test_only_without_account_skips_households_with_people_signed_up(place):
    empty = HouseholdFactory(building=place.building, community=place.community, room="999")
    issued = invite_codes_issue(
        actor=place.committee.user,
        community_id=place.community.pk,
        building_ids=[place.building.pk],
        only_without_account=True,
    )
    assert [i.household.pk for i in issued] == [empty.pk]


@pytest.mark.parametrize("role", ["resident", "leader", "building_leader", "data_volunteer", "gate_guard"])
def test_only_committee_issues_codes(place, role):
    with pytest.raises(PermissionRefused):
        invite_codes_issue(
            actor=getattr(place, role).user, community_id=place.community.pk, building_ids=[place.building.pk]
        )
    assert InviteCode.objects.count() == 0


def test_committee_of_another_community_cannot_issue_codes(place, other_place):
    with pytest.raises(PermissionRefused):
        invite_codes_issue(
            actor=other_place.committee.user, community_id=place.community.pk, building_ids=[place.building.pk]
        )
    # and cannot smuggle another community's households into their own sheet
    with pytest.raises(NotFound) as exc:
        invite_codes_issue(
            actor=other_place.committee.user,
            community_id=other_place.community.pk,
            household_ids=[place.resident.household_id],
        )
    assert exc.value.code == "household_not_found"
    assert InviteCode.objects.count() == 0


def test_repeated_failures_lock_out_the_code_prefix_even_for_the_right_code(place):
    code, household = issue_one(place)
    wrong = code[:4] + ("A" * 8 if code[4:] != "A" * 8 else "B" * 8)
    for i in range(invite_services.PREFIX_LIMIT):
        with pytest.raises(ValidationFailed):
            redeem_new(wrong, ip=f"10.1.0.{i}")
    with pytest.raises(RateLimited) as exc:
        redeem_new(code, ip="10.2.0.1")
    assert exc.value.code == "rate_limited"
    assert InviteCode.objects.get(household=household).used_at is None
    assert not User.objects.filter(username="newbie").exists()


def test_repeated_failures_lock_out_the_ip(place):
    code, household = issue_one(place)
    for i in range(invite_services.IP_LIMIT):
        with pytest.raises(ValidationFailed):
            redeem_new(f"{i:04d}ZZZZZZZZ".replace("0", "A").replace("1", "B"), ip="10.9.9.9")
    with pytest.raises(RateLimited):
        redeem_new(code, ip="10.9.9.9")
    assert InviteCode.objects.get(household=household).used_at is None
    # another address is not affected
    assert redeem_new(code, ip="10.9.9.10").household_id == household.pk


def test_existing_user_redeems_a_code_for_another_community(place, other_place):
    code, household = issue_one(other_place)
    user = place.resident.user
    HouseholdMemberFactory(household=place.resident.household, name=user.display_name, user=user)
    membership = invite_redeem(code=code, client_ip="10.0.0.1", user=user)
    assert membership.community_id == other_place.community.pk
    assert membership.household_id == household.pk
    assert Membership.objects.filter(user=user).count() == 2
    # the person row stays with the first household (one per account)
    assert HouseholdMember.objects.get(user=user).household_id == place.resident.household_id


def test_member_of_a_household_cannot_take_a_second_one_in_the_same_community(place):
    code, household = issue_one(place)
    with pytest.raises(Conflict) as exc:
        invite_redeem(code=code, client_ip="10.0.0.1", user=place.resident.user)
    assert exc.value.code == "already_member"
    assert InviteCode.objects.get(household=household).used_at is None
    place.resident.refresh_from_db()
    assert place.resident.household_id != household.pk


def test_staff_without_household_gets_one_by_code(place):
    Membership.objects.filter(pk=place.committee.pk).update(household=None)
    code, household = issue_one(place)
    membership = invite_redeem(code=code, client_ip="10.0.0.1", user=place.committee.user)
    assert membership.pk == place.committee.pk
    assert membership.household_id == household.pk
    assert membership.is_committee
    assert membership.is_resident


def test_household_claims_a_person_added_without_phone_and_keeps_the_history(place):
    household = HouseholdFactory(building=place.building, community=place.community, room="110")
    granny = HouseholdMemberFactory(
        household=household, name="陈阿婆", note="leave at door", created_by=place.building_leader.user
    )
    code, _ = issue_one(place, household)
    membership = redeem_new(code, claim_member_id=granny.pk)
    granny.refresh_from_db()
    assert granny.user_id == membership.user_id
    assert granny.created_by_id == place.building_leader.user_id  # history kept: who added her
    assert HouseholdMember.objects.filter(household=household).count() == 1


def test_claiming_a_person_of_another_household_is_refused(place):
    code, household = issue_one(place)
    stranger = HouseholdMemberFactory(household=place.neighbour.household, name="外人")
    with pytest.raises(PermissionRefused) as exc:
        redeem_new(code, claim_member_id=stranger.pk)
    assert exc.value.code == "member_not_claimable"
    stranger.refresh_from_db()
    assert stranger.user_id is None
    assert InviteCode.objects.get(household=household).used_at is None
    assert not User.objects.filter(username="newbie").exists()


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_redemptions_of_one_code_give_exactly_one_account():
    from tests.conftest import Community

    place = Community("R")
    code, household = issue_one(place)
    barrier = threading.Barrier(4)
    outcomes = []

    def attempt(n):
        try:
            barrier.wait()
            invite_redeem(
                code=code, client_ip=f"10.3.0.{n}", username=f"racer{n}", password=PASSWORD, display_name="抢"
            )
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            db_connections.close_all()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["invite_used"] * 3 + ["ok"]
    assert Membership.objects.filter(household=household).count() == 1
    assert User.objects.filter(username__startswith="racer").count() == 1
    invite = InviteCode.objects.get(household=household)
    assert invite.used_by.username.startswith("racer")


# --- pages and API ----------------------------------------------------------


def test_redeem_page_shows_the_household_then_creates_and_logs_in(place, client):
    code, household = issue_one(place)
    page = client.post("/accounts/join/code/", {"step": "check", "code": code})
    assert page.status_code == 200
    assert household.label in page.content.decode()
    response = client.post(
        "/accounts/join/code/",
        {
            "code": code,
            "display_name": "赵小红",
            "username": "zhao",
            "password": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    assert client.get("/").context["user"].username == "zhao"


def test_redeem_page_shows_coded_error_and_keeps_what_was_typed(place, client):
    issue_one(place)
    response = client.post(
        "/accounts/join/code/",
        {
            "code": "WRONG-CODE-XXXX",
            "display_name": "赵小红",
            "username": "zhao",
            "password": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "not valid" in body or "无效" in body or response.context["form"].error_code == "invite_invalid"
    assert 'value="zhao"' in body
    assert not User.objects.filter(username="zhao").exists()


def test_api_redeem_returns_a_token_for_the_new_account(place, api):
    code, household = issue_one(place)
    response = api().post(
        "/api/invites/redeem/",
        {"code": code, "username": "apiuser", "password": PASSWORD, "display_name": "钱"},
        format="json",
    )
    assert response.status_code == 201, response.content
    token = response.json()["token"]
    assert token
    assert response.json()["membership"]["household"] == household.label
    me = api().get("/api/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.json()["username"] == "apiuser"
    again = api().post(
        "/api/invites/redeem/",
        {"code": code, "username": "apiuser2", "password": PASSWORD, "display_name": "钱"},
        format="json",
    )
    assert again.status_code == 409
    assert again.json()["code"] == "invite_used"


def test_sheet_has_a_qr_and_the_code_per_household_and_is_not_cached(place, web):
    client = web(place.committee.user)
    response = client.post(
        f"/accounts/c/{place.community.pk}/invites/", {"buildings": [place.building.pk], "valid_days": 7}
    )
    assert response.status_code == 200
    body = response.content.decode()
    n = place.community.households.filter(building=place.building).count()
    assert body.count("<svg") == n
    assert response["Cache-Control"] == "no-store"
    assert InviteCode.objects.filter(community=place.community).count() == n
    # every code printed on the sheet redeems
    import re

    printed = re.findall(r'class="code">([A-Z0-9-]+)<', body)
    assert len(printed) == n
    assert InviteCode.objects.filter(code_hash=hash_code(printed[0].replace("-", ""))).exists()


def test_issuing_for_a_user_with_no_rights_changes_nothing(place):
    user = UserFactory()
    with pytest.raises(PermissionRefused):
        invite_codes_issue(actor=user, community_id=place.community.pk, building_ids=[place.building.pk])


def test_account_field_mistakes_do_not_count_towards_the_lockout(place):
    code, household = issue_one(place)
    for _ in range(invite_services.PREFIX_LIMIT + 2):
        with pytest.raises(ValidationFailed) as exc:
            invite_redeem(code=code, client_ip="10.0.0.1", username="ok-name", password="123", display_name="赵")
        assert set(exc.value.detail) == {"password"}
    assert redeem_new(code).household_id == household.pk


def test_redeem_page_with_a_wrong_code_asks_again_with_a_message(place, client):
    issue_one(place)
    page = client.post("/accounts/join/code/", {"step": "check", "code": "ZZZZ-ZZZZ-ZZZZ"})
    assert page.status_code == 400
    assert page.context["form"].error_code == "invite_invalid"
    assert "ZZZZ-ZZZZ-ZZZZ" in page.content.decode()


def test_redeem_page_offers_the_people_added_without_phone_to_claim(place, client):
    household = HouseholdFactory(building=place.building, community=place.community, room="120")
    granny = HouseholdMemberFactory(household=household, name="陈阿婆", created_by=place.committee.user)
    code, _ = issue_one(place, household)
    page = client.post("/accounts/join/code/", {"step": "check", "code": code})
    assert "陈阿婆" in page.content.decode()
    response = client.post(
        "/accounts/join/code/",
        {
            "code": code,
            "claim_member": granny.pk,
            "display_name": "陈阿婆的女儿",
            "username": "chen",
            "password": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    granny.refresh_from_db()
    assert granny.user.username == "chen"


def test_too_many_households_for_one_sheet_is_refused(place, monkeypatch):
    monkeypatch.setattr(invite_services, "MAX_PER_ISSUE", 2)
    with pytest.raises(ValidationFailed) as exc:
        invite_codes_issue(
            actor=place.committee.user, community_id=place.community.pk, building_ids=[place.building.pk]
        )
    assert exc.value.code == "invite_too_many"
    assert InviteCode.objects.count() == 0


def test_api_guessing_is_locked_out_with_a_coded_429(place, api):
    code, household = issue_one(place)
    client = api()
    for i in range(invite_services.IP_LIMIT):
        guess = client.post(
            "/api/invites/redeem/",
            {
                "code": "".join(invite_services.ALPHABET[(i * 7 + k) % 31] for k in range(12)),
                "username": "late",
                "password": PASSWORD,
                "display_name": "迟",
            },
            format="json",
        )
        assert guess.status_code == 400
        assert guess.json()["code"] == "invite_invalid"
    locked = client.post(
        "/api/invites/redeem/",
        {"code": code, "username": "late", "password": PASSWORD, "display_name": "迟"},
        format="json",
    )
    assert locked.status_code == 429
    assert locked.json()["code"] == "rate_limited"
    assert InviteCode.objects.get(household=household).used_at is None
