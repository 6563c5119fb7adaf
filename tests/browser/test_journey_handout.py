"""Issue 16, item 6, in a phone-sized Chromium: a receiving volunteer hands out by 接龙 number at the hand-out
table, part of the goods now and the rest on a second visit; the page shows whether the household paid and
what it owes, what is still to come, and the record of who handed out what. A household's pickup QR
(…/handover/#code=…) opens the same table with its order found. Taps are written to test-artifacts/journeys.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from groupbuy.models import BuyStatus, EntryLine, GroupBuy
from settlement.models import Handover, PickupCode, PickupState
from settlement.services.distribution import pickup_codes_issue
from settlement.services.payments import payment_confirm, payment_mark
from tests.browser.conftest import SCREENSHOTS
from tests.settlement.conftest import ClosedBuy, make_residents

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPORT = Path(settings.BASE_DIR) / "test-artifacts" / "journeys.json"


def record(journey: str, figures: dict) -> None:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    measured = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    measured[journey] = figures
    REPORT.write_text(json.dumps(measured, ensure_ascii=False, indent=2))


def tap(browser, selector: str) -> int:
    """One tap on a button that loads a page; returns 1 (the tap counted)."""
    with browser.page.expect_navigation():
        browser.page.locator(selector).first.click()
    browser.check()
    return 1


def released_buy(place):
    people = make_residents(place, 3)
    closed = ClosedBuy(place, extra_signups=[(person, 2) for person in people])
    pickup_codes_issue(actor=place.leader.user, buy=closed.buy)
    closed.set_status(BuyStatus.RELEASED)
    pickup_codes_issue(actor=place.leader.user, buy=closed.buy)
    return closed.refresh()


def test_a_volunteer_hands_out_by_number_part_now_and_the_rest_later(place, browse):
    closed = released_buy(place)
    entry = closed.resident_entry  # 3 main + 1 extra, 197.00, not paid
    main = EntryLine.objects.get(entry=entry, item=closed.main)
    volunteer = browse(place.receiving_volunteer.user)
    table = reverse("settlement:handover", args=[closed.buy.pk])

    # First visit: type the 接龙 number, find, hand out 1 of the 3 main (the extra item in full).
    volunteer.visit(table)
    assert volunteer.page.locator("#lookup").count() == 1  # one field to scan or type
    assert not volunteer.page.locator("[data-scan]").is_visible()  # no camera scanning here: typing works
    volunteer.page.fill("#lookup", str(entry.seq))
    taps = tap(volunteer, "#lookup-form button:not([type=button])")
    order = volunteer.page.locator("#handout-order")
    assert order.locator("[data-pay='to_pay']").is_visible()  # not paid: the volunteer sees what is owed
    assert "197" in order.inner_text()
    volunteer.page.fill(f"#line_{main.pk}", "1")
    taps += tap(volunteer, "#handover-form button")
    pickup = PickupCode.objects.get(entry=entry)
    assert pickup.state == PickupState.PARTIAL
    assert volunteer.page.locator("[data-record]").count() == 1
    assert volunteer.page.locator("[data-still-to-come]").is_visible()
    assert volunteer.page.locator(f"#line_{main.pk}").input_value() == "2"  # the rest is offered next time
    first_visit = taps
    volunteer.screenshots("handout-partial")

    # The household pays meanwhile; the second visit hands out the rest.
    payment_mark(actor=place.resident.user, entry=entry, amount="197.00", method="wechat")
    payment_confirm(actor=place.leader.user, entry=entry)
    volunteer.visit(table)
    volunteer.page.fill("#lookup", str(entry.seq))
    taps = tap(volunteer, "#lookup-form button:not([type=button])")
    assert volunteer.page.locator("#handout-order [data-pay='confirmed']").is_visible()
    taps += tap(volunteer, "#handover-form button")
    pickup.refresh_from_db()
    assert pickup.state == PickupState.HANDED_OVER
    assert Handover.objects.filter(pickup=pickup).count() == 2
    assert volunteer.page.locator("[data-record]").count() == 2
    assert volunteer.page.locator("[data-all-received]").is_visible()
    second_visit = taps
    volunteer.screenshots("handout-rest")
    assert GroupBuy.objects.get(pk=closed.buy.pk).status == BuyStatus.DISTRIBUTING  # others still to come

    # A household's pickup QR opens the table with its order found (the code is posted, never in a URL).
    code = PickupCode.objects.get(entry=closed.neighbour_entry).code
    volunteer.page.goto(volunteer.base + table + f"#code={code}")  # from ?order=…: a new page, the script runs
    volunteer.page.wait_for_selector("#handout-order")
    volunteer.check()
    assert "12-302" in volunteer.page.locator("#handout-order").inner_text()
    assert code not in volunteer.page.url

    # Several orders match a phone's last four digits: a short list to choose from.
    others = list(closed.buy.entries.exclude(pk__in=[entry.pk, closed.neighbour_entry.pk]).order_by("seq")[:2])
    for n, other in enumerate(others):
        user = other.placed_by
        user.phone = f"+86139000{n}2468"
        user.save()
    volunteer.visit(table)
    for lang in ("zh-hans", "en"):  # a search result is a POST's answer: search in each language, then photograph
        if volunteer.page.locator("html").get_attribute("lang") != lang:
            volunteer.switch_language()
        volunteer.page.fill("#lookup", "2468")
        tap(volunteer, "#lookup-form button:not([type=button])")
        assert volunteer.page.locator("#handout-matches button").count() == 2
        volunteer.page.screenshot(path=str(SCREENSHOTS / f"handout-matches-{lang}.png"), full_page=True)
    tap(volunteer, f"#handout-matches button[data-entry='{others[1].pk}']")
    assert volunteer.page.locator("#handout-order").get_attribute("data-entry") == str(others[1].pk)

    record("handout", {"first_visit_taps": first_visit, "second_visit_taps": second_visit, "fields_typed": 1})
    assert first_visit <= 2
    assert second_visit <= 2
