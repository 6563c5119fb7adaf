"""Browser steps on the buy page's sign-up (issue 15 items 6, 9), for journeys that sign a resident up the way a
phone user does: −/+ on the stepper, then the bar fixed at the bottom of the screen. Selectors use ids, names and
data attributes, never button text, so both languages work."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.urls import reverse

from groupbuy.factories import main_item

SCREEN_HEIGHT = 844


def bar_button(browser):
    return browser.page.locator("#signup-form .signup-bar button")


def stepper_box(browser, item):
    return browser.page.locator(f"#signup-form input[name=q_{item.pk}]")


def on_screen(browser, locator) -> bool:
    """Whether the element is inside the viewport now (fully, vertically)."""
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= SCREEN_HEIGHT


def document_top(browser, locator) -> float:
    """The element's distance from the top of the page, in CSS px (however far the page is scrolled)."""
    return locator.evaluate("e => e.getBoundingClientRect().top + window.scrollY")


def signup_with_stepper(browser, buy, quantity: int = 1) -> dict:
    """From the buy page (opened when another page is shown), bring the main item's stepper to `quantity` with
    − / + (typed into the box when the page runs without script and the buttons stay hidden), tap the bar's
    "我要接龙 · ¥…" button and read the 接龙 number the page then shows.
    Returns {"taps": taps used, "fields": boxes typed into, "number": the 接龙 number}."""
    page = browser.page
    url = reverse("groupbuy:buy_detail", args=[buy.pk])
    if urlsplit(page.url).path != url:
        browser.visit(url)
    item = main_item(buy)
    box = stepper_box(browser, item)
    plus = page.locator(f"#signup-form button[data-step='1'][aria-controls='{box.get_attribute('id')}']")
    minus = page.locator(f"#signup-form button[data-step='-1'][aria-controls='{box.get_attribute('id')}']")
    taps = fields = 0
    if plus.is_visible():
        while int(box.input_value() or 0) != quantity:
            button = plus if int(box.input_value() or 0) < quantity else minus
            assert button.is_enabled(), f"the stepper stops at {box.input_value()} (bounds {box.get_attribute('max')})"
            button.click()
            taps += 1
    else:
        box.fill(str(quantity))
        fields += 1
    assert on_screen(browser, bar_button(browser)), "the sign-up bar is not on the screen"
    with page.expect_navigation():
        bar_button(browser).click()
    taps += 1
    browser.check()
    heading = page.locator("#mine h2").inner_text()
    number = int(re.search(r"#(\d+)", heading).group(1))
    return {"taps": taps, "fields": fields, "number": number}
