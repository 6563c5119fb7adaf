"""The installable web app in a real phone-sized Chromium: the service worker takes control, a buy page seen once
reads offline with the "offline: as of HH:MM" banner (Chinese and English, photographed), a page never seen shows
the offline page, and logging out makes the worker forget every saved page."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from groupbuy.factories import GroupBuyFactory, signup
from tests.browser.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTROLLED = "() => navigator.serviceWorker.controller !== null"
# How many pages the worker has saved (every cache of saved pages, whatever its version).
SAVED_PAGES = """async () => {
  let count = 0;
  for (const name of await caches.keys()) {
    if (name.startsWith("jl-pages-")) count += (await (await caches.open(name)).keys()).length;
  }
  return count;
}"""


def _banner_pattern(language: str) -> re.Pattern[str]:
    with translation.override(language):
        text = translation.gettext("Offline: as of %(time)s")
    return re.compile(re.escape(text).replace(re.escape("%(time)s"), r"\d{2}:\d{2}"))


def _photograph(browser, name: str, language: str) -> None:
    assert browser.page.locator("html").get_attribute("lang") == language
    browser.check()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.page.screenshot(path=str(SCREENSHOTS / f"{name}-{language}.png"), full_page=True)


def _read_offline(browser, buy, language: str) -> None:
    """Offline, the buy page reloads from the worker's copy with the banner on top, in the page's language."""
    browser.context.set_offline(True)
    try:
        browser.page.reload()
        banner = browser.page.locator("[data-offline-banner]")
        assert banner.count() == 1
        assert _banner_pattern(language).fullmatch(banner.inner_text().strip()), banner.inner_text()
        assert buy.title in browser.text()
        assert "12-302 王**" in browser.text()
        _photograph(browser, "pwa-offline-buy-page", language)
    finally:
        browser.context.set_offline(False)


def test_buy_pages_read_offline_and_are_forgotten_at_logout(place, browse):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, title="鸡蛋团 第5团", moq=Decimal("10"))
    signup(buy, place.neighbour, 2)
    buy_url = reverse("groupbuy:buy_detail", args=[buy.pk])
    me = browse(place.resident.user)

    me.visit(reverse("groupbuy:buy_list"))
    me.page.wait_for_function(CONTROLLED)
    assert me.page.evaluate("navigator.serviceWorker.controller.scriptURL") == me.base + "/sw.js"

    # Seen once with the network (Chinese, the phone's language), then read without it.
    me.visit(buy_url)
    me.page.wait_for_function(f"async () => (await ({SAVED_PAGES})()) >= 1")
    assert me.page.locator("[data-offline-banner]").count() == 0  # online: the page itself, no banner
    _read_offline(me, buy, "zh-hans")

    # Online again the page comes from the network (no banner); in English it is saved in English.
    me.visit(buy_url)
    assert me.page.locator("[data-offline-banner]").count() == 0
    me.switch_language()
    assert me.page.locator("html").get_attribute("lang") == "en"
    me.page.wait_for_function(
        "async (url) => { for (const name of await caches.keys()) { if (!name.startsWith('jl-pages-')) continue;"
        " const copy = await (await caches.open(name)).match(url);"
        " if (copy && (await copy.text()).includes('<html lang=\"en\">')) return true; } return false; }",
        arg=me.base + buy_url,
    )
    _read_offline(me, buy, "en")

    # A page never opened on this phone shows the offline page, in the language last used.
    me.context.set_offline(True)
    try:
        me.page.goto(me.base + reverse("groupbuy:my_entries"))
        assert me.page.locator("[data-offline-page]").count() == 1
        _photograph(me, "pwa-offline-page", "en")
    finally:
        me.context.set_offline(False)

    # Logging out forgets every saved page: offline, the next person gets the offline page, not the buy.
    me.visit(buy_url)
    with me.page.expect_navigation():
        me.page.locator("form[action$='/accounts/logout/'] button").click()
    me.page.wait_for_function(f"async () => (await ({SAVED_PAGES})()) === 0")
    me.context.set_offline(True)
    try:
        me.page.goto(me.base + buy_url)
        assert me.page.locator("[data-offline-page]").count() == 1
        assert buy.title not in me.text()
        assert "王**" not in me.text()
    finally:
        me.context.set_offline(False)


def test_another_person_on_the_same_phone_does_not_get_the_saved_pages(place, browse):
    """Even without logging out (a session that simply ended): the first page showing someone else, or nobody,
    makes the worker forget what the previous person saw."""
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, title="水果团", moq=Decimal("10"))
    buy_url = reverse("groupbuy:buy_detail", args=[buy.pk])
    me = browse(place.resident.user)
    me.visit(reverse("groupbuy:buy_list"))
    me.page.wait_for_function(CONTROLLED)
    me.visit(buy_url)
    me.page.wait_for_function(f"async () => (await ({SAVED_PAGES})()) >= 1")

    me.context.clear_cookies()  # the session is gone; the login page shows nobody signed in
    me.visit(reverse("accounts:login"))
    me.page.wait_for_function(f"async () => (await ({SAVED_PAGES})()) === 0")


def test_the_manifest_and_every_icon_load_from_the_site(browse):
    """What a phone fetches to install the app, fetched the way the browser does, from the page's own links."""
    browser = browse()
    browser.visit(reverse("accounts:login"))
    href = browser.page.locator("link[rel=manifest]").get_attribute("href")
    manifest = browser.context.request.get(browser.base + href)
    assert manifest.ok
    assert manifest.headers["content-type"] == "application/manifest+json"
    data = manifest.json()
    assert data["lang"] == "zh-hans"  # the phone's language (zh-CN), as the page says
    links = [icon["src"] for icon in data["icons"]]
    links += [
        browser.page.locator(selector).get_attribute("href")
        for selector in ("link[rel=icon]", "link[rel=apple-touch-icon]")
    ]
    for url in [*links, "/favicon.ico"]:
        response = browser.context.request.get(browser.base + url)
        assert response.ok, url
        assert response.headers["content-type"] in ("image/png", "image/x-icon", "image/vnd.microsoft.icon"), url

    # Chromium's own verdict: the manifest parses without complaint and nothing stops installing but the
    # incognito profile every Playwright context runs in.
    devtools = browser.context.new_cdp_session(browser.page)
    assert devtools.send("Page.getAppManifest")["errors"] == []
    verdict = devtools.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert {error["errorId"] for error in verdict} <= {"in-incognito"}, verdict
