"""Issue 13 item 7: one login lockout for the login page, the token API and /admin/login/, keyed on the
normalised username and the real client address; API tokens revocable and dead after a password change."""

import pytest
from rest_framework.test import APIClient

from accounts.factories import UserFactory

PASSWORD = "pass-12345"  # the factories' password
LIMIT = 5  # failures per username + address (AXES_FAILURE_LIMIT)
IP_LIMIT = 50  # failures per address, any usernames (LOGIN_IP_FAILURE_LIMIT)


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.LOGIN_IP_FAILURE_LIMIT = IP_LIMIT
    settings.TRUSTED_PROXY_COUNT = 0


def page_login(client, username, password, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def api_login(username, password, **extra):
    return APIClient().post("/api/auth/token/", {"username": username, "password": password}, format="json", **extra)


def admin_login(client, username, password, **extra):
    return client.post("/admin/login/", {"username": username, "password": password, "next": "/admin/"}, **extra)


def tokens(**filters):
    from knox.models import AuthToken  # imported here so each test fails on its own on the old code

    return AuthToken.objects.filter(**filters)


def refused(token: str) -> bool:
    """The token no longer authenticates (DRF answers 403 here: the session scheme comes first)."""
    response = APIClient().get("/api/me/", HTTP_AUTHORIZATION=f"Token {token}")
    if response.status_code == 200:
        return False
    assert response.json()["code"] == "authentication_failed"
    return True


@pytest.fixture
def staff(db):
    return UserFactory(username="guard", is_staff=True, is_superuser=True)


def test_admin_login_is_locked_after_the_failure_limit(staff, client):
    for _ in range(LIMIT):
        admin_login(client, "guard", "wrong")
    refused = admin_login(client, "guard", PASSWORD)
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still not logged in


def test_a_look_alike_username_counts_against_the_same_lockout(staff, client):
    # 'ｇuard' (fullwidth g) is 'guard' after NFKC, as the login form normalises it; 'GUARD' after casefold.
    for name in ["ｇuard", "GUARD", "Guard", "ｇＵＡＲＤ", "guard"][:LIMIT]:
        page_login(client, name, "wrong")
    refused = page_login(client, "guard", PASSWORD)
    assert refused.status_code == 429
    assert refused.context["form"].error_code == "login_locked"
    assert "_auth_user_id" not in client.session


def test_page_token_api_and_admin_share_one_lockout(place, client):
    username = place.resident.user.username
    page_login(client, username, "wrong")
    page_login(client, username, "wrong")
    api_login(username, "wrong")
    api_login(username, "wrong")
    admin_login(client, username, "wrong")
    # locked on every surface, even with the right password
    api = api_login(username, PASSWORD)
    assert api.status_code == 429
    assert api.json()["code"] == "login_locked"
    assert not tokens().exists()
    assert page_login(client, username, PASSWORD).status_code == 429
    assert admin_login(client, username, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_one_persons_failures_do_not_lock_out_a_neighbour_behind_the_same_address(place, client):
    for _ in range(LIMIT):
        page_login(client, place.resident.user.username, "wrong", REMOTE_ADDR="203.0.113.9")
    assert page_login(client, place.resident.user.username, PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 429
    neighbour = page_login(client, place.neighbour.user.username, PASSWORD, REMOTE_ADDR="203.0.113.9")
    assert neighbour.status_code == 302
    assert client.session["_auth_user_id"] == str(place.neighbour.user.pk)


def test_one_address_trying_many_usernames_is_locked_at_the_higher_bound(place, client):
    for i in range(IP_LIMIT):
        page_login(client, f"nobody{i}", "wrong", REMOTE_ADDR="203.0.113.7")
    assert page_login(client, place.resident.user.username, PASSWORD, REMOTE_ADDR="203.0.113.7").status_code == 429
    # another address is not affected
    assert page_login(client, place.resident.user.username, PASSWORD, REMOTE_ADDR="203.0.113.8").status_code == 302


def test_two_people_behind_the_trusted_proxy_are_told_apart_by_forwarded_for(place, client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}  # every request arrives from the TLS proxy
    username = place.resident.user.username
    for _ in range(LIMIT):
        page_login(client, username, "wrong", HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy)
    assert page_login(client, username, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1", **proxy).status_code == 429
    # the same account from another phone (another address behind the same proxy) still logs in
    other = page_login(client, username, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.2", **proxy)
    assert other.status_code == 302


def test_a_spoofed_forwarded_for_is_ignored_without_a_trusted_proxy(place, client):
    username = place.resident.user.username
    for i in range(LIMIT):
        page_login(client, username, "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}", REMOTE_ADDR="203.0.113.5")
    again = page_login(client, username, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.200", REMOTE_ADDR="203.0.113.5")
    assert again.status_code == 429


def test_entries_a_client_adds_left_of_the_proxys_are_ignored(place, client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    username = place.resident.user.username
    for i in range(LIMIT):
        page_login(client, username, "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 198.51.100.1", REMOTE_ADDR="10.0.0.2")
    again = page_login(
        client, username, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99, 198.51.100.1", REMOTE_ADDR="10.0.0.2"
    )
    assert again.status_code == 429


def test_a_token_dies_when_the_password_changes(place, client):
    user = place.resident.user
    token = api_login(user.username, PASSWORD).json()["token"]
    me = APIClient().get("/api/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200
    client.force_login(user)
    changed = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "another-pass-678", "new_password2": "another-pass-678"},
    )
    assert changed.status_code == 302
    assert refused(token)
    assert not tokens(user=user).exists()


def test_a_token_is_revoked_alone_or_all_at_once(place):
    user = place.resident.user
    phone = api_login(user.username, PASSWORD).json()["token"]
    tablet = api_login(user.username, PASSWORD).json()["token"]
    laptop = api_login(user.username, PASSWORD).json()["token"]
    out = APIClient().post("/api/auth/logout/", HTTP_AUTHORIZATION=f"Token {phone}")
    assert out.status_code == 204
    assert refused(phone)
    assert not refused(tablet)
    everywhere = APIClient().post("/api/auth/logout-all/", HTTP_AUTHORIZATION=f"Token {tablet}")
    assert everywhere.json() == {"revoked": 2}
    for token in (tablet, laptop):
        assert refused(token)
    assert not tokens(user=user).exists()


def test_logging_out_someone_elses_token_is_not_possible(place):
    mine = api_login(place.resident.user.username, PASSWORD).json()["token"]
    theirs = api_login(place.neighbour.user.username, PASSWORD).json()["token"]
    APIClient().post("/api/auth/logout-all/", HTTP_AUTHORIZATION=f"Token {mine}")
    assert not refused(theirs)
    anonymous = APIClient().post("/api/auth/logout-all/")
    assert anonymous.status_code in (401, 403)
    assert tokens(user=place.neighbour.user).count() == 1


def test_the_operator_can_lift_a_lock(place, client):
    from django.core.management import call_command

    username = place.resident.user.username
    for _ in range(LIMIT):
        page_login(client, username, "wrong", REMOTE_ADDR="203.0.113.9")
    assert page_login(client, username, PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 429
    call_command("axes_reset_ip_username", "203.0.113.9", username.casefold())
    assert page_login(client, username, PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 302


def test_one_client_sweeping_usernames_behind_the_proxy_does_not_lock_out_another(place, client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for i in range(IP_LIMIT):
        page_login(client, f"nobody{i}", "wrong", HTTP_X_FORWARDED_FOR="198.51.100.66", **proxy)
    swept = page_login(client, place.resident.user.username, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.66", **proxy)
    assert swept.status_code == 429
    other = page_login(client, place.neighbour.user.username, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.67", **proxy)
    assert other.status_code == 302
