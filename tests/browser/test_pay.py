"""Paying with the leader's 收款码 in a phone-sized Chromium (issue 15, item 4): from 我的订单 to the payment page,
the QR large enough to scan or long-press, "我已付款" → 待确认, the leader confirms → 已确认; screenshots in Chinese
and English at 390×844, with the contrast, tap-target and 200%-text checks of every browser test."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import segno
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from settlement import selectors
from settlement.services.payee import payee_set
from tests.browser.helpers import jpeg
from tests.browser.steps_pay import pay_with_qr, payee_qr_checked
from tests.settlement.conftest import ClosedBuy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAYEE_QR = "wxp://f2f0payee-demo"  # a WeChat 收款码 is an ASCII URL


def payee_picture() -> SimpleUploadedFile:
    buf = io.BytesIO()
    segno.make(PAYEE_QR, error="m").save(buf, kind="png", scale=8, border=4)
    return SimpleUploadedFile("qr.png", buf.getvalue(), content_type="image/png")


def test_resident_pays_with_the_payee_qr_and_the_leader_confirms(place, browse):
    closed = ClosedBuy(place)
    payee_set(actor=place.leader.user, name="王团长（张建国）", qr_image=payee_picture())  # re-encoded eagerly
    entry = closed.resident_entry

    resident = browse(place.resident.user)
    resident.visit(reverse("settlement:pay", kwargs={"entry_pk": entry.pk}))
    assert payee_qr_checked(resident)["decoded"] == PAYEE_QR
    resident.screenshots("pay-1-to-pay")

    resident.visit(reverse("groupbuy:my_entries"))
    used = pay_with_qr(resident, entry, screenshot=jpeg())
    assert used["qr"] == PAYEE_QR
    assert used["qr_width"] >= 240
    assert used["taps"] <= 4  # the card's pay button, choose the screenshot, 我已付款 (and a tab if needed)
    assert used["fields"] == 1
    resident.screenshots("pay-2-awaiting")
    summary = selectors.payment_summary_of(selectors.my_entry_get(user=place.resident.user, buy=closed.buy))
    assert (summary["awaiting"], summary["still_owed"]) == (Decimal("197.00"), Decimal("0.00"))
    # The settlement page reads the same three numbers (it read 已付 ¥0.00 / 尚欠 ¥0.00 before).
    resident.visit(reverse("settlement:hub", kwargs={"pk": closed.buy.pk}))
    shown = {
        key: resident.page.locator(f"[data-money={key}] b").inner_text()
        for key in ("amount_due", "confirmed", "awaiting", "still_owed")
    }
    assert shown == {"amount_due": "¥197.00", "confirmed": "¥0.00", "awaiting": "¥197.00", "still_owed": "¥0.00"}
    resident.screenshots("pay-2b-settlement-page")

    leader = browse(place.leader.user)
    leader.visit(reverse("settlement:reconcile", kwargs={"pk": closed.buy.pk}))
    row = leader.page.locator(f"tr#e{entry.pk}")
    assert row.locator("[data-marked-amount]").inner_text() == "¥197.00"
    assert leader.page.locator("tbody tr").first.get_attribute("id") == f"e{entry.pk}"  # 待确认 first
    leader.submit(f"tr#e{entry.pk} form")

    resident.visit(reverse("settlement:pay", kwargs={"entry_pk": entry.pk}))
    assert resident.page.locator("[data-stage]").first.get_attribute("data-stage") == "confirmed"
    assert resident.page.locator("button[data-i-have-paid]").count() == 0
    resident.screenshots("pay-3-confirmed")


def test_paying_from_the_payment_page_takes_one_tap(place, browse):
    closed = ClosedBuy(place)
    payee_set(actor=place.leader.user, buy=closed.buy, name="王团长", qr_image=payee_picture())
    resident = browse(place.resident.user)
    used = pay_with_qr(resident, closed.resident_entry)
    assert (used["taps"], used["fields"]) == (1, 0)


def test_leader_puts_up_the_payee_qr_from_the_settlement_page(place, browse):
    closed = ClosedBuy(place)
    leader = browse(place.leader.user)
    leader.visit(reverse("settlement:hub", kwargs={"pk": closed.buy.pk}))
    payee_url = reverse("settlement:payee", kwargs={"pk": closed.buy.pk})
    with leader.page.expect_navigation():
        leader.page.locator(f"a[href='{payee_url}']").click()
    leader.check()
    form = leader.page.locator("form[enctype='multipart/form-data']")
    form.locator("input[name=name]").fill("王团长")
    picture = payee_picture()
    form.locator("input[name=qr_image]").set_input_files(
        {"name": "qr.png", "mimeType": "image/png", "buffer": picture.read()}
    )
    leader.submit("form[enctype='multipart/form-data']")
    assert selectors.payee_for_buy(buy=closed.buy).name == "王团长"
    assert leader.page.locator("img[src*='/payee/qr/']").is_visible()
    leader.screenshots("pay-0-payee")
