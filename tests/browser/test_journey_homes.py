"""Issue 16, role homes, in a phone-sized Chromium: the committee approves a pending filing from its home in at
most 3 taps; the gate guard verifies a slip from its home in at most 2 taps after typing the code; each role's
home is photographed in Chinese and English. Taps are written to test-artifacts/journeys.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from compliance.models import FilingStatus
from groupbuy.factories import GroupBuyFactory
from groupbuy.models import BuyStatus
from tests.browser.helpers import any_day_policy, arrival_window

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPORT = Path(settings.BASE_DIR) / "test-artifacts" / "journeys.json"


def record(journey: str, figures: dict) -> None:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    measured = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    measured[journey] = figures
    REPORT.write_text(json.dumps(measured, ensure_ascii=False, indent=2))


def pending_filing(place):
    from compliance.services.filings import filing_submit
    from tests.compliance.conftest import documents, make_ordered_buy

    any_day_policy(place.community)
    buy = make_ordered_buy(place)
    start, end, sampled = arrival_window()
    return filing_submit(
        actor=place.leader.user,
        buy=buy,
        arrival_start=start,
        arrival_end=end,
        vehicle_plate="沪A 12345",
        driver_name="李师傅",
        test_sampled_at=sampled,
        documents=documents(),
        gate="North gate",
    )


def tap(browser, selector: str) -> int:
    """One tap on a link or button that loads a page; returns 1 (the tap counted)."""
    with browser.page.expect_navigation():
        browser.page.locator(selector).first.click()
    browser.check()
    return 1


def test_committee_approves_from_home_and_guard_verifies_from_home(place, browse):
    filing = pending_filing(place)
    GroupBuyFactory(community=place.community, leader=place.leader.user, title="土鸡蛋 第2团")

    # The committee: the pending filing is on the home page, above the fold.
    committee = browse(place.committee.user)
    committee.visit(reverse("home"))
    link = f"a[href='{reverse('compliance:filing_detail', args=[filing.pk])}']"
    assert committee.page.locator(link).first.bounding_box()["y"] < 844
    committee.screenshots("home-committee")
    taps = tap(committee, link)
    taps += tap(committee, "form[action$='/approve/'] button")
    filing.refresh_from_db()
    assert filing.status == FilingStatus.APPROVED
    assert taps <= 3

    # The guard: the code box is the home page; type the code, one tap on Check shows the verdict.
    guard = browse(place.gate_guard.user)
    guard.visit(reverse("home"))
    assert not guard.page.locator("[data-scan]").is_visible()  # no camera scanning in this browser: typing only
    guard.screenshots("home-guard")
    guard.page.fill(f"#gate-code-{place.community.pk}", filing.slip.display_code.lower())
    guard_taps = tap(guard, f"#gate-{place.community.pk} button:not([type=button])")
    assert guard.page.locator(".verdict-valid").count() == 1
    assert guard_taps <= 2

    # The leader: the approved buy's next step and the open buy; the resident: the open buy and 我的订单.
    leader = browse(place.leader.user)
    leader.visit(reverse("home"))
    assert leader.page.locator(f"a[href='{reverse('compliance:buy_delivery', args=[filing.buy_id])}']").count()
    leader.screenshots("home-leader")
    resident = browse(place.resident.user)
    resident.visit(reverse("home"))
    assert resident.page.locator(f"a[href='{reverse('groupbuy:my_entries')}'].btn").count() == 1
    assert "土鸡蛋 第2团" in resident.text()
    resident.screenshots("home-resident")

    record("homes", {"committee_approve_taps": taps, "guard_verify_taps_after_typing": guard_taps})


# A browser that can scan: BarcodeDetector and the camera replaced by stand-ins (a canvas stream; the detector
# "sees" the slip's QR text), so scan.js's path from the button to the filled field runs for real.
FAKE_SCANNER = """
window.BarcodeDetector = class {
  static getSupportedFormats() { return Promise.resolve(["qr_code"]); }
  constructor(options) { this.options = options; }
  detect() { return Promise.resolve([{ rawValue: window.__qr || "" }]); }
};
Object.defineProperty(navigator, "mediaDevices", { value: { getUserMedia: () => {
  const canvas = document.createElement("canvas"); canvas.width = 64; canvas.height = 64;
  canvas.getContext("2d").fillRect(0, 0, 64, 64);
  return Promise.resolve(canvas.captureStream(5));
} } });
"""


def test_guard_scans_the_slip_qr_into_the_code_box(place, browse):
    filing = pending_filing(place)
    from compliance.services.review import filing_approve

    filing_approve(actor=place.committee.user, filing=filing)
    filing.refresh_from_db()
    code = filing.slip.code

    guard = browse(place.gate_guard.user)
    guard.context.add_init_script(FAKE_SCANNER)
    guard.visit(reverse("home"))
    guard.page.evaluate(f"window.__qr = {json.dumps('http://x' + reverse('compliance:gate') + '#code=' + code)}")
    scan = guard.page.locator("[data-scan]")
    scan.wait_for(state="visible")
    scan.click()
    box = guard.page.locator(f"#gate-code-{place.community.pk}")
    guard.page.wait_for_function(f"document.getElementById('gate-code-{place.community.pk}').value !== ''")
    assert box.input_value() == code.upper()
    tap(guard, f"#gate-{place.community.pk} button:not([type=button])")
    assert guard.page.locator(".verdict-valid").count() == 1


def test_nothing_pending_the_committee_home_says_so_and_nav_links_are_tall(place, browse):
    committee = browse(place.committee.user)
    committee.visit(reverse("home"))
    heights = committee.page.evaluate(
        "() => [...document.querySelectorAll('.topnav a, .brand')].map((a) => a.getBoundingClientRect().height)"
    )
    assert heights
    assert min(heights) >= 44
    assert BuyStatus.OPEN  # the page rendered with no buys and no filings
    assert committee.page.locator(".home-block .count").first.inner_text()
