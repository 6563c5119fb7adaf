import pytest
from django.conf import settings
from django.db import connection

from accounts.display import mask_name, public_identity
from accounts.permissions import Action, can, require
from core.errors import PermissionRefused


def test_tests_run_on_postgresql(db):
    assert connection.vendor == "postgresql"


def test_time_zone_and_language_defaults():
    from config import settings as product  # the test settings run the suite in English

    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    assert product.LANGUAGE_CODE == "zh-hans"
    assert "en" in dict(settings.LANGUAGES)


@pytest.mark.parametrize(("name", "masked"), [("王小明", "王**"), ("John Smith", "J**"), ("", "**"), ("李", "李**")])
def test_mask_name_hides_all_but_first_character(name, masked):
    assert mask_name(name) == masked


def test_public_identity_is_address_and_masked_name():
    assert public_identity("12-301", "王小明") == "12-301 王**"


def test_committee_of_one_community_has_no_power_in_another(place, other_place):
    staff = place.committee.user
    assert can(staff, Action.REVIEW_FILING, place.community)
    assert not can(staff, Action.REVIEW_FILING, other_place.community)
    with pytest.raises(PermissionRefused):
        require(staff, Action.ISSUE_INVITES, other_place.community)


def test_resident_cannot_do_leader_or_committee_actions(place):
    user = place.resident.user
    assert can(user, Action.SIGN_UP, place.community)
    for action in (Action.OPEN_BUY, Action.REVIEW_FILING, Action.VERIFY_SLIP, Action.CONFIRM_PAYMENT):
        assert not can(user, action, place.community)


def test_api_errors_have_code_message_detail(api):
    response = api().get("/api/me/")
    assert response.status_code in (401, 403)
    assert set(response.json()) == {"code", "message", "detail"}
    assert response.json()["code"] == "not_authenticated"


def test_me_lists_roles_without_phone(api, place):
    response = api(place.leader.user).get("/api/me/")
    assert response.status_code == 200
    body = response.json()
    assert body["memberships"][0]["roles"] == ["resident", "team_leader"]
    assert place.leader.user.phone not in response.content.decode()
