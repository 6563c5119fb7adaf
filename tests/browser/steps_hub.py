"""Browser steps on 我的订单 (/buys/mine/), for journeys that go through the resident's hub. Selectors use ids,
data attributes and addresses, never button text, so both languages work."""

from __future__ import annotations

from django.urls import reverse

from tests.browser.helpers import qr_decoded


def card_selector(entry) -> str:
    return f"article#entry-{entry.pk}"


def open_card(browser, entry) -> dict:
    """Open 我的订单 as a resident would (the top bar's link when the page shows it, else the address) and find
    the entry's card, tapping the tab holding it when it is not in the tab opened first. Returns
    {"taps": taps used, "fields": fields filled (none), "tab": the tab the card is in}; the card is then on
    screen (scrolled into view)."""
    page = browser.page
    mine = reverse("groupbuy:my_entries")
    taps = 0
    nav = page.locator(f".topnav a[href='{mine}']")
    if page.url.startswith(browser.base) and nav.count():
        with page.expect_navigation():
            nav.first.click()
        browser.check()
        taps += 1
    else:
        browser.visit(mine)
    card = page.locator(card_selector(entry))
    if not card.count():
        for tab in page.locator("nav.tabs a:not([aria-current])").all():
            if tab.locator(".n").inner_text().strip() == "0":
                continue
            with page.expect_navigation():
                tab.click()
            browser.check()
            taps += 1
            if card.count():
                break
    assert card.count() == 1, f"no card for entry {entry.pk} on {mine}"
    card.scroll_into_view_if_needed()
    tab = page.locator("nav.tabs a[aria-current=page]").get_attribute("data-tab")
    return {"taps": taps, "fields": 0, "tab": tab}


def pickup_code_shown(browser, entry) -> str:
    """The pickup code the entry's card shows ('' when none), after checking that its QR scans to the hand-out
    page with that code."""
    open_card(browser, entry)
    card = browser.page.locator(card_selector(entry))
    shown = card.locator("[data-pickup-code]")
    if not shown.count():
        assert not card.locator(".qr svg").count()
        return ""
    code = shown.inner_text().strip()
    qr = card.locator(".qr svg")
    assert qr.is_visible()
    handover = reverse("settlement:handover", kwargs={"pk": entry.buy_id})
    assert qr_decoded(qr) == f"{browser.base}{handover}#code={code}"
    return code
