"""Printables on A4 in Chromium's print engine: buildings packed (or one per page on request), no navigation;
and the charts page passes the same contrast and reflow checks as the journeys."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.factories import HouseholdFactory, MembershipFactory, UserFactory
from groupbuy.factories import GroupBuyFactory, signup
from groupbuy.models import BuyStatus, GroupBuy
from tests.browser.conftest import SCREENSHOTS
from tests.browser.helpers import close_buy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

A4_POINTS = (595, 842)  # 210 x 297 mm


def pdf_pages(pdf: bytes) -> list[tuple[int, int]]:
    """Page sizes (points, rounded) of a PDF as Chromium writes it (uncompressed page dictionaries)."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    return [(round(float(w)), round(float(h))) for w, h in boxes]


@pytest.fixture
def closed_buy(place):
    from settlement.services.distribution import pickup_codes_issue

    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, title="蔬菜套餐", moq=Decimal("4"))
    far = HouseholdFactory(community=place.community, building=place.other_building, room="101")
    signup(buy, place.resident, 2)
    signup(buy, MembershipFactory(user=UserFactory(), household=far, community=place.community), 2)
    close_buy(buy)
    GroupBuy.objects.filter(pk=buy.pk).update(status=BuyStatus.RELEASED)
    buy.refresh_from_db()
    pickup_codes_issue(actor=place.leader.user, buy=buy)
    return buy


def test_pick_list_packs_buildings_on_a4_or_prints_one_per_page_without_navigation(place, browse, closed_buy):
    volunteer = browse(place.receiving_volunteer.user)
    volunteer.visit(reverse("printables:pick_list", args=[closed_buy.pk]) + "?per_building=1")
    volunteer.page.emulate_media(media="print")
    assert volunteer.page.locator(".toolbar").is_hidden()
    assert volunteer.page.locator(".topbar").count() == 0
    pdf = volunteer.page.pdf(prefer_css_page_size=True, print_background=True)
    assert pdf_pages(pdf) == [A4_POINTS, A4_POINTS]  # on request: two buildings, two A4 pages
    volunteer.page.emulate_media(media="screen")  # the page checks are for the screen
    volunteer.visit(reverse("printables:pick_list", args=[closed_buy.pk]))
    volunteer.page.emulate_media(media="print")
    pdf = volunteer.page.pdf(prefer_css_page_size=True, print_background=True)
    assert pdf_pages(pdf) == [A4_POINTS]  # by default both short buildings share a page
    volunteer.page.emulate_media(media="screen")
    volunteer.page.screenshot(path=str(SCREENSHOTS / "print-pick-list-zh-hans.png"), full_page=True)


def test_sign_up_sheet_prints_on_a4_with_blank_lines(place, browse, closed_buy):
    GroupBuy.objects.filter(pk=closed_buy.pk).update(status=BuyStatus.OPEN)
    bleader = browse(place.building_leader.user)
    bleader.visit(reverse("printables:signup_sheet", args=[closed_buy.pk]))
    assert bleader.page.locator("td.blank").count() == 18 * 3
    pdf = bleader.page.pdf(prefer_css_page_size=True)
    assert pdf_pages(pdf) == [A4_POINTS]
    # A building leader orders for their own building only, so "all" is still one building (issue 13 item 5);
    # the buy's leader orders for every household: one A4 page per building.
    bleader.visit(reverse("printables:signup_sheet", args=[closed_buy.pk]) + "?building=all")
    assert pdf_pages(bleader.page.pdf(prefer_css_page_size=True)) == [A4_POINTS]
    leader = browse(place.leader.user)
    leader.visit(reverse("printables:signup_sheet", args=[closed_buy.pk]) + "?building=all")
    assert pdf_pages(leader.page.pdf(prefer_css_page_size=True)) == [A4_POINTS, A4_POINTS]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    bleader.page.screenshot(path=str(SCREENSHOTS / "print-sign-up-sheet-zh-hans.png"), full_page=True)


def test_charts_page_reads_well_in_both_languages(place, browse, closed_buy):
    me = browse(place.resident.user)
    me.visit(reverse("printables:stats", args=[closed_buy.pk]))
    assert me.page.locator("svg polyline").count() == 1
    assert me.page.locator("svg rect").count() == 4  # two buildings: track and fill each
    me.screenshots("charts")
