"""Issue 15 item 3 in the browser: an existing resident logs in by phone; a newcomer signs up by phone and lands
on join_start with `next` kept (what a share link needs). Screenshots of each step in both languages."""

from urllib.parse import parse_qs, urlsplit

import pytest

from accounts.models import User
from core import sms
from tests.browser.steps_phone import CODE, login_by_phone

PHONE = "+8613812345678"
NEWCOMER = "13900001111"
NEEDS_ACCOUNT = "/accounts/notifications/?item12=2"  # stands for a share link: a page that needs an account


@pytest.fixture(autouse=True)
def _outbox(settings):
    settings.SMS_BACKEND = "core.sms.LocmemBackend"
    sms.outbox.clear()


def _six_digits(phone: str) -> str:
    return CODE.search([m for m in sms.outbox if m.phone == phone][-1].text).group(1)


def test_resident_logs_in_by_phone_in_two_fields_and_two_taps(place, browse):
    User.objects.filter(pk=place.resident.user.pk).update(phone=PHONE)
    me = browse()
    me.visit(NEEDS_ACCOUNT)
    assert urlsplit(me.page.url).path == "/accounts/login/"
    me.screenshots("phone-login-1-phone")
    used = login_by_phone(me, "138 1234 5678")
    assert used == {"taps": 2, "fields": 2}
    assert me.page.url.endswith(NEEDS_ACCOUNT)


def test_the_code_box_asks_for_digits_and_fills_from_the_sms(place, browse):
    User.objects.filter(pk=place.resident.user.pk).update(phone=PHONE)
    me = browse()
    me.visit("/accounts/login/")
    me.page.fill("#id_phone", "13812345678")
    me.submit("#phone-login")
    code_box = me.page.locator("#id_code")
    assert code_box.get_attribute("inputmode") == "numeric"
    assert code_box.get_attribute("autocomplete") == "one-time-code"
    me.screenshots("phone-login-2-code")
    code_box.fill(_six_digits(PHONE))
    me.submit("#code-form")
    assert urlsplit(me.page.url).path == "/"


def test_newcomer_signs_up_by_phone_and_lands_on_join_start_with_next(db, browse):
    me = browse()
    me.visit(NEEDS_ACCOUNT)
    me.page.fill("#id_phone", NEWCOMER)
    me.submit("#phone-login")
    assert urlsplit(me.page.url).path == "/accounts/signup/"
    assert me.page.locator("#id_phone").input_value() == "+86" + NEWCOMER
    me.page.fill("#id_display_name", "李阿姨")
    me.screenshots("phone-signup-1-name")
    me.page.fill("#id_display_name", "李阿姨")  # the language switch reloaded the page
    me.submit("#phone-signup")
    me.page.fill("#id_code", _six_digits("+86" + NEWCOMER))
    me.submit("#code-form")
    url = urlsplit(me.page.url)
    assert url.path == "/accounts/join/"
    assert parse_qs(url.query)["next"] == [NEEDS_ACCOUNT]
    assert me.page.locator(f'input[name="next"][value="{NEEDS_ACCOUNT}"]').count() == 1
    me.screenshots("phone-signup-2-join")
    user = User.objects.get(phone="+86" + NEWCOMER)
    assert user.display_name == "李阿姨"
    assert user.phone_verified


def test_the_step_helper_signs_a_newcomer_up_in_three_fields_and_three_taps(db, browse):
    me = browse()
    me.visit(NEEDS_ACCOUNT)
    used = login_by_phone(me, NEWCOMER, name="小王")
    assert used == {"taps": 3, "fields": 3}
    url = urlsplit(me.page.url)
    assert url.path == "/accounts/join/"
    assert parse_qs(url.query)["next"] == [NEEDS_ACCOUNT]
