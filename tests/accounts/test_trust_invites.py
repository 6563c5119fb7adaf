"""Issue 13: joining with an invite code.

Item 6 (second half): nobody learns the names of account-less members (the elderly without phones) before
an invite code is verified, and a claim may only name a member of the code's own household.
Item 7: the invite throttle keys on the real client address and counts failures, so households behind
one building NAT (or the compound's TLS proxy) do not block each other.
Item 11: the code travels in POST bodies only; a GET with ?code= changes nothing and shows nothing.
"""

import pytest
from django.core.cache import cache

from accounts.factories import HouseholdFactory, HouseholdMemberFactory
from accounts.models import HouseholdMember, InviteCode, User
from accounts.services import invites as invite_services
from accounts.services.invites import format_code, invite_codes_issue

PASSWORD = "a-long-pass-phrase-42"
BOGUS = "ABCD-EFGH-JKMN"


def issue(place, household):
    issued = invite_codes_issue(
        actor=place.committee.user, community_id=place.community.pk, household_ids=[household.pk]
    )
    return issued[0].code


@pytest.fixture
def granny(other_place):
    """An account-less member in another community: her name must never reach a stranger."""
    household = HouseholdFactory(building=other_place.building, community=other_place.community, room="101")
    return HouseholdMemberFactory(household=household, name="孙阿婆", created_by=other_place.committee.user)


def account_fields(username="zhao"):
    return {"display_name": "赵小红", "username": username, "password": PASSWORD, "password2": PASSWORD}


# --- item 6: names of the account-less -------------------------------------------------------------


def test_a_bogus_code_with_claim_ids_reveals_no_name_on_the_page(granny, client):
    response = client.post("/accounts/join/code/", {"code": BOGUS, "claim_member": granny.pk, **account_fields()})
    assert response.status_code == 400
    assert response.context["form"].error_code == "invite_invalid"
    assert "孙阿婆" not in response.content.decode()
    # the answer is the same as for an id that names nobody
    nobody = client.post("/accounts/join/code/", {"code": BOGUS, "claim_member": 999999, **account_fields()})
    assert nobody.status_code == response.status_code
    assert nobody.context["form"].errors == response.context["form"].errors
    granny.refresh_from_db()
    assert granny.user_id is None
    assert not User.objects.filter(username="zhao").exists()


def test_a_bogus_code_with_claim_ids_reveals_no_name_through_the_api(granny, api):
    body = {"code": BOGUS, "username": "zhao", "password": PASSWORD, "display_name": "赵"}
    response = api().post("/api/invites/redeem/", {**body, "claim_member_id": granny.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invite_invalid"
    assert "孙阿婆" not in response.content.decode()
    nobody = api().post("/api/invites/redeem/", {**body, "claim_member_id": 999999}, format="json")
    assert nobody.json() == response.json()
    granny.refresh_from_db()
    assert granny.user_id is None


def test_a_real_code_cannot_claim_a_member_of_another_household(place, granny, client):
    household = HouseholdFactory(building=place.building, community=place.community, room="120")
    code = issue(place, household)
    response = client.post("/accounts/join/code/", {"code": code, "claim_member": granny.pk, **account_fields()})
    assert response.status_code == 400
    assert "孙阿婆" not in response.content.decode()
    granny.refresh_from_db()
    assert granny.user_id is None
    assert InviteCode.objects.get(household=household).used_at is None


def test_the_page_shows_only_the_verified_households_people(place, granny, client):
    household = HouseholdFactory(building=place.building, community=place.community, room="120")
    own = HouseholdMemberFactory(household=household, name="陈阿婆", created_by=place.committee.user)
    code = issue(place, household)
    page = client.post("/accounts/join/code/", {"step": "check", "code": code})
    body = page.content.decode()
    assert "陈阿婆" in body
    assert "孙阿婆" not in body
    joined = client.post("/accounts/join/code/", {"code": code, "claim_member": own.pk, **account_fields()})
    assert joined.status_code == 302
    own.refresh_from_db()
    assert own.user.username == "zhao"


# --- item 11: codes travel in POST bodies -----------------------------------------------------------


def test_a_get_with_the_code_in_the_query_string_changes_nothing_and_shows_nothing(place, client):
    household = HouseholdFactory(building=place.building, community=place.community, room="120")
    HouseholdMemberFactory(household=household, name="陈阿婆", created_by=place.committee.user)
    code = issue(place, household)
    page = client.get("/accounts/join/code/", {"code": code})
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="code" value=""' in body  # not carried into the form (nor anywhere it would be posted)
    assert format_code(code) not in body
    assert household.label not in body
    assert "陈阿婆" not in body
    assert 'method="get"' not in body  # the code box posts
    # a GET with a wrong code counts nothing either
    for _ in range(invite_services.PREFIX_LIMIT + 1):
        client.get("/accounts/join/code/", {"code": BOGUS})
    assert client.post("/accounts/join/code/", {"step": "check", "code": BOGUS}).status_code == 400


def test_the_printed_qr_carries_the_code_after_the_hash(place, web, monkeypatch):
    import segno

    encoded = []
    real_make = segno.make

    def recording_make(content, *args, **kwargs):
        encoded.append(content)
        return real_make(content, *args, **kwargs)

    monkeypatch.setattr(segno, "make", recording_make)
    response = web(place.committee.user).post(
        f"/accounts/c/{place.community.pk}/invites/", {"buildings": [place.building.pk], "valid_days": 7}
    )
    assert response.status_code == 200
    assert encoded
    assert all("/accounts/join/code/#code=" in url and "?" not in url for url in encoded)


# --- item 7: the invite throttle and the real client address --------------------------------------


def test_households_behind_one_nat_all_join_past_the_old_limit_of_twenty(place, client):
    households = [
        HouseholdFactory(building=place.building, community=place.community, room=f"9{i:02d}") for i in range(25)
    ]
    codes = [issue(place, h) for h in households]
    for i, code in enumerate(codes):
        joined = client.post(
            "/accounts/join/code/", {"code": code, **account_fields(f"nat{i}")}, REMOTE_ADDR="203.0.113.20"
        )
        assert joined.status_code == 302, i
        client.logout()
    assert InviteCode.objects.filter(used_at__isnull=False).count() == 25


def test_one_households_wrong_codes_behind_the_proxy_do_not_block_another(place, client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    household = HouseholdFactory(building=place.building, community=place.community, room="120")
    code = issue(place, household)
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for i in range(invite_services.IP_LIMIT):
        guess = "".join(invite_services.ALPHABET[(i * 7 + k) % 31] for k in range(12))
        client.post(
            "/accounts/join/code/", {"step": "check", "code": guess}, HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy
        )
    locked = client.post(
        "/accounts/join/code/", {"step": "check", "code": code}, HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy
    )
    assert locked.status_code == 429
    other = client.post(
        "/accounts/join/code/", {"code": code, **account_fields()}, HTTP_X_FORWARDED_FOR="198.51.100.2", **proxy
    )
    assert other.status_code == 302
    assert InviteCode.objects.get(household=household).used_by.username == "zhao"


def test_invite_failures_from_a_spoofed_forwarded_for_still_count_on_the_address(place, client):
    household = HouseholdFactory(building=place.building, community=place.community, room="120")
    code = issue(place, household)
    for i in range(invite_services.IP_LIMIT):
        guess = "".join(invite_services.ALPHABET[(i * 11 + k) % 31] for k in range(12))
        client.post("/accounts/join/code/", {"step": "check", "code": guess}, HTTP_X_FORWARDED_FOR=f"192.0.2.{i % 250}")
    locked = client.post("/accounts/join/code/", {"code": code, **account_fields()}, HTTP_X_FORWARDED_FOR="192.0.2.251")
    assert locked.status_code == 429
    assert InviteCode.objects.get(household=household).used_at is None
    assert not HouseholdMember.objects.filter(user__username="zhao").exists()


def test_a_right_code_costs_no_attempt(place):
    # Only failures are counted: the address's counter stays empty after successful joins.
    household = HouseholdFactory(building=place.building, community=place.community, room="120")
    code = issue(place, household)
    invite_services.invite_check(code=code, client_ip="203.0.113.30")
    assert not invite_services.ratelimit.exceeded(
        "invite-ip", "203.0.113.30", limit=1, window=invite_services.LOCKOUT_SECONDS
    )
    cache.clear()
