"""Journey (c) of issue 15 in a phone-sized Chromium (390×844): the leader copies the 接龙 text (its numbered list
is the page's list), downloads the poster and its QR code decodes to the share link; an anonymous neighbour opens
that link and sees the public preview (no names, no rooms), with 我要接龙 leading to the login page."""

from __future__ import annotations

import re
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse

from groupbuy.factories import GroupBuyFactory, main_item, signup
from groupbuy.models import ShareLink
from tests.conftest import require_tool

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_leader_shares_a_buy_and_a_neighbour_opens_the_preview(place, browse, tmp_path):
    require_tool("zbarimg", "Debian zbar-tools decodes the poster's QR code")
    buy = GroupBuyFactory(
        community=place.community,
        leader=place.leader.user,
        title="蔬菜套餐 第5团",
        moq=Decimal("10"),
        drop_point="北门快递架",
    )
    item = main_item(buy)
    signup(buy, place.resident, 2)
    signup(buy, place.neighbour, 1)

    leader = browse(place.leader.user)
    leader.visit(reverse("groupbuy:buy_detail", args=[buy.pk]))
    text = leader.page.input_value("#share-text")
    numbered = [line for line in text.splitlines() if re.match(r"^\d+\. ", line)]
    listed = [
        re.sub(r"^#(\d+)\s+", r"\1. ", line.strip()) for line in leader.page.locator("ol.jl > li").all_inner_texts()
    ]
    assert numbered == listed
    assert len(numbered) == 2
    link = f"{leader.base}/s/{ShareLink.objects.get(buy=buy, revoked_at__isnull=True).token}/"
    assert link in text

    with leader.page.expect_download() as download:
        leader.page.click("#share-poster")
    path = tmp_path / "poster.png"
    download.value.save_as(path)
    decoded = subprocess.run(["zbarimg", "--raw", "-q", str(path)], capture_output=True, text=True, check=True)
    assert decoded.stdout.strip() == link
    leader.page.locator("#share").scroll_into_view_if_needed()
    leader.screenshots("share-panel")

    neighbour = browse()
    neighbour.visit(link.removeprefix(neighbour.base))
    shown = neighbour.text()
    assert "蔬菜套餐 第5团" in shown
    assert "北门快递架" in shown
    html = neighbour.page.content()
    for member in (place.resident, place.neighbour):
        assert member.user.display_name not in html
        assert member.user.phone not in html
        assert f"{place.building.label}-{member.household.room}" not in html
    assert neighbour.page.input_value(f"input[name=item{item.pk}]") == "1"
    neighbour.screenshots("share-preview")
    neighbour.page.fill(f"input[name=item{item.pk}]", "2")
    with neighbour.page.expect_navigation():
        neighbour.page.locator("#signup button").click()
    assert neighbour.page.url.startswith(f"{neighbour.base}{reverse('accounts:login')}")
    assert "next=" in neighbour.page.url
