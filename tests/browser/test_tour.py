"""A tour of the other pages each role opens, in Chinese and in English, through the same checks as the
journeys (contrast, 200% text, tap targets, nothing from other sites)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from groupbuy.factories import GroupBuyFactory, signup
from tests.browser.helpers import close_buy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pages_for(place, open_buy, closed_buy):
    community = place.community.pk
    return {
        place.resident: [
            reverse("home"),
            reverse("groupbuy:buy_list"),
            reverse("groupbuy:my_entries"),
            reverse("accounts:notifications"),
            reverse("groupbuy:buy_detail", args=[closed_buy.pk]),
            reverse("settlement:report", args=[closed_buy.entries.get(household=place.resident.household).pk]),
            reverse("compliance:index"),
            reverse("accounts:password_change"),
        ],
        place.leader: [
            reverse("groupbuy:buy_list"),
            reverse("groupbuy:buy_create") + f"?community={community}",
            reverse("groupbuy:supplier_list") + f"?community={community}",
            reverse("groupbuy:dashboard", args=[open_buy.pk]),
            reverse("groupbuy:purchase_order", args=[closed_buy.pk]),
            reverse("settlement:reconcile", args=[closed_buy.pk]),
            reverse("settlement:donations", args=[closed_buy.pk]),
            reverse("settlement:price_change_new", args=[closed_buy.pk]),
            reverse("settlement:arrivals", args=[closed_buy.pk]),
            reverse("compliance:filing_create", args=[closed_buy.pk]),
            reverse("groupbuy:board"),
        ],
        place.committee: [
            reverse("compliance:community", args=[community]),
            reverse("compliance:queue", args=[community]),
            reverse("compliance:policy", args=[community]),
            reverse("compliance:suspensions", args=[community]),
            reverse("compliance:audit", args=[community]),
            reverse("accounts:members", args=[community]),
            reverse("accounts:invites", args=[community]),
            reverse("accounts:vulnerable", args=[community]),
        ],
        place.building_leader: [
            reverse("groupbuy:proxy_signup", args=[open_buy.pk]) + "?label=12-302",
            reverse("accounts:join_requests", args=[community]),
            reverse("accounts:household_members", args=[community]),
        ],
    }


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_every_role_page_reads_well(place, browse, lang):
    open_buy = GroupBuyFactory(community=place.community, leader=place.leader.user, title="鸡蛋团", moq=Decimal("9"))
    signup(open_buy, place.neighbour, 2)
    closed_buy = GroupBuyFactory(community=place.community, leader=place.leader.user, title="蔬菜团", moq=Decimal("3"))
    signup(closed_buy, place.resident, 2)
    signup(closed_buy, place.neighbour, 1)
    close_buy(closed_buy)
    for membership, paths in pages_for(place, open_buy, closed_buy).items():
        browser = browse(membership.user)
        browser.context.add_cookies([{"name": "django_language", "value": lang, "url": browser.base}])
        for path in paths:
            browser.visit(path)
            assert browser.page.locator("html").get_attribute("lang") == lang
