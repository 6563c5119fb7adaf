"""我的订单 as the resident's hub in a phone-sized Chromium (issue 15, item 5): the card of an unpaid entry with its
pay button, a released one with its pickup code and a QR that scans to the hand-out page, after-sales, in Chinese
and English at 390×844, with the contrast, tap-target and 200%-text checks of every browser test."""

from __future__ import annotations

import pytest
from django.urls import reverse

from groupbuy.factories import GroupBuyFactory, signup
from groupbuy.models import BuyStatus, GroupBuy
from groupbuy.services.signup import signup_withdraw
from settlement.models import PickupCode
from settlement.services.after_sales import after_sales_report
from settlement.services.distribution import pickup_codes_issue, pickup_hand_over
from settlement.services.payments import payment_confirm, payment_mark
from tests.browser.steps_hub import card_selector, open_card, pickup_code_shown
from tests.settlement.conftest import ClosedBuy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT_WIDTH = 390


def hub_of_every_kind(place) -> dict:
    """The resident's entries: one to pay, one paid and released (with a pickup code), one picked up and
    reported, one left."""
    leader = place.leader.user
    to_pay = signup(
        GroupBuyFactory(community=place.community, leader=leader, title="蔬菜套餐 第3团 Seasonal vegetables box"),
        place.resident,
        2,
    )
    released = ClosedBuy(place)
    entry = released.resident_entry
    payment_mark(actor=place.resident.user, entry=entry, amount="197", method="wechat")
    payment_confirm(actor=leader, entry=entry)
    pickup_codes_issue(actor=leader, buy=released.buy)
    released.set_status(BuyStatus.RELEASED)

    reported = ClosedBuy(place)
    payment_mark(actor=place.resident.user, entry=reported.resident_entry, amount="197", method="wechat")
    payment_confirm(actor=leader, entry=reported.resident_entry)
    pickup_codes_issue(actor=leader, buy=reported.buy)
    reported.set_status(BuyStatus.RELEASED)
    code = PickupCode.objects.get(entry=reported.resident_entry).code
    pickup_hand_over(actor=leader, buy=reported.buy, code=code)
    GroupBuy.objects.filter(pk=reported.buy.pk).update(status=BuyStatus.COMPLETED)
    after_sales_report(
        actor=place.resident.user,
        entry=reported.refresh().resident_entry,
        kind="damaged",
        description="two eggs broken",
        item_id=reported.extra.pk,
    )

    left = signup(GroupBuyFactory(community=place.community, leader=leader, title="水果 第1团"), place.resident, 1)
    signup_withdraw(actor=place.resident.user, entry=left)
    return {"to_pay": to_pay, "released": entry, "reported": reported.resident_entry, "left": left}


def cards_fit(browser) -> None:
    """No card is wider than the phone."""
    rights = browser.page.evaluate(
        "() => [...document.querySelectorAll('article.order')].map((a) => a.getBoundingClientRect().right)"
    )
    assert rights
    assert max(rights) <= VIEWPORT_WIDTH


def test_the_hub_shows_what_to_pay_the_pickup_code_and_after_sales(place, browse):
    entries = hub_of_every_kind(place)
    me = browse(place.resident.user)
    me.visit(reverse("home"))

    # 待付款 opens first: the unpaid entry, its amount and the pay button, one tap from anywhere.
    steps = open_card(me, entries["to_pay"])
    assert steps == {"taps": 1, "fields": 0, "tab": "pay"}
    card = me.page.locator(card_selector(entries["to_pay"]))
    assert card.locator("[data-action=pay]").get_attribute("href") == reverse(
        "settlement:pay", args=[entries["to_pay"].pk]
    )
    assert card.locator("[data-pay]").get_attribute("data-pay") == "to_pay"
    cards_fit(me)
    me.screenshots("hub-pay")

    # 待收货: the released entry shows its code and a QR that scans to the hand-out page with it.
    code = pickup_code_shown(me, entries["released"])
    assert code == PickupCode.objects.get(entry=entries["released"]).code
    card = me.page.locator(card_selector(entries["released"]))
    assert card.locator("[data-pay]").get_attribute("data-pay") == "confirmed"
    assert not card.locator("[data-action=pay]").count()
    cards_fit(me)
    me.screenshots("hub-receive")

    # 售后: the open report on the picked-up entry, and no code any more.
    assert pickup_code_shown(me, entries["reported"]) == ""
    card = me.page.locator(card_selector(entries["reported"]))
    assert card.locator("[data-report]").get_attribute("data-report") == "open"
    assert card.locator("[data-delivery]").get_attribute("data-delivery") == "picked_up"
    cards_fit(me)
    me.screenshots("hub-after")

    # 已完成: the entry the resident left.
    steps = open_card(me, entries["left"])
    assert steps["tab"] == "done"
    cards_fit(me)


def test_a_neighbour_never_sees_the_residents_card_or_code(place, browse):
    entries = hub_of_every_kind(place)
    code = PickupCode.objects.get(entry=entries["released"]).code
    them = browse(place.neighbour.user)
    for tab in ("pay", "receive", "done", "after"):
        them.visit(reverse("groupbuy:my_entries") + f"?tab={tab}&entry={entries['released'].pk}")
        assert code not in them.text()
        assert not them.page.locator(card_selector(entries["released"])).count()
