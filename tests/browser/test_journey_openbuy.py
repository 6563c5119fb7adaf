"""Journey of issue 16, item 3, in a phone-sized Chromium (390×844): the leader opens a buy from an offer page in
ONE submit (the offer chosen, the title and deadline prefilled, only the minimum typed), opens a second buy of the
same product in TWO (the duplicate warning on top, ticked, published), watches the dashboard fill, and closes early
through the confirmation that says what will happen. Submits and taps are counted from the browser's own requests."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import reverse

from groupbuy.factories import OfferFactory, SupplierFactory, signup
from groupbuy.models import BuyStatus, GroupBuy
from tests.browser.conftest import SCREENSHOTS
from tests.browser.helpers import progress_width

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shoot(browser, name: str, redo) -> None:
    """Screenshots of a step in Chinese and English. The step may be a POST's answer (a refusal, a confirmation),
    which the page's language button cannot reload: set the language cookie and `redo()` the step instead."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for lang in ("zh-hans", "en"):
        browser.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": lang, "url": browser.base}])
        redo()
        assert browser.page.locator("html").get_attribute("lang") == lang
        browser.check()
        browser.page.screenshot(path=str(SCREENSHOTS / f"{name}-{lang}.png"), full_page=True)
    browser.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "zh-hans", "url": browser.base}])
    redo()


def tap(browser, selector: str) -> None:
    with browser.page.expect_navigation():
        browser.page.click(selector)
    browser.check()


def test_leader_opens_from_an_offer_in_one_submit_and_closes_through_the_confirmation(place, browse):
    offer = OfferFactory(supplier=SupplierFactory(community=place.community), title="土豆 5斤", unit="袋")
    create = reverse("groupbuy:buy_create")
    leader = browse(place.leader.user)
    posts: list[str] = []
    leader.page.on("request", lambda r: posts.append(urlsplit(r.url).path) if r.method == "POST" else None)

    def open_form() -> None:
        leader.visit(reverse("groupbuy:offer_detail", args=[offer.pk]))
        tap(leader, "#open-buy")

    # 1. From the offer page: one tap to the form, the offer chosen and the title and deadline there already.
    shoot(leader, "openbuy-form", open_form)
    assert leader.page.is_checked(f"input[name=offers][value='{offer.pk}']")
    assert leader.page.input_value("#id_title") == "土豆 5斤"
    assert leader.page.input_value("#id_deadline")
    assert leader.page.input_value("#id_delivery_date")
    leader.page.fill("#id_moq", "5")
    posts.clear()
    leader.submit("#buy-form")
    first = GroupBuy.objects.get()
    assert first.status == BuyStatus.OPEN
    assert leader.page.url.endswith(reverse("groupbuy:dashboard", args=[first.pk]))
    assert posts.count(create) == 1  # ONE submit

    # 2. The same product again: the warning comes back on top, ticked once, published: TWO submits.
    def refused_once() -> None:
        open_form()
        leader.page.fill("#id_moq", "5")
        leader.submit("#buy-form")

    shoot(leader, "openbuy-duplicate", refused_once)
    posts.clear()
    refused_once()
    duplicates = leader.page.locator("#duplicates")
    assert duplicates.is_visible()
    assert "土豆 5斤" in duplicates.inner_text()
    above = leader.page.evaluate(
        "() => document.querySelector('#duplicates').getBoundingClientRect().top"
        " < document.querySelector('#id_title').getBoundingClientRect().top"
    )
    assert above
    assert leader.page.input_value("#id_moq") == "5"  # what was typed is kept
    leader.page.check("#id_confirm_duplicate")
    leader.submit("#buy-form")
    assert GroupBuy.objects.count() == 2
    assert posts.count(create) == 2  # TWO submits with the duplicate warning

    # 3. The dashboard fills as residents join.
    dashboard = reverse("groupbuy:dashboard", args=[first.pk])
    leader.visit(dashboard)
    assert progress_width(leader) == 0
    signup(first, place.resident, 2)
    signup(first, place.neighbour, 3)
    leader.visit(dashboard)
    assert progress_width(leader) == 100

    # 4. Close early: the button asks first and says what happens; nothing changes until confirmed.
    def asked() -> None:
        leader.visit(dashboard)
        leader.submit("form[action$='/close/']")

    first.refresh_from_db()
    before = first.status  # formed: the minimum is reached, sign-ups still open
    shoot(leader, "openbuy-close-confirm", asked)
    assert leader.page.locator("[data-consequence]").is_visible()
    first.refresh_from_db()
    assert first.status == before
    posts.clear()
    leader.submit("#confirm form")
    first.refresh_from_db()
    assert first.status == BuyStatus.CLOSED
    assert leader.page.url.endswith(dashboard)
    assert posts == [reverse("groupbuy:buy_close_now", args=[first.pk])]


def test_without_script_the_leader_previews_then_publishes(place, browse):
    """No script: every cap box shows, the unticked ones are ignored; 预览 shows what residents will see and
    writes nothing; 发布 from the preview opens the buy."""
    offer = OfferFactory(supplier=SupplierFactory(community=place.community), title="土豆 5斤", unit="袋")
    other = OfferFactory(supplier=SupplierFactory(community=place.community), title="鸡蛋 30枚", unit="盒")
    leader = browse(place.leader.user, javascript=False)
    leader.visit(reverse("groupbuy:buy_create") + f"?community={place.community.pk}")
    tap(leader, f"#choose-offer a[href$='offer={offer.pk}']")
    leader.page.fill("#id_moq", "5")
    leader.page.fill(f"#id_cap_{offer.pk}", "40")
    leader.page.click("details.more > summary >> nth=0")
    leader.page.fill(f"#id_cap_{other.pk}", "typed by mistake")
    with leader.page.expect_navigation():
        leader.page.click("#preview-button")
    leader.check()
    preview = leader.page.locator("#preview").inner_text()
    assert "土豆 5斤" in preview
    assert "鸡蛋" not in preview
    assert not GroupBuy.objects.exists()
    leader.page.locator("#preview").scroll_into_view_if_needed()
    leader.page.screenshot(path=str(SCREENSHOTS / "openbuy-preview-zh-hans.png"), full_page=True)
    leader.submit("#buy-form")
    buy = GroupBuy.objects.get()
    assert list(buy.items.values_list("offer_id", "cap")) == [(offer.pk, 40)]
