"""Signing up on a phone (issue 15 items 6, 9): photos first, the stepper and the "我要接龙 · ¥…" bar on the first
screen, a refusal shown next to the steppers at an address that can be opened again, the withdrawal's
confirmation, the same without script, and at 200 % text the stepper and the button within two screens."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from groupbuy.factories import GroupBuyFactory, main_item, signup
from groupbuy.models import Entry, EntryStatus
from groupbuy.services.catalog import offer_photo_add
from tests.browser.conftest import SCREENSHOTS
from tests.browser.steps_signup import (
    SCREEN_HEIGHT,
    bar_button,
    document_top,
    on_screen,
    signup_with_stepper,
    stepper_box,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (60, 140, 70)).save(buffer, "JPEG")
    return SimpleUploadedFile("veg.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def buy(place):
    buy = GroupBuyFactory(
        community=place.community,
        leader=place.leader.user,
        title="蔬菜套餐 第1团",
        moq=Decimal("10"),
        household_limit=5,
        item__cap=20,
    )
    offer_photo_add(actor=place.leader.user, offer=main_item(buy).offer, upload=_photo())
    return buy


def test_a_resident_signs_up_with_the_stepper_and_the_bar_then_withdraws_after_confirming(place, browse, buy):
    signup(buy, place.neighbour, 1)
    me = browse(place.resident.user)
    me.visit(reverse("groupbuy:buy_detail", args=[buy.pk]))
    page = me.page
    assert page.locator(".buy-top .photos img").count() == 1
    assert document_top(me, page.locator(".buy-top .photos img")) < document_top(me, page.locator(".buy-top h1"))
    box = stepper_box(me, main_item(buy))
    assert (box.input_value(), box.get_attribute("max")) == ("1", "5")
    assert on_screen(me, bar_button(me))  # the first screen, before any scrolling
    assert "¥59.00" in bar_button(me).inner_text()
    page.locator(f"#signup-form button[data-step='1'][aria-controls='{box.get_attribute('id')}']").click()
    assert "¥118.00" in bar_button(me).inner_text()  # the live total
    me.screenshots("signup-stepper")

    done = signup_with_stepper(me, buy, quantity=3)
    assert done == {"taps": 3, "fields": 0, "number": 2}  # from 1 (the page reloaded for the screenshots): + +, the bar
    entry = Entry.objects.get(buy=buy, household=place.resident.household)
    assert (entry.seq, entry.units) == (2, 3)
    assert stepper_box(me, main_item(buy)).count() == 0  # the join form gave way to the change form
    assert page.input_value(f"#change-form input[name=q_{main_item(buy).pk}]") == "3"
    me.screenshots("signup-stepper-mine")

    # Withdrawing: the first tap only opens the confirmation, which names the number given up.
    page.locator("details.confirm > summary").click()
    confirm = page.locator("details.confirm .withdraw-form button")
    assert confirm.is_visible()
    assert "#2" in confirm.inner_text()
    assert Entry.objects.get(pk=entry.pk).status == EntryStatus.ACTIVE
    with page.expect_navigation():
        confirm.click()
    assert Entry.objects.get(pk=entry.pk).status == EntryStatus.WITHDRAWN
    assert bar_button(me).is_visible()  # may join again


def test_a_refusal_is_shown_next_to_the_stepper_and_the_address_opens_again(place, browse, buy):
    me = browse(place.resident.user)
    me.visit(reverse("groupbuy:buy_detail", args=[buy.pk]))
    page = me.page
    box = stepper_box(me, main_item(buy))
    box.fill("6")  # over the household limit of 5: typed, as a phone keyboard allows
    me.submit("#signup-form .signup-bar")
    alert = page.locator("#signup-form [role=alert]")
    assert alert.get_attribute("data-code") == "over_household_limit"
    assert on_screen(me, alert)  # the page opened at the form, not at its top
    assert stepper_box(me, main_item(buy)).input_value() == "6"
    assert page.url.split("#")[0].endswith(reverse("groupbuy:buy_detail", args=[buy.pk]))
    me.screenshots("signup-stepper-refused")
    response = page.goto(page.url)  # the address bar's address, opened again later
    assert response.status == 200
    assert Entry.objects.filter(buy=buy).count() == 0


def test_signing_up_without_javascript(place, browse, buy):
    me = browse(place.resident.user, javascript=False)
    done = signup_with_stepper(me, buy, quantity=2)
    assert done == {"taps": 1, "fields": 1, "number": 1}
    assert Entry.objects.get(buy=buy, household=place.resident.household).units == 2
    # Withdrawing without script: the <details> opens by itself, its button confirms.
    me.page.locator("details.confirm > summary").click()
    with me.page.expect_navigation():
        me.page.locator("details.confirm .withdraw-form button").click()
    assert Entry.objects.get(buy=buy).status == EntryStatus.WITHDRAWN


@pytest.mark.parametrize("javascript", [True, False])
def test_at_200_percent_text_the_stepper_and_the_button_are_within_two_screens(place, browse, buy, javascript):
    me = browse(place.resident.user, javascript=javascript)
    for lang in ("zh-hans", "en"):
        me.visit(reverse("groupbuy:buy_detail", args=[buy.pk]))
        if me.page.locator("html").get_attribute("lang") != lang:
            me.switch_language()
        me.page.evaluate("document.documentElement.style.fontSize='200%'")
        box = stepper_box(me, main_item(buy))
        assert document_top(me, box) + box.bounding_box()["height"] <= 2 * SCREEN_HEIGHT, lang
        assert on_screen(me, bar_button(me)), lang
        overflow = me.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, lang
        if javascript:  # the first screen at 200 % text, as the phone shows it
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            me.page.screenshot(path=str(SCREENSHOTS / f"signup-stepper-200-{lang}.png"))
