"""Selectors: visibility rules and the shape of what pages and the API read."""

from decimal import Decimal

import pytest

from accounts.models import HouseholdMember
from core.errors import ApplicationError
from groupbuy import selectors
from groupbuy.factories import BuyItemFactory, GroupBuyFactory, main_item, signup
from groupbuy.models import BuyStatus, GroupBuy, OfferPhoto, PhotoStatus
from groupbuy.services.buys import group_buy_close
from groupbuy.services.signup import signup_create, signup_withdraw
from settlement.services.donations import donation_add


@pytest.fixture
def buy(place):
    return GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("10"))


def code_of(fn, **kwargs):
    with pytest.raises(ApplicationError) as info:
        fn(**kwargs)
    return info.value.code


def test_public_list_is_masked_and_has_no_contacts(place, buy):
    signup(buy, place.resident, 2)
    rows = selectors.signup_list(buy=selectors.buy_get(user=place.neighbour.user, buy_id=buy.pk))
    assert [(r.seq, r.identity, r.quantities) for r in rows] == [(1, "12-301 王**", {main_item(buy).pk: 2})]
    assert (rows[0].contact_name, rows[0].contact_phone) == ("", "")


def test_public_rows_are_plain_values_that_carry_no_contact(place, buy, django_assert_num_queries):
    """Issue 7: the public list is read as values (one query for a one-item buy), not as Entry models joined
    through household and building, so nothing on a public row leads to a phone."""
    entry = signup(buy, place.resident, 2)
    loaded = selectors.buy_get(user=place.neighbour.user, buy_id=buy.pk)
    with django_assert_num_queries(1):
        rows = selectors.signup_list(buy=loaded)
    (row,) = rows
    assert isinstance(row.entry, selectors.ListEntry)
    assert (row.entry.pk, row.entry.seq, row.entry.household_id, row.entry.units) == (
        entry.pk,
        1,
        place.resident.household_id,
        2,
    )
    household = place.resident.household
    assert (row.entry.household.pk, row.entry.household.building_id, row.entry.household.label) == (
        household.pk,
        household.building_id,
        "12-301",
    )
    assert not hasattr(row.entry, "placed_by")
    assert not hasattr(row.entry, "note")
    assert selectors.entry_get_live(buy=loaded, household_id=household.pk, rows=rows) is row.entry
    assert selectors.entry_get_live(buy=loaded, household_id=place.neighbour.household_id, rows=rows) is None


def test_public_rows_of_a_buy_with_several_items_list_them_in_item_order(place, buy, django_assert_num_queries):
    first = main_item(buy)
    second = BuyItemFactory(buy=buy, position=1)
    first.position = 0
    first.save(update_fields=["position"])
    signup_create(
        actor=place.resident.user,
        buy=buy,
        household=place.resident.household,
        quantities={second.pk: 3, first.pk: 1},
    )
    signup_create(actor=place.neighbour.user, buy=buy, household=place.neighbour.household, quantities={second.pk: 2})
    loaded = selectors.buy_get(user=place.neighbour.user, buy_id=buy.pk)
    with django_assert_num_queries(2):
        rows = selectors.signup_list(buy=loaded)
    assert [(r.seq, r.identity, [(item.pk, q) for item, q in r.lines]) for r in rows] == [
        (1, "12-301 王**", [(first.pk, 1), (second.pk, 3)]),
        (2, "12-302 王**", [(second.pk, 2)]),
    ]
    assert [r.quantities for r in rows] == [{first.pk: 1, second.pk: 3}, {second.pk: 2}]


def test_contact_list_names_the_person_and_flags_proxy_entries(place, buy):
    signup(buy, place.resident, 1)
    grandma = HouseholdMember.objects.create(household=place.neighbour.household, name="张奶奶", phone="021-555")

    signup_create(
        actor=place.building_leader.user,
        buy=buy,
        household=place.neighbour.household,
        quantities={main_item(buy).pk: 1},
        placed_for=grandma,
    )
    rows = selectors.signup_list(buy=selectors.buy_get(user=place.leader.user, buy_id=buy.pk), contacts=True)
    assert [(r.identity, r.contact_name, r.contact_phone, r.is_proxy) for r in rows] == [
        ("12-301 王**", "王resident", place.resident.user.phone, False),
        ("12-302 张**", "张奶奶", "021-555", True),
    ]
    assert rows[1].placed_by_name == "王bleader"


def test_withdrawn_entries_leave_the_list_but_keep_their_number(place, buy):

    first = signup(buy, place.resident, 1)
    signup(buy, place.neighbour, 1)
    signup_withdraw(actor=place.resident.user, entry=first)
    rows = selectors.signup_list(buy=selectors.buy_get(user=place.resident.user, buy_id=buy.pk))
    assert [r.seq for r in rows] == [2]


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("leader", True),
        ("data_volunteer", True),
        ("other_leader", False),
        ("resident", False),
        ("building_leader", False),
        ("committee", False),
    ],
)
def test_who_may_see_contacts(place, buy, who, allowed):
    assert selectors.may_see_contacts(user=getattr(place, who).user, buy=buy) is allowed


def test_contacts_of_another_community_are_refused(place, other_place, buy):
    assert code_of(selectors.require_contacts, user=other_place.leader.user, buy=buy) == "wrong_community"
    assert code_of(selectors.require_contacts, user=place.other_leader.user, buy=buy) == "not_your_buy"
    assert code_of(selectors.require_contacts, user=place.resident.user, buy=buy) == "forbidden"


def test_buy_get_refuses_other_communities_and_bad_ids(place, other_place, buy):
    assert code_of(selectors.buy_get, user=other_place.resident.user, buy_id=buy.pk) == "wrong_community"
    assert code_of(selectors.buy_get, user=place.resident.user, buy_id="abc") == "not_found"
    assert code_of(selectors.buy_get, user=place.resident.user, buy_id=-1) == "not_found"


def test_buy_list_shows_live_buys_soonest_deadline_first(place, buy):
    later = GroupBuyFactory(community=place.community, leader=place.leader.user)
    GroupBuy.objects.filter(pk=later.pk).update(deadline=buy.deadline + (buy.deadline - buy.opened_at))
    GroupBuyFactory(community=place.community, leader=place.leader.user, status=BuyStatus.FAILED)
    GroupBuyFactory(community=place.community, leader=place.leader.user, status=BuyStatus.DRAFT)
    buys = selectors.buy_list(user=place.resident.user, community_id=place.community.pk)
    assert [b.pk for b in buys] == [buy.pk, later.pk]


def test_progress_and_markup(place, buy):
    signup(buy, place.resident, 4)
    loaded = selectors.buy_get(user=place.resident.user, buy_id=buy.pk)
    p = loaded.progress
    assert (p.counts_units, p.current, p.moq, p.remaining, p.percent, p.reached) == (
        True,
        Decimal(4),
        Decimal(10),
        Decimal(6),
        40,
        False,
    )
    assert (loaded.main_item.markup, loaded.main_item.markup_percent) == (Decimal("9.00"), 18)


def test_only_ready_photos_are_shown(place, buy):
    offer = main_item(buy).offer
    OfferPhoto.objects.create(offer=offer, status=PhotoStatus.PENDING, position=0)
    ready = OfferPhoto.objects.create(
        offer=offer, status=PhotoStatus.READY, image="x.jpg", thumbnail="t.jpg", position=1
    )
    assert selectors.buy_get(user=place.resident.user, buy_id=buy.pk).photo_id == ready.pk


def test_purchase_order_preview_orders_whole_packs_like_the_close(place, buy):
    eggs = BuyItemFactory(buy=buy, offer__pack_size=6, supplier_cost=Decimal("10.00"))

    signup_create(actor=place.resident.user, buy=buy, household=place.resident.household, quantities={eggs.pk: 7})
    order = selectors.purchase_order_get(buy=buy)
    assert order.is_final is False
    # One full box of 6; the 7th egg fills no box (no tolerance), so it is not ordered. The main item has
    # no sign-ups, so like the close the preview has no line for it.
    assert [(line.title, line.quantity, line.packs, line.amount) for line in order.lines] == [
        (eggs.offer.title, 6, 1, Decimal("60.00")),
    ]
    assert (order.total_cost, order.total_amount) == (Decimal("60.00"), eggs.unit_price * 6)


def order_snapshot(order):
    return (
        [(line.title, line.quantity, line.packs, line.unit_cost, line.amount, line.unit_price) for line in order.lines],
        order.total_cost,
        order.total_amount,
        order.supplier_names,
    )


@pytest.mark.parametrize("donate", [False, True], ids=["entries", "with-donations"])
def test_purchase_order_preview_equals_the_order_built_at_close(place, donate):
    buy = GroupBuyFactory(
        community=place.community,
        leader=place.leader.user,
        moq=Decimal("10"),
        item__offer__pack_size=10,
        item__offer__unit_price=Decimal("8.00"),
        item__offer__supplier_cost=Decimal("6.50"),
    )
    rice = main_item(buy)  # boxes of 10: firm 16 + tolerances 5 fill a second box
    eggs = BuyItemFactory(buy=buy, offer__pack_size=6, supplier_cost=Decimal("10.00"))  # 7 firm: the 7th is cut
    spare = BuyItemFactory(buy=buy, cap=5)  # nobody signs up for it
    for membership, quantities, tolerances in [
        (place.resident, {rice.pk: 7, eggs.pk: 4}, {rice.pk: 2}),
        (place.neighbour, {rice.pk: 5, eggs.pk: 3}, {}),
        (place.building_leader, {rice.pk: 4}, {rice.pk: 3}),
    ]:
        signup_create(
            actor=membership.user,
            buy=buy,
            household=membership.household,
            quantities=quantities,
            tolerances=tolerances,
        )
    buy.refresh_from_db()
    assert buy.status == BuyStatus.FORMED
    preview = selectors.purchase_order_get(buy=buy)
    assert preview.is_final is False
    assert [(line.quantity, line.packs) for line in preview.lines] == [(20, 2), (6, 1)]
    if donate:  # donated portions join the order at close (a capped item reserves them on its counter)
        donation_add(actor=place.leader.user, buy=buy, item_id=eggs.pk, quantity=2)
        donation_add(actor=place.leader.user, buy=buy, item_id=spare.pk, quantity=1)
        preview = selectors.purchase_order_get(buy=buy)
        assert [(line.quantity, line.packs) for line in preview.lines] == [(20, 2), (8, 2), (1, 0)]

    assert group_buy_close(buy_id=buy.pk)
    final = selectors.purchase_order_get(buy=GroupBuy.objects.get(pk=buy.pk))
    assert final.is_final is True
    assert order_snapshot(preview) == order_snapshot(final)


def test_my_entries_include_proxy_entries_i_placed(place, buy):
    signup(buy, place.building_leader, 1)

    signup_create(
        actor=place.building_leader.user,
        buy=buy,
        household=place.neighbour.household,
        quantities={main_item(buy).pk: 1},
    )
    mine = selectors.entry_list_mine(user=place.building_leader.user)
    assert sorted((e.household_id, e.is_proxy) for e in mine) == sorted(
        [(place.building_leader.household_id, False), (place.neighbour.household_id, True)]
    )
    assert [e.household_id for e in selectors.entry_list_mine(user=place.neighbour.user)] == [
        place.neighbour.household_id
    ]


def test_current_membership_refuses_a_community_one_is_not_in(place, other_place):
    assert (
        code_of(selectors.membership_get_current, user=place.resident.user, community_id=other_place.community.pk)
        == "wrong_community"
    )
    assert selectors.membership_get_current(user=place.resident.user).community_id == place.community.pk
