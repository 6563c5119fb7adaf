"""The buy page's live refresh (issue 17, item 1): every 30 s live.js asks with the page's ETag; an unchanged
page answers 304 and the page stays as it is (no reload); after someone signs up, the answer is the new page
and the browser reloads it, showing the new line."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from groupbuy.factories import GroupBuyFactory, signup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_live_refresh_is_a_304_until_the_list_changes(place, browse):
    buy = GroupBuyFactory(
        community=place.community, leader=place.leader.user, moq=Decimal("10"), household_limit=5, item__cap=20
    )
    browser = browse(place.resident.user)
    page = browser.page
    statuses: list[int] = []
    path = reverse("groupbuy:buy_detail", args=[buy.pk])
    page.on("response", lambda r: statuses.append(r.status) if r.url.endswith(path) else None)
    page.clock.install()
    browser.visit(path)
    page.evaluate("window.__notReloaded = true")

    page.clock.run_for(31_000)
    page.wait_for_function("() => true")
    page.wait_for_timeout(500)
    assert 304 in statuses
    assert page.evaluate("window.__notReloaded === true")  # unchanged: no reload

    signup(buy, place.neighbour, 2)
    with page.expect_navigation():
        page.clock.run_for(31_000)
    assert page.evaluate("window.__notReloaded === undefined")  # changed: reloaded
    assert "12-302" in browser.text()
