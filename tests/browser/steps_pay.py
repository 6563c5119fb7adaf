"""Browser steps for paying one entry with the leader's 收款码, from 我的订单 (/buys/mine/) or the payment page.
Selectors use data attributes and addresses, never button text, so both languages work."""

from __future__ import annotations

from django.urls import reverse

from tests.browser.helpers import qr_decoded

MIN_QR_CSS_PX = 240  # scannable from another phone held at arm's length


def payee_qr_checked(browser) -> dict:
    """The payment page's 收款码: a real, loaded <img> (long-press works on it), visible and at least 240 CSS px
    wide; returns its width and what it decodes to."""
    qr = browser.page.locator("img[data-payee-qr]")
    assert qr.count() == 1, "no payee QR <img> on the payment page"
    qr.scroll_into_view_if_needed()
    assert qr.is_visible()
    box = qr.bounding_box()
    assert box is not None
    assert box["width"] >= MIN_QR_CSS_PX, f"payee QR only {box['width']} CSS px wide"
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0"), "payee QR picture did not load"
    return {"width": box["width"], "decoded": qr_decoded(qr)}


def pay_with_qr(browser, entry, *, screenshot: dict | None = None) -> dict:
    """Pay `entry` as its household would: on 我的订单 (when the browser is there) tap the card's pay button, else
    open the payment page; check the 收款码, keep the suggested amount and tap "我已付款" (attaching `screenshot`, a
    Playwright file payload, when given). Returns {"taps", "fields", "qr": the QR's text, "qr_width"}; the page
    then reads 待确认."""
    page = browser.page
    pay_url = reverse("settlement:pay", kwargs={"entry_pk": entry.pk})
    taps = 0
    fields = 0
    if page.url.startswith(browser.base) and page.url.split("?")[0].endswith(reverse("groupbuy:my_entries")):
        from tests.browser.steps_hub import card_selector, open_card

        taps += open_card(browser, entry)["taps"]
        button = page.locator(f"{card_selector(entry)} a[href='{pay_url}']")
        assert button.count() == 1, "the card has no pay button"
        with page.expect_navigation():
            button.click()
        taps += 1
        browser.check()
    else:
        browser.visit(pay_url)
    assert page.locator("[data-stage]").first.get_attribute("data-stage") in {"to_pay", "awaiting"}
    assert page.locator("[data-pay-big]").is_visible()
    correct = page.locator("details.pay-correct")
    if correct.count() and not correct.evaluate("d => d.open"):  # already marked: the form folds away
        correct.locator("summary").click()
        taps += 1
    qr = payee_qr_checked(browser)
    form = page.locator(f"form[action='{pay_url}']")
    assert form.locator("input[name=amount]").input_value(), "the amount is not filled in"
    if screenshot is not None:
        form.locator("input[name=screenshot]").set_input_files(screenshot)
        fields += 1
        taps += 1
    with page.expect_navigation():
        form.locator("button[data-i-have-paid]").click()
    taps += 1
    browser.check()
    assert page.locator("[data-stage]").first.get_attribute("data-stage") == "awaiting"
    return {"taps": taps, "fields": fields, "qr": qr["decoded"], "qr_width": qr["width"]}
