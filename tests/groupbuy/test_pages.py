"""Resident pages: the buy list, the buy page with the public 接龙 list, join / change / withdraw,
proxy ordering and my orders. Every refusal shows the service's coded message and changes nothing."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.factories import MembershipFactory
from accounts.models import Household, HouseholdMember
from groupbuy.factories import BuyItemFactory, GroupBuyFactory, buy_state, main_item, signup
from groupbuy.models import BuyStatus, Entry, EntryLine, EntryStatus, GroupBuy, MoqKind
from groupbuy.services.share import share_link_get_or_create


@pytest.fixture
def buy(place):
    return GroupBuyFactory(
        community=place.community,
        leader=place.leader.user,
        title="蔬菜套餐 第1团",
        moq=Decimal("10"),
        household_limit=5,
        item__cap=20,
    )


def detail_url(buy):
    return reverse("groupbuy:buy_detail", args=[buy.pk])


def join(client, buy, quantity, **extra):
    data = {f"q_{main_item(buy).pk}": quantity, "note": "", **extra}
    return client.post(reverse("groupbuy:buy_join", args=[buy.pk]), data)


def page_text(response):
    return response.content.decode()


# --- the buy list ----------------------------------------------------------------------------------------------


def test_buy_list_shows_price_markup_progress_and_placeholder(place, other_place, web, buy):
    GroupBuyFactory(community=other_place.community, leader=other_place.leader.user, title="别的小区的团")
    signup(buy, place.neighbour, 3)
    response = web(place.resident.user).get(reverse("groupbuy:buy_list"))
    assert response.status_code == 200
    text = page_text(response)
    assert "蔬菜套餐 第1团" in text
    assert "别的小区的团" not in text
    assert "¥59.00" in text  # price to residents
    for shown in ("¥50.00", "¥9.00", "(18%)"):  # supplier cost and markup, honestly
        assert shown in text
    assert "7 份 (portions) more to form" in text  # an English page names the unit
    assert "(minimum order, main item)" in text
    assert "no photo yet" in text
    assert "Closes in" in text


def test_buy_list_says_when_the_minimum_counts_yuan(place, web):
    GroupBuyFactory(community=place.community, leader=place.leader.user, moq_kind=MoqKind.AMOUNT, moq=Decimal("500"))
    text = page_text(web(place.resident.user).get(reverse("groupbuy:buy_list")))
    assert "¥500.00 more to form" in text
    assert "counted as total amount in yuan" in text


def test_charity_buy_is_shown_without_markup(place, web):
    GroupBuyFactory(
        community=place.community,
        leader=place.leader.user,
        kind="charity",
        item__offer__unit_price=Decimal("30.00"),
        item__offer__supplier_cost=Decimal("30.00"),
    )
    text = page_text(web(place.resident.user).get(reverse("groupbuy:buy_list")))
    assert "no markup" in text


def test_buy_list_of_a_community_one_is_not_in_is_refused(place, other_place, web):
    response = web(place.resident.user).get(reverse("groupbuy:buy_list"), {"community": other_place.community.pk})
    assert response.status_code == 403
    assert 'data-code="wrong_community"' in page_text(response)


def test_buy_list_needs_login(client):
    response = client.get(reverse("groupbuy:buy_list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_buy_list_query_count_does_not_grow_with_buys(place, web, django_assert_max_num_queries):
    for n in range(25):
        buy = GroupBuyFactory(community=place.community, leader=place.leader.user, title=f"团{n}")
        BuyItemFactory(buy=buy)
    client = web(place.resident.user)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("groupbuy:buy_list"))
    assert page_text(response).count('class="card buy-card"') == 25


# --- the buy page and the public list ----------------------------------------------------------------------------


def test_buy_page_shows_masked_public_list_and_never_phones(place, web, buy):
    signup(buy, place.resident, 2)
    signup(buy, place.neighbour, 1)
    response = web(place.neighbour.user).get(detail_url(buy))
    text = page_text(response)
    assert response.status_code == 200
    assert "#1</span> 12-301 王** ×2" in text
    assert "#2</span> 12-302 王** ×1" in text
    assert "王resident" not in text
    for m in (place.resident, place.neighbour):
        assert m.user.phone not in text


def test_buy_page_query_count_with_500_entries(place, web, buy, django_assert_max_num_queries):
    """Issue 7: the buy page stays within 8 queries however long the list is."""
    item = main_item(buy)
    building = place.other_building
    households = Household.objects.bulk_create(
        [Household(community=place.community, building=building, room=str(1000 + n)) for n in range(500)]
    )
    entries = Entry.objects.bulk_create(
        [
            Entry(buy=buy, household=h, seq=n + 1, placed_by=place.building_leader.user, display_name=f"李{n}", units=1)
            for n, h in enumerate(households)
        ]
    )
    EntryLine.objects.bulk_create([EntryLine(entry=e, item=item, quantity=1) for e in entries])
    GroupBuy.objects.filter(pk=buy.pk).update(last_seq=500, entry_count=500, total_units=500, main_units=500)
    client = web(place.resident.user)
    share_link_get_or_create(buy=buy)  # a shared buy: the page reads its token with the buy (no query)
    with django_assert_max_num_queries(8):
        response = client.get(detail_url(buy))
    text = page_text(response)
    assert "#500</span> 3-1499 李** ×1" in text
    assert text.count('class="seq"') == 500


def test_buy_page_query_count_with_several_items_and_a_long_list(place, web, buy, django_assert_max_num_queries):
    first = main_item(buy)
    second = BuyItemFactory(buy=buy, offer__title="鸡蛋")
    households = Household.objects.bulk_create(
        [Household(community=place.community, building=place.other_building, room=str(2000 + n)) for n in range(200)]
    )
    entries = Entry.objects.bulk_create(
        [
            Entry(buy=buy, household=h, seq=n + 1, placed_by=place.building_leader.user, display_name=f"赵{n}", units=3)
            for n, h in enumerate(households)
        ]
    )
    EntryLine.objects.bulk_create(
        [EntryLine(entry=e, item=first, quantity=1) for e in entries]
        + [EntryLine(entry=e, item=second, quantity=2) for e in entries]
    )
    client = web(place.resident.user)
    share_link_get_or_create(buy=buy)  # a shared buy: the page reads its token with the buy (no query)
    with django_assert_max_num_queries(8):
        response = client.get(detail_url(buy))
    text = page_text(response)
    assert f"#200</span> 3-2199 赵** {first.offer.title} ×1, 鸡蛋 ×2" in text


def test_buy_of_another_community_is_refused_with_a_code(place, other_place, web):
    foreign = GroupBuyFactory(community=other_place.community, leader=other_place.leader.user)
    before = buy_state(foreign)
    client = web(place.resident.user)
    response = client.get(detail_url(foreign))
    assert response.status_code == 403
    assert 'data-code="wrong_community"' in page_text(response)
    response = join(client, foreign, 1)
    assert response.status_code == 403
    assert buy_state(foreign) == before


def test_missing_buy_is_404_with_a_code(place, web):
    response = web(place.resident.user).get(reverse("groupbuy:buy_detail", args=[999999]))
    assert response.status_code == 404
    assert 'data-code="not_found"' in page_text(response)


# --- join / change / withdraw -------------------------------------------------------------------------------------


def test_resident_joins_and_sees_their_number(place, web, buy):
    client = web(place.resident.user)
    response = join(client, buy, "2", note="放门口")
    assert response.status_code == 302
    entry = Entry.objects.get(buy=buy)
    assert (entry.seq, entry.units, entry.household_id, entry.note) == (1, 2, place.resident.household_id, "放门口")
    buy.refresh_from_db()
    assert (buy.total_units, buy.entry_count) == (2, 1)
    text = page_text(client.get(detail_url(buy)))
    assert "You are #1 in the list" in text


def test_full_width_digits_from_a_chinese_keyboard_are_understood(place, web, buy):
    assert join(web(place.resident.user), buy, "２").status_code == 302
    assert Entry.objects.get(buy=buy).units == 2


def test_the_same_form_sent_twice_makes_one_entry(place, web, buy):
    client = web(place.resident.user)
    assert join(client, buy, "2", idempotency_key="form-abc").status_code == 302
    assert join(client, buy, "2", idempotency_key="form-abc").status_code == 302
    assert Entry.objects.filter(buy=buy).count() == 1
    buy.refresh_from_db()
    assert buy.total_units == 2


def test_an_idempotency_key_over_64_characters_is_refused_as_the_api_refuses_it(place, web, buy, api):
    before = buy_state(buy)
    response = join(web(place.resident.user), buy, "2", idempotency_key="k" * 65)
    assert response.status_code == 400
    assert buy_state(buy) == before
    assert not Entry.objects.filter(buy=buy).exists()
    item = buy.items.get().pk
    refused = api(place.resident.user).post(
        reverse("api-buy-entries", args=[buy.pk]),
        {"quantities": {str(item): 2}},
        format="json",
        headers={"Idempotency-Key": "k" * 65},
    )
    assert (refused.status_code, refused.json()["code"]) == (400, "invalid")
    assert buy_state(buy) == before


@pytest.mark.parametrize("typed", ["0", "-1", "1.5", "abc", "99999999", ""])
def test_bad_quantities_are_refused_and_keep_what_was_typed(place, web, buy, typed):
    before = buy_state(buy)
    response = join(web(place.resident.user), buy, typed)
    assert response.status_code == 400
    text = page_text(response)
    assert 'data-code="invalid_quantity"' in text
    assert "Quantities must be whole numbers" in text
    if typed:
        assert f'value="{typed}"' in text
    assert buy_state(buy) == before


def test_over_household_limit_is_refused(place, web, buy):
    before = buy_state(buy)
    response = join(web(place.resident.user), buy, "6")
    assert response.status_code == 400
    text = page_text(response)
    assert 'data-code="over_household_limit"' in text
    assert "at most 5 units" in text
    assert 'value="6"' in text
    assert buy_state(buy) == before


def test_over_cap_is_refused(place, web, buy):
    GroupBuy.objects.filter(pk=buy.pk).update(household_limit=None)
    buy.refresh_from_db()
    signup(buy, place.neighbour, 18)
    before = buy_state(buy)
    response = join(web(place.resident.user), buy, "3")
    assert response.status_code == 409
    assert 'data-code="over_cap"' in page_text(response)
    assert buy_state(buy) == before


def test_join_after_the_deadline_is_refused(place, web, buy):
    GroupBuy.objects.filter(pk=buy.pk).update(deadline=timezone.now() - datetime.timedelta(minutes=1))
    before = buy_state(buy)
    response = join(web(place.resident.user), buy, "1")
    assert response.status_code == 409
    assert 'data-code="deadline_passed"' in page_text(response)
    assert buy_state(buy) == before


@pytest.mark.parametrize("status", [BuyStatus.CLOSED, BuyStatus.FAILED, BuyStatus.CANCELLED])
def test_join_on_an_ended_buy_is_refused_and_no_form_is_shown(place, web, buy, status):
    GroupBuy.objects.filter(pk=buy.pk).update(status=status)
    client = web(place.resident.user)
    text = page_text(client.get(detail_url(buy)))
    assert "no longer takes sign-ups" in text
    assert reverse("groupbuy:buy_join", args=[buy.pk]) not in text
    before = buy_state(buy)
    response = join(client, buy, "1")
    assert response.status_code == 409
    assert 'data-code="group_buy_closed"' in page_text(response)
    assert buy_state(buy) == before


def test_joining_twice_is_refused(place, web, buy):
    client = web(place.resident.user)
    join(client, buy, "1")
    before = buy_state(buy)
    response = join(client, buy, "1")
    assert response.status_code == 409
    assert buy_state(buy) == before


def test_change_quantity_and_withdraw(place, web, buy):
    entry = signup(buy, place.resident, 2)
    client = web(place.resident.user)
    url = reverse("groupbuy:entry_change", args=[buy.pk, entry.pk])
    assert client.post(url, {f"q_{main_item(buy).pk}": "4"}).status_code == 302
    entry.refresh_from_db()
    buy.refresh_from_db()
    assert (entry.units, buy.total_units) == (4, 4)
    text = page_text(client.get(detail_url(buy)))
    assert f'name="q_{main_item(buy).pk}" value="4"' in text

    response = client.post(reverse("groupbuy:entry_withdraw", args=[buy.pk, entry.pk]), {"confirm": "yes"})
    assert response.status_code == 302
    entry.refresh_from_db()
    buy.refresh_from_db()
    assert entry.status == EntryStatus.WITHDRAWN
    assert (buy.total_units, buy.entry_count, buy.last_seq) == (0, 0, 1)


def test_change_with_a_bad_quantity_keeps_the_typed_value(place, web, buy):
    entry = signup(buy, place.resident, 2)
    before = buy_state(buy)
    response = web(place.resident.user).post(
        reverse("groupbuy:entry_change", args=[buy.pk, entry.pk]), {f"q_{main_item(buy).pk}": "7"}
    )
    assert response.status_code == 400
    text = page_text(response)
    assert 'data-code="over_household_limit"' in text
    assert 'value="7"' in text
    assert buy_state(buy) == before


def test_a_refused_change_from_my_orders_goes_back_there_with_the_message(place, web, buy):
    entry = signup(buy, place.resident, 2)
    before = buy_state(buy)
    client = web(place.resident.user)
    response = client.post(
        reverse("groupbuy:entry_change", args=[buy.pk, entry.pk]), {f"q_{main_item(buy).pk}": "7", "next": "mine"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("groupbuy:my_entries")
    assert "A household may take at most" in page_text(client.get(reverse("groupbuy:my_entries")))
    assert buy_state(buy) == before


def test_a_neighbour_cannot_change_or_withdraw_someone_elses_entry(place, web, buy):
    entry = signup(buy, place.resident, 2)
    before = buy_state(buy)
    client = web(place.neighbour.user)
    response = client.post(reverse("groupbuy:entry_change", args=[buy.pk, entry.pk]), {f"q_{main_item(buy).pk}": "1"})
    assert response.status_code == 403
    assert 'data-code="not_your_entry"' in page_text(response)
    response = client.post(reverse("groupbuy:entry_withdraw", args=[buy.pk, entry.pk]), {"confirm": "yes"})
    assert response.status_code == 403
    assert 'data-code="not_your_entry"' in page_text(response)
    assert buy_state(buy) == before


def test_my_orders_lists_own_and_proxy_entries(place, web, buy):
    signup(buy, place.resident, 2)
    text = page_text(web(place.resident.user).get(reverse("groupbuy:my_entries")))
    for shown in (buy.title, "#1 12-301 王**", "¥118.00"):
        assert shown in text


# --- proxy ordering -------------------------------------------------------------------------------------------------


def test_building_leader_signs_up_an_elderly_neighbour(place, web, buy):
    household = place.neighbour.household
    grandma = HouseholdMember.objects.create(household=household, name="张奶奶", phone="")
    client = web(place.building_leader.user)
    url = reverse("groupbuy:proxy_signup", args=[buy.pk])
    text = page_text(client.get(url, {"label": " １２－３０２ "}))
    assert "张奶奶" in text
    response = client.post(
        url,
        {
            "label": "12-302",
            "placed_for": grandma.pk,
            f"q_{main_item(buy).pk}": "2",
            "note": "",
            "idempotency_key": "k1",
        },
    )
    assert response.status_code == 302
    entry = Entry.objects.get(buy=buy)
    assert (entry.household_id, entry.placed_by_id, entry.placed_for_id) == (
        household.pk,
        place.building_leader.user.pk,
        grandma.pk,
    )
    text = page_text(client.get(detail_url(buy)))
    assert "12-302 张**" in text


def test_a_resident_cannot_order_for_another_household(place, web, buy):
    before = buy_state(buy)
    client = web(place.resident.user)
    url = reverse("groupbuy:proxy_signup", args=[buy.pk])
    assert client.get(url).status_code == 403
    response = client.post(url, {"label": "12-302", f"q_{main_item(buy).pk}": "1"})
    assert response.status_code == 403
    assert 'data-code="forbidden"' in page_text(response)
    assert buy_state(buy) == before


@pytest.mark.parametrize("label", ["99-999", "12", "abc"])
def test_proxy_ordering_refuses_an_unknown_household(place, web, buy, label):
    before = buy_state(buy)
    response = web(place.building_leader.user).post(
        reverse("groupbuy:proxy_signup", args=[buy.pk]), {"label": label, f"q_{main_item(buy).pk}": "1"}
    )
    assert response.status_code == 400
    assert "There is no such household in this community." in page_text(response)
    assert f'value="{label}"' in page_text(response)
    assert buy_state(buy) == before


def test_proxy_ordering_cannot_reach_a_household_of_another_community(place, other_place, web, buy):
    """Both compounds have a 12-301: the label always means this buy's community."""
    response = web(place.building_leader.user).post(
        reverse("groupbuy:proxy_signup", args=[buy.pk]), {"label": "12-301", f"q_{main_item(buy).pk}": "1"}
    )
    assert response.status_code == 302
    entry = Entry.objects.get(buy=buy)
    assert entry.household_id == place.resident.household_id
    assert not Entry.objects.filter(household=other_place.resident.household).exists()


def test_withdraw_from_my_orders(place, web, buy):
    entry = signup(buy, place.resident, 1)
    client = web(place.resident.user)
    url = reverse("groupbuy:entry_withdraw", args=[buy.pk, entry.pk])
    assert url in page_text(client.get(reverse("groupbuy:my_entries")))
    response = client.post(url, {"next": "mine", "confirm": "yes"})
    assert response["Location"] == reverse("groupbuy:my_entries")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.WITHDRAWN
    assert url not in page_text(client.get(reverse("groupbuy:my_entries")))


def test_my_orders_query_count(place, web, django_assert_max_num_queries):
    for _ in range(15):
        signup(GroupBuyFactory(community=place.community, leader=place.leader.user), place.resident, 1)
    client = web(place.resident.user)
    with django_assert_max_num_queries(9):  # pinned exactly in tests/settlement/test_hub_page.py
        response = client.get(reverse("groupbuy:my_entries"))
    assert page_text(response).count('<article class="card order"') == 15


def test_someone_in_two_communities_switches_between_them(place, other_place, web, buy):
    MembershipFactory(user=place.resident.user, household=other_place.neighbour.household)
    theirs = GroupBuyFactory(community=other_place.community, leader=other_place.leader.user, title="B小区的团")
    client = web(place.resident.user)
    text = page_text(client.get(reverse("groupbuy:buy_list")))
    assert buy.title in text
    assert f'href="?community={other_place.community.pk}"' in text
    text = page_text(client.get(reverse("groupbuy:buy_list"), {"community": other_place.community.pk}))
    assert theirs.title in text
    assert buy.title not in text


def test_staff_without_the_resident_role_get_no_join_form_and_are_refused(place, web, buy):
    client = web(place.gate_guard.user)
    assert reverse("groupbuy:buy_join", args=[buy.pk]) not in page_text(client.get(detail_url(buy)))
    before = buy_state(buy)
    response = join(client, buy, "1")
    assert response.status_code == 403
    assert 'data-code="forbidden"' in page_text(response)
    assert buy_state(buy) == before


def test_pack_size_items_take_a_tolerance_to_fill_a_pack(place, web, buy):
    eggs = BuyItemFactory(buy=buy, offer__title="鸡蛋", offer__pack_size=6)
    client = web(place.resident.user)
    text = page_text(client.get(detail_url(buy)))
    assert f'name="t_{eggs.pk}"' in text
    assert f'name="t_{main_item(buy).pk}"' not in text  # no packs, no tolerance box
    before = buy_state(buy)
    response = client.post(
        reverse("groupbuy:buy_join", args=[buy.pk]), {f"q_{eggs.pk}": "4", f"t_{eggs.pk}": "9", "note": ""}
    )
    assert response.status_code == 400
    assert 'value="9"' in page_text(response)
    assert "between 0 and the pack size" in page_text(response)
    assert buy_state(buy) == before
    response = client.post(
        reverse("groupbuy:buy_join", args=[buy.pk]), {f"q_{eggs.pk}": "4", f"t_{eggs.pk}": "2", "note": ""}
    )
    assert response.status_code == 302
    line = EntryLine.objects.get(entry__buy=buy)
    assert (line.item_id, line.quantity, line.tolerance) == (eggs.pk, 4, 2)
