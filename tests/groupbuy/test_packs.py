"""Supplier pack sizes with tolerance: the pure allocation (property tests) and the close that uses it."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.factories import HouseholdFactory, MembershipFactory
from core.errors import ApplicationError
from groupbuy.factories import BuyItemFactory, GroupBuyFactory, buy_state, signup
from groupbuy.models import EntryLine, PurchaseOrderLine
from groupbuy.packs import allocate_packs, packs_to_order, units_to_fill_next_pack
from groupbuy.services.buys import group_buy_close
from groupbuy.services.signup import signup_change

requests_strategy = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 12)), max_size=25)


@given(requests=requests_strategy, pack_size=st.integers(1, 12))
def test_allocation_never_exceeds_the_packs_ordered(requests, pack_size):
    requests = [(q, min(t, pack_size)) for q, t in requests]
    result = allocate_packs(requests, pack_size)
    assert sum(result.allocated) <= result.packs * pack_size
    assert result.packs == packs_to_order(sum(q for q, _ in requests), sum(t for _, t in requests), pack_size)


@given(requests=requests_strategy, pack_size=st.integers(1, 12))
def test_each_household_gets_at_most_its_quantity_plus_tolerance(requests, pack_size):
    requests = [(q, min(t, pack_size)) for q, t in requests]
    result = allocate_packs(requests, pack_size)
    assert all(0 <= got <= q + t for got, (q, t) in zip(result.allocated, requests, strict=True))


@given(requests=requests_strategy, pack_size=st.integers(2, 12))
def test_firm_quantities_are_served_in_order_before_any_tolerance(requests, pack_size):
    requests = [(q, min(t, pack_size)) for q, t in requests]
    result = allocate_packs(requests, pack_size)
    firm_served = [min(got, q) for got, (q, _t) in zip(result.allocated, requests, strict=True)]
    if any(got > q for got, (q, _t) in zip(result.allocated, requests, strict=True)):
        assert firm_served == [q for q, _t in requests]  # a tolerance unit only once every firm unit is served
    # 接龙 order: a cut household comes after every fully served one.
    cut = [i for i, (got, (q, _t)) in enumerate(zip(firm_served, requests, strict=True)) if got < q]
    if cut:
        assert all(firm_served[i] == requests[i][0] for i in range(cut[0]))
        assert all(firm_served[i] == 0 for i in cut[1:])
    # Nothing orderable is left unused: every ordered pack is filled exactly.
    assert sum(result.allocated) == result.packs * pack_size


def test_pack_counting_examples():
    assert packs_to_order(23, 0, 10) == 2  # the 3-斤 remainder is not ordered
    assert packs_to_order(23, 7, 10) == 3
    assert packs_to_order(20, 9, 10) == 2
    assert units_to_fill_next_pack(17, 0, 10) == 3  # "3 斤 more fills the next box"
    assert units_to_fill_next_pack(17, 2, 10) == 1
    assert units_to_fill_next_pack(20, 5, 10) == 0


def test_allocation_example_firm_first_then_tolerances_in_order():
    # 17 firm, tolerances 2+3: the remainder 7 + 5 fills a box of 10: 2 boxes, tolerances give 3 (2 then 1).
    result = allocate_packs([(7, 2), (6, 3), (4, 0)], 10)
    assert (result.packs, result.allocated) == (2, [9, 7, 4])
    # 13 firm, no tolerance: one box; the last sign-up is cut to what fits.
    result = allocate_packs([(7, 0), (6, 0)], 10)
    assert (result.packs, result.allocated) == (1, [7, 3])


@pytest.fixture
def box_buy(place):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("1"), item=None)
    item = BuyItemFactory(buy=buy, is_main=True, offer__pack_size=10, offer__unit="斤")
    return buy, item


def people(place, n):
    return [
        MembershipFactory(
            community=place.community,
            household=HouseholdFactory(community=place.community, building=place.other_building, room=f"P{i}"),
        )
        for i in range(n)
    ]


@pytest.mark.django_db
def test_close_allocates_firm_then_tolerance_and_orders_whole_boxes(place, box_buy):
    buy, item = box_buy
    a, b, c = people(place, 3)
    signup(buy, a, 7, tolerances={item.pk: 2})
    signup(buy, b, 6, tolerances={item.pk: 3})
    signup(buy, c, 4)
    assert group_buy_close(buy_id=buy.pk)
    got = list(EntryLine.objects.filter(entry__buy=buy).order_by("entry__seq").values_list("quantity", "allocated"))
    assert got == [(7, 9), (6, 7), (4, 4)]
    line = PurchaseOrderLine.objects.get(order__buy=buy)
    assert (line.quantity, line.packs) == (20, 2)


@pytest.mark.django_db
def test_close_cuts_the_unfilled_remainder_last_in_line_first(place, box_buy):
    buy, item = box_buy
    a, b = people(place, 2)
    signup(buy, a, 7)
    signup(buy, b, 6)
    assert group_buy_close(buy_id=buy.pk)
    got = list(EntryLine.objects.filter(entry__buy=buy).order_by("entry__seq").values_list("quantity", "allocated"))
    assert got == [(7, 7), (6, 3)]  # settlement refunds the 3 斤 cut
    assert PurchaseOrderLine.objects.get(order__buy=buy).packs == 1


@pytest.mark.django_db
@pytest.mark.parametrize("tolerance", [-1, 11, "2.5", "x"])
def test_tolerance_outside_zero_to_pack_size_is_refused(place, box_buy, tolerance):
    buy, item = box_buy
    before = buy_state(buy)
    with pytest.raises(ApplicationError) as info:
        signup(buy, place.resident, 3, tolerances={item.pk: tolerance})
    assert info.value.code == "invalid_tolerance"
    assert buy_state(buy) == before


@pytest.mark.django_db
def test_tolerance_can_be_changed_and_is_refused_on_a_change_above_the_pack(place, box_buy):
    buy, item = box_buy
    entry = signup(buy, place.resident, 3, tolerances={item.pk: 10})
    signup_change(actor=place.resident.user, entry=entry, quantities={item.pk: 4}, tolerances={item.pk: 1})
    assert list(entry.lines.values_list("quantity", "tolerance")) == [(4, 1)]
    before = buy_state(buy)
    with pytest.raises(ApplicationError) as info:
        signup_change(actor=place.resident.user, entry=entry, quantities={item.pk: 4}, tolerances={item.pk: 11})
    assert info.value.code == "invalid_tolerance"
    assert buy_state(buy) == before
    assert list(entry.lines.values_list("quantity", "tolerance")) == [(4, 1)]


@pytest.mark.django_db
def test_close_allocates_whole_packs_in_signup_order(place, box_buy):
    buy, item = box_buy
    a, b, c = people(place, 3)
    first = signup(buy, a, 7, tolerances={item.pk: 2})
    second = signup(buy, b, 6)
    signup(buy, c, 4)
    assert group_buy_close(buy_id=buy.pk)
    # 17 firm + 2 tolerance cannot fill a second box of 10: one box; 7 for a, 3 of 6 for b, 0 of 4 for c.
    third = buy.entries.get(seq=3)
    assert second.lines.get().allocated == 3
    assert third.lines.get().allocated == 0
    assert first.lines.get().allocated == 7
