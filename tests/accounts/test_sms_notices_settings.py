"""Issue 15, item 7: each person turns their notices by SMS on or off, on the notices page or through the API
(the same service, accounts.services.inbox.user_sms_notices_set), for themselves only."""

from __future__ import annotations

import pytest
from django.shortcuts import resolve_url
from django.urls import reverse

from accounts.factories import UserFactory
from accounts.models import User
from accounts.notifications import notification_send
from core import sms

pytestmark = pytest.mark.django_db

PAGE = reverse("accounts:notifications")
TOGGLE = reverse("accounts:notifications_sms")
API = reverse("api-notification-settings")


@pytest.fixture(autouse=True)
def outbox(settings):
    settings.SMS_BACKEND = "core.sms.LocmemBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def sms_on(user) -> bool:
    return User.objects.get(pk=user.pk).sms_notices


def test_the_notices_page_turns_sms_off_and_on(client):
    user = UserFactory()
    client.force_login(user)
    page = client.get(PAGE).content.decode()
    assert 'data-sms="on"' in page
    assert 'name="sms" value="off"' in page
    response = client.post(TOGGLE, {"sms": "off"})
    assert response.status_code == 302
    assert response["Location"] == PAGE
    assert sms_on(user) is False
    page = client.get(PAGE).content.decode()
    assert 'data-sms="off"' in page
    assert 'name="sms" value="on"' in page
    client.post(TOGGLE, {"sms": "on"})
    assert sms_on(user) is True


@pytest.mark.parametrize("value", ["", "yes", "0", None])
def test_a_toggle_that_is_neither_on_nor_off_is_refused_and_changes_nothing(client, value):
    user = UserFactory()
    client.force_login(user)
    response = client.post(TOGGLE, {} if value is None else {"sms": value})
    assert response.status_code == 400
    assert response["X-Error-Code"] == "invalid"
    assert sms_on(user) is True


def test_the_toggle_needs_a_signed_in_person_and_a_post(client, settings):
    response = client.post(TOGGLE, {"sms": "off"})
    assert response.status_code == 302
    assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))
    user = UserFactory()
    client.force_login(user)
    assert client.get(TOGGLE, {"sms": "off"}).status_code == 405
    assert sms_on(user) is True


def test_someone_else_cannot_be_turned_off(client):
    """The setting names no user: the toggle changes only the signed-in person's own."""
    user, other = UserFactory(), UserFactory()
    client.force_login(user)
    client.post(TOGGLE, {"sms": "off", "user": other.pk, "user_id": other.pk})
    assert (sms_on(user), sms_on(other)) == (False, True)


def test_without_a_phone_the_page_says_notices_stay_in_the_app(client):
    client.force_login(UserFactory(phone=""))
    page = client.get(PAGE).content.decode()
    assert 'data-sms="no-phone"' in page
    assert TOGGLE not in page


def test_the_api_reads_and_sets_the_same_setting(api):
    user = UserFactory()
    client = api(user)
    assert client.get(API).json() == {"sms": True, "has_phone": True}
    response = client.put(API, {"sms": False}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"sms": False, "has_phone": True}
    assert sms_on(user) is False
    assert api(UserFactory(phone="")).get(API).json() == {"sms": True, "has_phone": False}


@pytest.mark.parametrize("body", [{}, {"sms": "maybe"}, {"sms": None}])
def test_the_api_refuses_a_bad_setting_and_changes_nothing(api, body):
    user = UserFactory()
    response = api(user).put(API, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert sms_on(user) is True


def test_the_api_needs_a_signed_in_person(api):
    assert api().get(API).status_code in (401, 403)
    assert api().put(API, {"sms": False}, format="json").status_code in (401, 403)


def test_after_turning_sms_off_an_sms_kind_notice_stays_in_the_app(api, django_capture_on_commit_callbacks, outbox):
    quiet, other = UserFactory(), UserFactory()
    api(quiet).put(API, {"sms": False}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(
            user_ids=[quiet.pk, other.pk], kind="buy_failed", dedupe_key="buy:3:buy_failed", params={"title": "T"}
        )
    assert [m.phone for m in outbox] == [other.phone]
