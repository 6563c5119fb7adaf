"""Reading pages without JavaScript, and proof that the page checks the journeys rely on can fail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from groupbuy.factories import GroupBuyFactory, main_item, signup
from groupbuy.models import Entry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reading_pages_and_joining_work_without_javascript(place, browse):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, title="鸡蛋团", moq=Decimal("10"))
    item = main_item(buy)
    signup(buy, place.neighbour, 4)
    me = browse(place.resident.user, javascript=False)

    me.visit(reverse("groupbuy:buy_list"))
    assert "鸡蛋团" in me.text()
    me.visit(reverse("groupbuy:buy_detail", args=[buy.pk]))
    assert "12-302 王**" in me.text()
    assert me.page.locator(".progress span").evaluate("e => e.getBoundingClientRect().width") > 0
    # Forms are plain HTML: joining needs no script.
    me.page.fill(f"#signup-form input[name=q_{item.pk}]", "2")
    me.submit("#signup-form .signup-bar")
    assert Entry.objects.get(buy=buy, household=place.resident.household).units == 2
    me.visit(reverse("groupbuy:my_entries"))
    assert "鸡蛋团" in me.text()
    me.visit(reverse("home"))
    me.visit(reverse("accounts:notifications"))
    me.visit(reverse("printables:stats", args=[buy.pk]))
    assert me.page.locator("svg polyline").count() == 1
    helper = browse(place.building_leader.user, javascript=False)
    helper.visit(reverse("printables:signup_sheet", args=[buy.pk]))
    assert helper.page.locator("td.blank").count() > 0


def _bare(browse):
    browser = browse()
    browser.page.goto(browser.base + reverse("accounts:login"))
    return browser


def test_the_contrast_check_catches_pale_text(browse):
    browser = _bare(browse)
    browser.page.set_content('<body style="background:#fff"><p style="color:#aaa">pale grey on white</p></body>')
    browser.check()
    assert len(browser.problems) == 1
    assert "contrast" in browser.problems[0]
    assert "pale grey" in browser.problems[0]
    browser.problems.clear()


def test_the_reflow_check_catches_a_page_wider_than_the_phone_at_200_percent(browse):
    browser = _bare(browse)
    browser.page.set_content('<body><div style="width:10rem">fits at double size</div></body>')
    browser.check()
    assert browser.problems == []  # 10rem fits a 390px phone even at double size...
    browser.page.set_content('<body><div style="width:30rem">too wide when text doubles</div></body>')
    browser.check()
    assert len(browser.problems) == 1
    assert "sideways" in browser.problems[0]
    browser.problems.clear()


def test_the_tap_target_check_catches_small_buttons_and_checkboxes(browse):
    browser = _bare(browse)
    browser.page.set_content(
        '<button style="font-size:12px;padding:2px">tiny</button><input type="checkbox" name="pick">'
        '<label style="display:block;min-height:48px"><input type="checkbox" name="ok"> big label</label>'
    )
    browser.check()
    assert [p.split(": ", 1)[1] for p in browser.problems if "tap target" in p] == [
        "button[] "
        + browser.page.evaluate(
            "() => { const r = document.querySelector('button').getBoundingClientRect();"
            " return Math.round(r.width) + 'x' + Math.round(r.height); }"
        ),
        "input[pick] 13x13",
    ]
    browser.problems.clear()


def test_requests_to_other_sites_are_blocked_and_reported(browse):
    browser = _bare(browse)
    browser.page.set_content('<img src="http://cdn.example.com/pixel.png" alt="">')
    browser.page.wait_for_load_state("load")
    assert browser.foreign == ["http://cdn.example.com/pixel.png"]
    browser.foreign.clear()
