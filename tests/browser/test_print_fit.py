"""Printables fit A4 portrait, measured in Chromium's print engine (issue 16 item 5).

The demo's case: 50 households over 38 buildings (as `seed_demo` spreads its residents over buildings 41-78), two
items. The packed pick list prints on a few pages (it was 44, one per building); one page per building stays
available. No printed table is wider than the paper's printable width, nor any cell wider than its column. The
measured page counts go to test-artifacts/print.json for the closing note.
"""

from __future__ import annotations

import json
import re
import subprocess
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.factories import BuildingFactory, HouseholdFactory, MembershipFactory, UserFactory
from groupbuy.factories import BuyItemFactory, GroupBuyFactory, main_item
from groupbuy.models import BuyStatus, GroupBuy
from groupbuy.services.signup import signup_create
from tests.browser.conftest import SCREENSHOTS
from tests.browser.helpers import close_buy
from tests.conftest import require_tool

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACT = settings.BASE_DIR / "test-artifacts" / "print.json"
HOUSEHOLDS = 50
BUILDINGS = 38
# 210 mm less 2 x 12 mm margins, in CSS px: the width Chromium lays a printed page out to.
A4_CONTENT_WIDTH = round((210 - 24) / 25.4 * 96)
LONG_TITLE = "有机小油菜（崇明合作社基地直供，当天清晨采摘，冷链到小区）2斤装"
# Notes as typed on a phone: a long one, and unbreakable runs (a WeChat id, a phone number) that must wrap inside
# their column rather than widen it.
NOTES = (
    "放门卫室，下午三点以后在家可以直接送上楼",
    "微信 wxid_jielong_neighbour_wang_2026",
    "电话13800138000转分机8888",
)

# In print media, at the printed width: every table no wider than its box and inside the page, and no cell whose
# content spills past its column (a column cut off on paper).
CLIPPED_JS = """
(width) => {
  const out = [];
  for (const t of document.querySelectorAll("table")) {
    const r = t.getBoundingClientRect();
    if (t.scrollWidth > t.clientWidth + 1 || r.right > width + 1) {
      out.push(`table ${Math.round(r.width)}px wide, content ${t.scrollWidth}px, right edge ${Math.round(r.right)}`);
    }
    for (const c of t.querySelectorAll("th, td")) {
      if (c.scrollWidth > c.clientWidth + 1) out.push(`${c.tagName} "${c.innerText.slice(0, 20)}" spills`);
    }
  }
  return out;
}
"""


def pdf_page_count(pdf: bytes) -> int:
    """Pages of a PDF as Chromium writes it: one `/Type /Page` dictionary per page (`/Pages` is the tree)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def record(key: str, value: dict) -> None:
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    measured = json.loads(ARTIFACT.read_text()) if ARTIFACT.exists() else {}
    measured[key] = value
    ARTIFACT.write_text(json.dumps(measured, indent=2, ensure_ascii=False) + "\n")


def print_and_check(browser, path: str, screenshot: str | None = None) -> int:
    """Visit `path` (phone checks on screen), then lay it out as print at the A4 width: assert nothing is clipped,
    optionally save a print-media screenshot, and return the A4 PDF's page count."""
    browser.visit(path)
    page = browser.page
    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_CONTENT_WIDTH, "height": 1000})
    assert page.evaluate(CLIPPED_JS, A4_CONTENT_WIDTH) == [], path
    if screenshot:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{screenshot}.png"), full_page=True)
    pages = pdf_page_count(page.pdf(format="A4", prefer_css_page_size=True))
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 390, "height": 844})
    return pages


@pytest.fixture
def demo_buy(place):
    """The demo's vegetable buy after distribution started: 50 households, 1-2 per building over 38 buildings,
    two items (one with a long title), a few notes."""
    from settlement.services.distribution import pickup_codes_issue

    buy = GroupBuyFactory(
        community=place.community, leader=place.leader.user, title="社区蔬菜套餐 第3团", moq=Decimal("30")
    )
    veg = main_item(buy)
    veg.offer.title = LONG_TITLE
    veg.offer.save(update_fields=["title"])
    eggs = BuyItemFactory(buy=buy, offer__title="土鸡蛋 30枚")
    buildings = [BuildingFactory(community=place.community, label=str(41 + n)) for n in range(BUILDINGS)]
    for n in range(HOUSEHOLDS):
        building = buildings[n % BUILDINGS]
        household = HouseholdFactory(community=place.community, building=building, room=f"{1 + n % 6}0{1 + n % 2}")
        user = UserFactory(display_name=f"居民{n:02d}号（欧阳家）")
        member = MembershipFactory(user=user, household=household, community=place.community)
        signup_create(
            actor=user,
            buy=buy,
            household=household,
            quantities={veg.pk: 1 + n % 3, **({eggs.pk: 1} if n % 2 else {})},
            note=NOTES[n % 3] if n % 7 == 0 else "",
            idempotency_key=f"print-{n}",
        )
        assert member.household_id == household.pk
    close_buy(buy)
    GroupBuy.objects.filter(pk=buy.pk).update(status=BuyStatus.RELEASED)
    buy.refresh_from_db()
    pickup_codes_issue(actor=place.leader.user, buy=buy)
    return buy


def test_demo_pick_list_packs_fifty_households_onto_few_a4_pages(place, browse, demo_buy):
    volunteer = browse(place.leader.user)  # the buy's leader sees names and notes in full: the widest rows
    url = reverse("printables:pick_list", args=[demo_buy.pk])
    packed = print_and_check(volunteer, url, screenshot="print-pick-list-packed-zh-hans")
    assert volunteer.page.locator("section.block").count() == BUILDINGS
    assert packed < 10
    per_building = print_and_check(volunteer, url + "?per_building=1")
    assert per_building == BUILDINGS  # the old layout, on request: one sheet per building
    # Printing the on-screen pick list from the browser's menu fits as well.
    screen = print_and_check(
        volunteer, reverse("settlement:pick_list", args=[demo_buy.pk]), screenshot="print-pick-list-page-zh-hans"
    )
    assert screen < 10
    # A leader whose phone is in English prints in English: the same packing, photographed too.
    volunteer.visit(reverse("home"))
    volunteer.switch_language()
    packed_en = print_and_check(volunteer, url, screenshot="print-pick-list-packed-en")
    assert volunteer.page.locator("html").get_attribute("lang") == "en"
    assert packed_en < 10
    record(
        "pick_list",
        {
            "households": HOUSEHOLDS,
            "buildings": BUILDINGS,
            "a4_pages": packed,
            "a4_pages_in_english": packed_en,
            "a4_pages_per_building": per_building,
            "a4_pages_printing_the_screen_page": screen,
        },
    )


def test_sign_up_sheet_and_purchase_order_fit_a4(place, browse, demo_buy):
    leader = browse(place.leader.user)
    order = print_and_check(
        leader, reverse("groupbuy:purchase_order", args=[demo_buy.pk]), screenshot="print-purchase-order-zh-hans"
    )
    GroupBuy.objects.filter(pk=demo_buy.pk).update(status=BuyStatus.OPEN)
    sheet_url = reverse("printables:signup_sheet", args=[demo_buy.pk])
    bleader = browse(place.building_leader.user)
    one = print_and_check(bleader, sheet_url, screenshot="print-sign-up-sheet-zh-hans")
    assert one == 1  # one building's lobby sheet, with its QR, on one page
    assert bleader.page.locator(".share-qr svg").count() == 1
    assert print_and_check(bleader, sheet_url + "?lang=en", screenshot="print-sign-up-sheet-en") == 1
    leader.visit(reverse("home"))
    leader.switch_language()
    assert (
        print_and_check(
            leader, reverse("groupbuy:purchase_order", args=[demo_buy.pk]), screenshot="print-purchase-order-en"
        )
        == order
    )
    require_tool("zbarimg", "reading the printed sheet's QR code")
    printed_qr = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(SCREENSHOTS / "print-sign-up-sheet-zh-hans.png")],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    assert printed_qr.startswith(bleader.base), printed_qr  # the lobby's QR, at print size, opens the buy
    every = print_and_check(leader, sheet_url + "?building=all")
    assert every == BUILDINGS + 2  # one lobby sheet per building (the place's two and the demo's 38)
    record("sign_up_sheet", {"a4_pages_one_building": one, "a4_pages_all_buildings": every})
    record("purchase_order", {"a4_pages": order})
