"""The money a household reads while paying: 待付款 → 待确认 → 已确认, and the numbers add up at every step,
the same on the settlement page, the payment page and in the API (one selector computes them)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from settlement import selectors
from settlement.services.payments import payment_confirm, payment_mark

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
TOTAL_RE = re.compile(r'<div data-money="(\w+)">[^<]*<b>¥([\d.,-]+)</b>')


def page_totals(body: str) -> dict[str, Decimal]:
    """The amounts of the page's money block, by key (amount_due, confirmed, awaiting, still_owed)."""
    return {key: Decimal(value.replace(",", "")) for key, value in TOTAL_RE.findall(body)}


def assert_adds_up(totals: dict[str, Decimal]) -> None:
    assert set(totals) >= {"amount_due", "confirmed", "awaiting", "still_owed"}, totals
    assert totals["amount_due"] == totals["confirmed"] + totals["awaiting"] + totals["still_owed"]


def test_after_i_have_paid_the_settlement_page_shows_the_amount_awaiting_confirmation(closed, place, web):
    """The defect: after 我已付款 the page read 已付 ¥0.00 / 尚欠 ¥0.00 — the marked amount was in no total,
    so nothing added up to the ¥197.00 owed."""
    payment_mark(actor=place.resident.user, entry=closed.resident_entry, amount="197", method="wechat")
    body = web(place.resident.user).get(reverse("settlement:hub", kwargs={"pk": closed.buy.pk}), **ZH)
    totals = page_totals(body.content.decode())
    assert totals == {
        "amount_due": Decimal("197.00"),
        "confirmed": Decimal("0.00"),
        "awaiting": Decimal("197.00"),
        "still_owed": Decimal("0.00"),
    }
    assert 'data-stage="awaiting"' in body.content.decode()


@pytest.mark.parametrize(
    ("marked", "confirm", "expected"),
    [
        (None, False, {"stage": "to_pay", "confirmed": "0.00", "awaiting": "0.00", "still_owed": "197.00"}),
        ("197", False, {"stage": "awaiting", "confirmed": "0.00", "awaiting": "197.00", "still_owed": "0.00"}),
        ("150", False, {"stage": "awaiting", "confirmed": "0.00", "awaiting": "150.00", "still_owed": "47.00"}),
        ("197", True, {"stage": "confirmed", "confirmed": "197.00", "awaiting": "0.00", "still_owed": "0.00"}),
        ("150", True, {"stage": "to_pay", "confirmed": "150.00", "awaiting": "0.00", "still_owed": "47.00"}),
    ],
)
def test_amounts_add_up_at_every_step_on_the_pages_and_in_the_api(closed, place, web, api, marked, confirm, expected):
    entry = closed.resident_entry
    if marked:
        payment_mark(actor=place.resident.user, entry=entry, amount=marked, method="wechat")
    if confirm:
        payment_confirm(actor=place.data_volunteer.user, entry=entry)
    want = {k: Decimal(v) for k, v in expected.items() if k != "stage"} | {"amount_due": Decimal("197.00")}

    summary = selectors.payment_summary_of(selectors.my_entry_get(user=place.resident.user, buy=closed.buy))
    assert summary["stage"] == expected["stage"]
    assert {k: summary[k] for k in want} == want

    client = web(place.resident.user)
    for url in (
        reverse("settlement:hub", kwargs={"pk": closed.buy.pk}),
        reverse("settlement:pay", kwargs={"entry_pk": entry.pk}),
    ):
        response = client.get(url, **ZH)
        assert response.status_code == 200
        totals = page_totals(response.content.decode())
        assert_adds_up(totals)
        assert {k: totals[k] for k in want} == want, url
        assert f'data-stage="{expected["stage"]}"' in response.content.decode()

    for url in (
        reverse("api-settlement-pay", kwargs={"entry_pk": entry.pk}),
        reverse("api-settlement-me", kwargs={"pk": closed.buy.pk}),
    ):
        data = api(place.resident.user).get(url).json()
        assert data["stage"] == expected["stage"], url
        assert {k: Decimal(data[k]) for k in want} == want, url


def test_the_payment_page_reads_in_a_fixed_number_of_queries(closed, place, web, django_assert_max_num_queries):
    client = web(place.resident.user)
    url = reverse("settlement:pay", kwargs={"entry_pk": closed.resident_entry.pk})
    client.get(url)  # the session and the language settle on the first visit
    with django_assert_max_num_queries(7):
        response = client.get(url)
    assert response.status_code == 200
