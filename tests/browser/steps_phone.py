"""Browser steps for logging in by phone, for the journeys: the page as a resident meets it after being sent
to log in (settings.LOGIN_URL), the code read from the SMS outbox (core.sms.LocmemBackend, the test setting)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from accounts.phone import phone_normalize
from core import sms

CODE = re.compile(r"\b(\d{6})\b")


def _code_for(phone: str) -> str:
    sent = [m for m in sms.outbox if m.phone == phone and m.purpose == "login_code"]
    assert sent, f"no code was sent to {phone}"
    return CODE.search(sent[-1].text).group(1)


def login_by_phone(browser, phone: str, *, name: str = "新邻居") -> dict:
    """From the login page: type the phone, tap 获取验证码, (a newcomer: type a name and tap again), type the
    code from the SMS and tap to log in. Returns what it took: {"taps": n, "fields": n}."""
    page = browser.page
    used = {"taps": 0, "fields": 0}
    assert urlsplit(page.url).path == "/accounts/login/", f"not on the login page: {page.url}"
    page.fill("#id_phone", phone)
    used["fields"] += 1
    browser.submit("#phone-login")
    used["taps"] += 1
    if urlsplit(page.url).path == "/accounts/signup/":
        page.fill("#id_display_name", name)
        used["fields"] += 1
        browser.submit("#phone-signup")
        used["taps"] += 1
    assert page.locator("#id_code").count() == 1, f"no code box at {page.url}"
    page.fill("#id_code", _code_for(phone_normalize(phone)))
    used["fields"] += 1
    browser.submit("#code-form")
    used["taps"] += 1
    return used
