import pytest
from django.http import HttpRequest
from rest_framework.test import APIClient

from accounts.models import Notification
from accounts.notifications import notification_send
from accounts.services.inbox import notification_mark_read

PASSWORD = "pass-12345"  # the factories' password


def test_login_and_logout(place, client):
    response = client.post("/accounts/login/", {"username": place.resident.user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_login_is_throttled_per_username_even_with_the_right_password(place, client, settings):
    username = place.resident.user.username
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/accounts/login/", {"username": username, "password": "wrong"})
        assert response.status_code == 200
    assert client.post("/accounts/login/", {"username": username, "password": "wrong"}).status_code == 429
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert response.context["form"].non_field_errors()


def test_login_is_throttled_per_ip(place, client, settings):
    settings.LOGIN_IP_FAILURE_LIMIT = 30
    for i in range(settings.LOGIN_IP_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": f"nobody{i}", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": place.resident.user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_token_for_api_clients_and_its_throttle(place, settings):
    client = APIClient()
    username = place.resident.user.username
    ok = client.post("/api/auth/token/", {"username": username, "password": PASSWORD}, format="json")
    assert ok.status_code == 200
    token = ok.json()["token"]
    me = APIClient().get("/api/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.json()["username"] == username
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/api/auth/token/", {"username": username, "password": "wrong"}, format="json")
    refused = client.post("/api/auth/token/", {"username": username, "password": PASSWORD}, format="json")
    assert refused.status_code == 429
    assert refused.json()["code"] == "login_locked"


def test_session_api_writes_need_the_csrf_token(place):
    client = APIClient(enforce_csrf_checks=True)
    # authenticate() needs a request: the login lockout (django-axes) records the attempt on it.
    assert client.login(request=HttpRequest(), username=place.resident.user.username, password=PASSWORD)
    notification_send(user_ids=[place.resident.user_id], kind="generic", dedupe_key="x", params={"text": "hi"})
    refused = client.post("/api/notifications/read-all/")
    assert refused.status_code == 403
    assert Notification.objects.get(user=place.resident.user).read_at is None
    client.get("/")  # a page with a form sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    allowed = client.post("/api/notifications/read-all/", HTTP_X_CSRFTOKEN=token)
    assert allowed.status_code == 200
    assert allowed.json() == {"marked": 1}


def test_session_join_request_api_needs_csrf(place):
    client = APIClient(enforce_csrf_checks=True)
    user = place.resident.user
    assert client.login(request=HttpRequest(), username=user.username, password=PASSWORD)
    response = client.post(
        "/api/join-requests/",
        {"community_id": place.community.pk, "building_id": place.building.pk, "room": "1"},
        format="json",
    )
    assert response.status_code == 403


def test_password_change(place, client):
    client.force_login(place.resident.user)
    new = "another-long-pass-77"
    response = client.post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    place.resident.user.refresh_from_db()
    assert place.resident.user.check_password(new)


def test_password_change_with_wrong_old_password_changes_nothing(place, client):
    client.force_login(place.resident.user)
    response = client.post(
        "/accounts/password/",
        {"old_password": "nope", "new_password1": "x-long-77-pw", "new_password2": "x-long-77-pw"},
    )
    assert response.status_code == 200
    place.resident.user.refresh_from_db()
    assert place.resident.user.check_password(PASSWORD)


# --- notifications ----------------------------------------------------------


def test_notices_page_renders_and_marks_read(place, web, django_assert_max_num_queries):
    user = place.resident.user
    for i in range(20):
        notification_send(
            user_ids=[user.pk], kind="join_approved", dedupe_key=f"k{i}", params={"label": "12-301", "community": "A"}
        )
    client = web(user)
    with django_assert_max_num_queries(8):
        page = client.get("/accounts/notifications/")
    assert page.status_code == 200
    assert page.content.decode().count("12-301") >= 20
    first = Notification.objects.filter(user=user).first()
    client.post("/accounts/notifications/read/", {"id": first.pk})
    assert Notification.objects.filter(user=user, read_at__isnull=True).count() == 19
    client.post("/accounts/notifications/read/")
    assert Notification.objects.filter(user=user, read_at__isnull=True).count() == 0


def test_nobody_marks_someone_elses_notice(place, api):
    notification_send(user_ids=[place.resident.user_id], kind="generic", dedupe_key="x", params={"text": "hi"})
    notice = Notification.objects.get()
    assert notification_mark_read(user=place.neighbour.user, notification_id=notice.pk) == 0
    response = api(place.neighbour.user).post(f"/api/notifications/{notice.pk}/read/")
    assert response.status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None
    listed = api(place.neighbour.user).get("/api/notifications/")
    assert listed.json() == []
    mine = api(place.resident.user).get("/api/notifications/").json()
    assert [n["text"] for n in mine] == ["hi"]
    assert api(place.resident.user).post(f"/api/notifications/{notice.pk}/read/").json() == {"marked": 1}


# --- home and public masking -------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected", "absent"),
    [
        ("resident", [], ["/invites/", "/join-requests/", "/members/"]),
        ("building_leader", ["/join-requests/", "/households/"], ["/invites/", "/members/"]),
        ("committee", ["/invites/", "/join-requests/", "/members/", "/vulnerable/", "/households/"], []),
        ("gate_guard", [], ["/invites/", "/members/"]),
    ],
)
def test_home_shows_links_for_the_roles_held(place, web, role, expected, absent):
    body = web(getattr(place, role).user).get("/").content.decode()
    for part in expected:
        assert f"/accounts/c/{place.community.pk}{part}" in body
    for part in absent:
        assert f"/accounts/c/{place.community.pk}{part}" not in body


@pytest.mark.parametrize("url", ["/", "/accounts/notifications/", "/api/me/", "/api/notifications/"])
def test_no_phone_number_on_pages_a_resident_sees(place, web, url):
    notification_send(
        user_ids=[place.resident.user_id],
        kind="join_requested",
        dedupe_key="j",
        params={"name": "王小明", "label": "12-303"},
    )
    body = web(place.resident.user).get(url).content.decode()
    for m in (place.resident, place.neighbour, place.leader, place.committee):
        assert m.user.phone
        assert m.user.phone not in body


def test_a_forged_forwarded_for_header_does_not_escape_the_login_throttle(place, client, settings):
    settings.LOGIN_IP_FAILURE_LIMIT = 30
    for i in range(settings.LOGIN_IP_FAILURE_LIMIT):
        client.post(
            "/accounts/login/", {"username": f"nobody{i}", "password": "wrong"}, HTTP_X_FORWARDED_FOR=f"1.2.3.{i}"
        )
    response = client.post(
        "/accounts/login/",
        {"username": place.resident.user.username, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="9.9.9.9",
    )
    assert response.status_code == 429
