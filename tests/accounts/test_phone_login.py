"""Issue 15 item 3: residents log in and sign up with their phone and a one-time SMS code (allauth, with our
adapter: core.sms for sending, accounts.utils.client_ip for the per-address throttle, E.164 phones)."""

import re
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.test import Client

from accounts.admin import UserChangeForm
from accounts.factories import HouseholdFactory, UserFactory
from accounts.models import HouseholdMember, User
from accounts.phone import phone_normalize
from accounts.services.invites import invite_codes_issue, invite_redeem
from accounts.services.phone import user_register_by_phone
from core import sms
from core.errors import ApplicationError, Conflict

LOGIN = "/accounts/login/"
CONFIRM = "/accounts/login/code/confirm/"
SIGNUP = "/accounts/signup/"
VERIFY = "/accounts/phone/verify/"
PHONE = "+8613812345678"
SHARE = "/s/tok/go/?item12=2"  # a share link (helper "share") a visitor comes from


@pytest.fixture(autouse=True)
def _outbox(settings):
    settings.SMS_BACKEND = "core.sms.LocmemBackend"
    settings.TRUSTED_PROXY_COUNT = 0
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def last_code(phone: str = PHONE) -> str:
    message = [m for m in sms.outbox if m.phone == phone][-1]
    assert message.purpose == "login_code"
    return re.search(r"\b(\d{6})\b", message.text).group(1)


def logged_in_as(client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value else None


@pytest.fixture
def resident(place):
    user = place.resident.user
    User.objects.filter(pk=user.pk).update(phone=PHONE)
    user.refresh_from_db()
    return user


# --- phone numbers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13812345678", PHONE),
        ("138 1234 5678", PHONE),
        ("138-1234-5678", PHONE),
        ("+86 138 1234 5678", PHONE),
        ("008613812345678", PHONE),
        ("8613812345678", PHONE),
        ("１３８１２３４５６７８", PHONE),  # full-width digits from a Chinese keyboard
        ("+852 6123 4567", "+85261234567"),
        ("+1 (415) 555-0100", "+14155550100"),
    ],
)
def test_phones_are_stored_in_e164(typed, stored):
    assert phone_normalize(typed) == stored


@pytest.mark.parametrize(
    "typed", ["", "12345678901", "1381234567", "021-5555-1234", "+86 21 5555 1234", "abc", "+0123"]
)
def test_what_is_not_a_mobile_number_is_refused_with_a_code(typed):
    with pytest.raises(ApplicationError) as exc:
        phone_normalize(typed)
    assert exc.value.code == "phone_invalid"


def test_two_accounts_cannot_share_a_phone_but_many_have_none(db):
    UserFactory(phone=PHONE)
    UserFactory(phone="")
    UserFactory(phone="")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(phone=PHONE)


# --- login by code ---------------------------------------------------------------------------------------------


def test_login_page_asks_residents_for_their_phone_and_links_the_staff_form(client, db):
    page = client.get(LOGIN + "?next=/buys/").content.decode()
    assert 'name="phone"' in page
    assert 'type="tel"' in page
    assert 'name="password"' not in page
    assert "?staff=1&amp;next=/buys/" in page
    staff = client.get(LOGIN + "?staff=1").content.decode()
    assert 'name="password"' in staff
    assert 'name="username"' in staff
    assert "Log in with an SMS code" in staff  # the forgotten-password way


def test_resident_logs_in_with_a_code_and_lands_on_next(client, resident):
    response = client.post(LOGIN, {"phone": "138 1234 5678", "next": "/buys/"})
    assert response.status_code == 302
    assert response["Location"] == CONFIRM + "?next=%2Fbuys%2F"
    assert len(sms.outbox) == 1
    assert sms.outbox[0].phone == PHONE
    code = last_code()
    assert len(code) == 6
    assert logged_in_as(client) is None
    page = client.get(response["Location"]).content.decode()
    assert 'inputmode="numeric"' in page
    assert 'autocomplete="one-time-code"' in page
    response = client.post(CONFIRM, {"code": code, "next": "/buys/"})
    assert response.status_code == 302
    assert response["Location"] == "/buys/"
    assert logged_in_as(client) == resident.pk
    resident.refresh_from_db()
    assert resident.phone_verified


def test_a_wrong_code_is_refused_and_five_wrong_codes_end_the_attempt(client, resident):
    client.post(LOGIN, {"phone": PHONE})
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        response = client.post(CONFIRM, {"code": wrong})
        assert response.status_code == 200
        assert logged_in_as(client) is None
    response = client.post(CONFIRM, {"code": wrong})  # the fifth: the code is dead
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    response = client.post(CONFIRM, {"code": code})
    assert logged_in_as(client) is None


def test_a_code_expires_after_five_minutes(client, resident, monkeypatch):
    client.post(LOGIN, {"phone": PHONE})
    code = last_code()
    later = time.time() + 5 * 60 + 1
    monkeypatch.setattr("allauth.account.internal.flows.code_verification.time.time", lambda: later)
    response = client.post(CONFIRM, {"code": code})
    assert response.status_code == 302
    assert logged_in_as(client) is None


def test_codes_for_one_phone_are_throttled(client, resident):
    assert client.post(LOGIN, {"phone": PHONE})["Location"].startswith(CONFIRM)
    assert client.post(LOGIN, {"phone": PHONE}).status_code == 400  # the same visitor asking again at once
    response = Client(REMOTE_ADDR="10.9.9.9").post(LOGIN, {"phone": PHONE})  # a fresh session, another address
    assert response.status_code == 400
    assert "Too many" in response.content.decode()
    assert len(sms.outbox) == 1


def test_codes_from_one_client_address_are_throttled_on_the_real_address(db, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "request_login_code": "3/h/ip,1/m/key"}
    settings.TRUSTED_PROXY_COUNT = 1
    phones = [f"+861390000000{i}" for i in range(5)]
    for phone in phones:
        UserFactory(phone=phone)
    for phone in phones[:3]:  # each from a fresh session (a script would not keep one)
        response = Client().post(LOGIN, {"phone": phone}, HTTP_X_FORWARDED_FOR=f"spoof-{phone}, 1.2.3.4")
        assert response["Location"] == CONFIRM
    response = Client().post(LOGIN, {"phone": phones[3]}, HTTP_X_FORWARDED_FOR="other, 1.2.3.4")
    assert response.status_code == 400  # the same client behind our proxy, whatever it writes on the left
    assert "Too many" in response.content.decode()
    assert len(sms.outbox) == 3
    response = Client().post(LOGIN, {"phone": phones[3]}, HTTP_X_FORWARDED_FOR="5.6.7.8")
    assert response["Location"] == CONFIRM  # another client
    assert len(sms.outbox) == 4


def test_an_invalid_phone_is_refused_and_sends_nothing(client, db):
    response = client.post(LOGIN, {"phone": "12345"})
    assert response.status_code == 400
    assert "Enter a mobile number" in response.content.decode()
    assert sms.outbox == []


def test_an_unsafe_next_is_dropped(client, resident):
    client.post(LOGIN, {"phone": PHONE, "next": "//evil.example/x"})
    response = client.post(CONFIRM, {"code": last_code(), "next": "//evil.example/x"})
    assert response.status_code == 302
    assert "evil" not in response["Location"]
    assert logged_in_as(client) == resident.pk


def test_the_password_form_keeps_the_lockout(client, place, settings):
    settings.AXES_FAILURE_LIMIT = 3
    username = place.resident.user.username
    for _ in range(3):
        client.post(LOGIN, {"username": username, "password": "wrong"})
    assert client.post(LOGIN, {"username": username, "password": "wrong"}).status_code == 429


def test_the_sms_names_the_code_and_its_five_minutes(client, resident):
    client.post(LOGIN, {"phone": PHONE})
    assert "5" in sms.outbox[0].text
    assert last_code() in sms.outbox[0].text


# --- sign-up ---------------------------------------------------------------------------------------------------


def test_a_newcomer_signs_up_with_phone_code_and_name_and_goes_to_join_with_next(client, db):
    share = "/s/tok/go/?item12=2"
    response = client.post(LOGIN, {"phone": "139 0000 1111", "next": share})
    assert response.status_code == 302
    assert response["Location"].startswith(SIGNUP + "?next=")
    assert sms.outbox == []
    page = client.get(response["Location"]).content.decode()
    assert 'value="+8613900001111"' in page  # the number typed on the login page, not asked again
    response = client.post(SIGNUP, {"phone": "+8613900001111", "display_name": " 李阿姨 ", "next": share})
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    user = User.objects.get(phone="+8613900001111")
    assert user.display_name == "李阿姨"
    assert not user.phone_verified
    assert not user.has_usable_password()
    assert logged_in_as(client) is None
    response = client.post(VERIFY, {"code": last_code("+8613900001111"), "next": share})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/join/?next=%2Fs%2Ftok%2Fgo%2F%3Fitem12%3D2"
    assert logged_in_as(client) == user.pk
    user.refresh_from_db()
    assert user.phone_verified
    page = client.get(response["Location"]).content.decode()
    assert "next=%2Fs%2Ftok%2Fgo%2F%3Fitem12%3D2" in page  # carried on to the community links


def test_sign_up_with_a_phone_that_has_an_account_is_refused(client, resident):
    response = client.post(SIGNUP, {"phone": "13812345678", "display_name": "冒名"})
    assert response.status_code == 400
    assert User.objects.filter(phone=PHONE).count() == 1
    assert sms.outbox == []


def test_sign_up_needs_a_name(client, db):
    response = client.post(SIGNUP, {"phone": "13900001111", "display_name": " "})
    assert response.status_code == 400
    assert not User.objects.filter(phone="+8613900001111").exists()


def test_a_sign_up_racing_for_the_same_phone_is_refused_by_the_constraint(db):
    user_register_by_phone(phone="13900001111", display_name="甲")
    with pytest.raises(Conflict) as exc:
        user_register_by_phone(phone="+86 139 0000 1111", display_name="乙")
    assert exc.value.code == "phone_taken"
    assert User.objects.filter(phone="+8613900001111").count() == 1


# --- joining ---------------------------------------------------------------------------------------------------


def test_redeeming_an_invite_binds_the_verified_phone_to_the_household_member(place):
    user = UserFactory(phone=PHONE, phone_verified=True, display_name="赵小红")
    household = HouseholdFactory(building=place.building, community=place.community, room="888")
    code = invite_codes_issue(actor=place.committee.user, community_id=place.community.pk, household_ids=[household.pk])
    invite_redeem(code=code[0].code, client_ip="10.0.0.1", user=user)
    assert HouseholdMember.objects.get(user=user).phone == PHONE


def test_an_unverified_phone_is_not_bound(place):
    user = UserFactory(phone=PHONE, phone_verified=False)
    household = HouseholdFactory(building=place.building, community=place.community, room="888")
    code = invite_codes_issue(actor=place.committee.user, community_id=place.community.pk, household_ids=[household.pk])
    invite_redeem(code=code[0].code, client_ip="10.0.0.1", user=user)
    assert HouseholdMember.objects.get(user=user).phone == ""


def test_join_request_goes_on_to_next(client, place):
    user = UserFactory(phone=PHONE, phone_verified=True)
    client.force_login(user)
    url = f"/accounts/join/{place.community.pk}/"
    assert (
        'name="next" value="/s/tok/go/?item12=2"' in client.get(url + "?next=/s/tok/go/%3Fitem12%3D2").content.decode()
    )
    response = client.post(
        url,
        {
            "display_name": "小李",
            "building": place.building.pk,
            "room": "909",
            "message": "",
            "next": "/s/tok/go/?item12=2",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == SHARE


def test_join_request_refuses_an_offsite_next(client, place):
    client.force_login(UserFactory())
    url = f"/accounts/join/{place.community.pk}/"
    response = client.post(
        url,
        {
            "display_name": "小李",
            "building": place.building.pk,
            "room": "909",
            "message": "",
            "next": "https://evil.example/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_with_redis_down_no_code_is_sent_and_the_page_says_so(client, resident, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    response = client.post(LOGIN, {"phone": PHONE})
    assert response.status_code == 503
    assert "not available right now" in response.content.decode()
    assert sms.outbox == []
    response = client.post(SIGNUP, {"phone": "13900001111", "display_name": "李阿姨"})
    assert response.status_code == 503
    assert not User.objects.filter(phone="+8613900001111").exists()


@pytest.mark.parametrize(("typed", "stored"), [("138 1234 5678", PHONE), ("", "")])
def test_the_admin_stores_a_typed_phone_as_phone_login_compares_it(db, typed, stored):
    user = UserFactory(phone="")
    data = {**user_form_data(user), "phone": typed}
    form = UserChangeForm(instance=user, data=data)
    assert form.is_valid(), form.errors
    assert form.save().phone == stored


def test_the_admin_refuses_a_landline(db):
    user = UserFactory(phone="")
    form = UserChangeForm(instance=user, data={**user_form_data(user), "phone": "021-5555-1234"})
    assert not form.is_valid()
    assert form.errors["phone"][0].startswith("Enter a mobile number")


def user_form_data(user) -> dict:
    data = {k: v for k, v in model_to_dict(user).items() if v is not None and k not in ("groups", "user_permissions")}
    data["date_joined_0"], data["date_joined_1"] = "2026-01-01", "10:00:00"
    data["date_joined"] = "2026-01-01 10:00:00"
    return data


def test_join_pages_offer_the_phone_login_to_visitors_and_keep_next(client, place):
    url = f"/accounts/join/{place.community.pk}/?next=/s/tok/go/%3Fitem12%3D2"
    page = client.get(url).content.decode()
    assert 'href="/accounts/login/?next=/accounts/join/' in page
    assert "%253Fitem12%253D2" in page  # the share link's own query, encoded inside the join page's next
    page = client.get("/accounts/join/code/?next=/s/tok/go/%3Fitem12%3D2").content.decode()
    login_then_redeem = (
        "/accounts/login/?next=/accounts/join/code/%3Fnext%3D" + "%252Fs%252Ftok%252Fgo%252F%253Fitem12%253D2"
    )
    assert f'href="{login_then_redeem}"' in page


def test_a_newcomer_who_came_from_a_join_page_goes_straight_back_to_it(client, place):
    back = f"/accounts/join/{place.community.pk}/?next=/s/tok/go/%3Fitem12%3D2"
    client.post(LOGIN, {"phone": "13900002222", "next": back})
    client.post(SIGNUP, {"phone": "13900002222", "display_name": "小周", "next": back})
    response = client.post(VERIFY, {"code": last_code("+8613900002222"), "next": back})
    assert response["Location"] == back


def test_a_closed_account_is_not_logged_in_by_code(client, resident):
    User.objects.filter(pk=resident.pk).update(is_active=False)
    client.post(LOGIN, {"phone": PHONE})
    response = client.post(CONFIRM, {"code": last_code()})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/inactive/"
    assert logged_in_as(client) is None
    assert "This account is closed" in client.get(response["Location"]).content.decode()


def test_trying_numbers_without_accounts_uses_the_same_per_address_throttle(db, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "request_login_code": "3/h/ip,1/m/key"}
    for i in range(3):
        response = Client().post(LOGIN, {"phone": f"1390000100{i}"})
        assert response["Location"] == SIGNUP
    response = Client().post(LOGIN, {"phone": "13900001009"})
    assert response.status_code == 400
    assert "Too many" in response.content.decode()


def test_a_mistyped_number_can_be_corrected_from_the_code_box(client, resident):
    client.post(LOGIN, {"phone": "13812345679"})  # a number with no account: sign-up is offered
    client.post(LOGIN, {"phone": PHONE})
    assert client.get(LOGIN).status_code == 200  # "start again" shows the phone box, not the pending code
    other = UserFactory(phone="+8613912345678")
    response = client.post(LOGIN, {"phone": "13912345678"})  # the right number this time
    assert response["Location"] == CONFIRM
    response = client.post(CONFIRM, {"code": last_code("+8613912345678")})
    assert logged_in_as(client) == other.pk
    assert response.status_code == 302
