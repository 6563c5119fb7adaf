"""Printables (sign-up sheet per building, pick list packed or per building) and the charts page: who may see
them, what they show, and that they stay a fixed number of queries. A4 layout is checked in the browser tests."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.factories import HouseholdFactory, MembershipFactory, UserFactory
from accounts.models import Household
from groupbuy.factories import GroupBuyFactory, main_item, signup
from groupbuy.models import BuyStatus, Entry, EntryLine, GroupBuy
from groupbuy.services.buys import group_buy_close
from groupbuy.services.share import share_link_get_or_create
from settlement.services.distribution import pickup_codes_issue


@pytest.fixture
def buy(place):
    buy = GroupBuyFactory(
        community=place.community,
        leader=place.leader.user,
        title="蔬菜套餐 第3团",
        moq=Decimal("5"),
        drop_point="南门",
        household_limit=4,
    )
    item = main_item(buy)
    item.offer.title = "青菜 2斤"
    item.offer.save(update_fields=["title"])
    return buy


def sheet_url(buy, **params):
    url = reverse("printables:signup_sheet", args=[buy.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def test_building_leader_prints_their_buildings_sign_up_sheet(place, web, buy):
    signup(buy, place.resident, 2)
    signup(buy, place.leader, 1)
    response = web(place.building_leader.user).get(sheet_url(buy, lang="en"))  # Chinese unless asked
    assert response.status_code == 200
    text = response.content.decode()
    assert text.count('class="sheet"') == 1  # their own building only
    assert "Building 12" in text
    assert "青菜 2斤" in text
    assert "¥59.00" in text
    assert timezone.localtime(buy.deadline).strftime("%Y-%m-%d %H:%M") in text
    assert "南门" in text
    assert "#1 12-301 王**" in text
    assert place.resident.user.phone not in text
    assert text.count('<td class="blank"></td>') == 18 * 3  # room, name and one item column per blank line
    assert "@page{size:A4" in text
    assert 'class="topbar"' not in text  # no site navigation on paper


def test_sign_up_sheet_for_all_buildings_and_a_chosen_line_count(place, web, buy):
    response = web(place.leader.user).get(sheet_url(buy, building="all", lines=5))
    text = response.content.decode()
    assert text.count('class="sheet"') == 2
    assert text.count('<td class="blank"></td>') == 2 * 5 * 3
    response = web(place.leader.user).get(sheet_url(buy, building=place.other_building.pk, lines="lots"))
    text = response.content.decode()
    assert text.count('class="sheet"') == 1
    assert text.count('<td class="blank"></td>') == 18 * 3


def test_a_resident_cannot_print_sign_up_sheets_or_pick_lists(place, web, buy):
    client = web(place.resident.user)
    assert client.get(sheet_url(buy)).status_code == 403
    assert client.get(reverse("printables:pick_list", args=[buy.pk])).status_code == 403


def test_printables_of_another_community_are_refused(place, other_place, web, buy):
    client = web(other_place.building_leader.user)
    assert client.get(sheet_url(buy)).status_code == 403
    assert client.get(reverse("printables:pick_list", args=[buy.pk])).status_code == 404
    assert client.get(reverse("printables:stats", args=[buy.pk])).status_code == 403


def test_sign_up_sheet_query_count_does_not_grow_with_the_list(place, web, buy, django_assert_max_num_queries):
    item = main_item(buy)
    households = Household.objects.bulk_create(
        [Household(community=place.community, building=place.building, room=str(1000 + n)) for n in range(300)]
    )
    entries = Entry.objects.bulk_create(
        [
            Entry(buy=buy, household=h, seq=n + 1, placed_by=place.building_leader.user, display_name=f"李{n}", units=1)
            for n, h in enumerate(households)
        ]
    )
    EntryLine.objects.bulk_create([EntryLine(entry=e, item=item, quantity=1) for e in entries])
    client = web(place.building_leader.user)
    share_link_get_or_create(buy=buy)  # the sheet's QR reads the live share link: one query
    with django_assert_max_num_queries(11):
        response = client.get(sheet_url(buy))
    assert response.content.decode().count("李**") == 300


def closed_with_pickups(place, buy):
    far = HouseholdFactory(community=place.community, building=place.other_building, room="101")

    far_member = MembershipFactory(user=UserFactory(), household=far, community=place.community)
    signup(buy, place.resident, 2, note="")
    signup(buy, place.neighbour, 1)
    signup(buy, far_member, 2)
    group_buy_close(buy_id=buy.pk)
    GroupBuy.objects.filter(pk=buy.pk).update(status=BuyStatus.RELEASED)
    buy.refresh_from_db()
    pickup_codes_issue(actor=place.leader.user, buy=buy)
    return far


def test_pick_list_print_packs_buildings_with_rooms_and_ticks(place, web, buy):
    closed_with_pickups(place, buy)
    response = web(place.receiving_volunteer.user).get(reverse("printables:pick_list", args=[buy.pk]))
    text = response.content.decode()
    assert response.status_code == 200
    assert text.count('class="block"') == 2  # one block per building, packed onto pages
    assert 'class="sheet"' not in text
    assert "2 buildings" in text
    assert "Building 3" in text
    assert "Building 12" in text
    assert "青菜 2斤 × 2" in text
    assert text.count("☐") == 3
    assert 'class="topbar"' not in text
    assert "per_building=1" in text  # the link to one page per building


def test_pick_list_print_one_sheet_per_building_on_request(place, web, buy):
    closed_with_pickups(place, buy)
    url = reverse("printables:pick_list", args=[buy.pk])
    text = web(place.receiving_volunteer.user).get(url + "?per_building=1").content.decode()
    assert text.count('class="sheet"') == 2
    assert 'class="block"' not in text
    assert text.count("☐") == 3
    assert 'href="?"' in text  # back to the packed layout
    text = web(place.receiving_volunteer.user).get(url + "?per_building=yes").content.decode()
    assert 'class="sheet"' not in text  # only 1 asks for it; anything else is the default


def test_building_leader_pick_list_print_starts_with_their_building(place, web, buy):
    closed_with_pickups(place, buy)
    text = web(place.building_leader.user).get(reverse("printables:pick_list", args=[buy.pk])).content.decode()
    assert text.count('class="block"') == 1
    assert "101" not in text.split("<tbody>")[1]


def test_pick_list_print_before_close_says_what_happens_next(place, web, buy):
    text = web(place.leader.user).get(reverse("printables:pick_list", args=[buy.pk])).content.decode()
    assert 'class="sheet"' not in text
    assert "once the buy has closed" in text


def test_stats_page_draws_both_charts_inline(place, web, buy, django_assert_max_num_queries):
    closed_with_pickups(place, buy)
    client = web(place.resident.user)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("printables:stats", args=[buy.pk]))
    text = response.content.decode()
    assert response.status_code == 200
    assert text.count("<svg") == 2
    assert "<polyline" in text
    assert "5 of 5" in text
    assert "0/2" in text
    assert "0/1" in text
    # The charts need no script: the only one is the site-wide service worker registration (base.html).
    assert text.count("<script") == text.count('<script src="/static/js/sw-register.js"') == 1


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"

    with translation.override("en"):
        yield


def test_stats_page_of_a_buy_nobody_joined_yet(place, web, buy):
    GroupBuy.objects.filter(pk=buy.pk).update(opened_at=timezone.now() - datetime.timedelta(hours=2))
    text = web(place.resident.user).get(reverse("printables:stats", args=[buy.pk])).content.decode()
    assert "0 of 5" in text
    assert "Nothing to hand out yet" in text
