import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.factories import HouseholdMemberFactory, MembershipFactory
from accounts.models import Notification
from core.errors import ApplicationError
from groupbuy.factories import BuyItemFactory, GroupBuyFactory, buy_state, main_item, signup
from groupbuy.models import BuyStatus, Entry, EntryStatus, GroupBuy, MoqKind, PurchaseOrder
from groupbuy.services.signup import signup_change, signup_create, signup_withdraw


@pytest.fixture
def buy(place):
    return GroupBuyFactory(
        community=place.community, leader=place.leader.user, moq=Decimal("5"), household_limit=4, item__cap=8
    )


def refused(code, fn, *args, **kwargs):
    with pytest.raises(ApplicationError) as info:
        fn(*args, **kwargs)
    assert info.value.code == code, info.value.as_dict()
    return info.value


def test_signup_numbers_entries_and_bumps_counters(place, buy):
    item = main_item(buy)
    first = signup(buy, place.resident, 2)
    second = signup(buy, place.neighbour, 1)

    assert (first.seq, second.seq) == (1, 2)
    assert first.placed_by == place.resident.user
    assert first.display_name == place.resident.user.display_name
    assert [(line.item_id, line.quantity) for line in first.lines.all()] == [(item.pk, 2)]
    assert (first.units, first.amount) == (2, Decimal("118.00"))
    buy.refresh_from_db()
    item.refresh_from_db()
    assert (buy.entry_count, buy.total_units, buy.main_units, buy.last_seq) == (2, 3, 3, 2)
    assert buy.total_amount == Decimal("177.00")
    assert item.total_quantity == 3
    assert buy.status == BuyStatus.OPEN


def test_signup_with_several_items_counts_only_main_item_toward_unit_moq(place, buy):
    extra = BuyItemFactory(buy=buy, offer__unit_price=Decimal("10.00"))
    entry = signup_create(
        actor=place.resident.user,
        buy=buy,
        household=place.resident.household,
        quantities={str(main_item(buy).pk): "1", extra.pk: 3},
    )
    buy.refresh_from_db()
    assert (entry.units, entry.amount) == (4, Decimal("89.00"))
    assert (buy.total_units, buy.main_units) == (4, 1)


def test_signup_reaching_moq_forms_the_buy_and_tells_participants(place, buy, django_capture_on_commit_callbacks):
    signup(buy, place.resident, 3)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        signup(buy, place.neighbour, 2)
    assert len(callbacks) == 2  # the formed notice, then its SMS; no close: this buy does not close when formed

    buy.refresh_from_db()
    assert buy.status == BuyStatus.FORMED
    assert buy.formed_at is not None
    notified = set(Notification.objects.filter(kind="buy_formed").values_list("user_id", flat=True))
    assert notified == {place.resident.user.pk, place.neighbour.user.pk, place.leader.user.pk}
    assert not PurchaseOrder.objects.filter(buy=buy).exists()


def test_formed_buy_keeps_taking_signups_until_deadline(place, buy):
    signup(buy, place.resident, 4)
    signup(buy, place.neighbour, 2)
    buy.refresh_from_db()
    assert (buy.status, buy.main_units) == (BuyStatus.FORMED, 6)


def test_close_when_formed_closes_after_commit_and_builds_order(place, django_capture_on_commit_callbacks):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("3"), close_when_formed=True)
    signup(buy, place.resident, 1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        signup(buy, place.neighbour, 2)
    assert GroupBuy.objects.get(pk=buy.pk).status == BuyStatus.FORMED
    for callback in callbacks:
        callback()

    buy.refresh_from_db()
    assert buy.status == BuyStatus.CLOSED
    order = PurchaseOrder.objects.get(buy=buy)
    assert [(line.quantity, line.amount) for line in order.lines.all()] == [(3, Decimal("150.00"))]
    refused("group_buy_closed", signup, buy, place.building_leader, 1)


def test_signup_by_amount_moq_forms_on_total_amount(place):
    buy = GroupBuyFactory(
        community=place.community, leader=place.leader.user, moq_kind=MoqKind.AMOUNT, moq=Decimal("100")
    )
    signup(buy, place.resident, 1)
    assert GroupBuy.objects.get(pk=buy.pk).status == BuyStatus.OPEN
    signup(buy, place.neighbour, 1)
    assert GroupBuy.objects.get(pk=buy.pk).status == BuyStatus.FORMED


def test_proxy_order_by_building_leader_records_who_placed_it(place, buy):
    grandma = HouseholdMemberFactory(household=place.neighbour.household, name="李奶奶")
    entry = signup_create(
        actor=place.building_leader.user,
        buy=buy,
        household=place.neighbour.household,
        quantities={main_item(buy).pk: 1},
        placed_for=grandma,
        note="放门口",
    )
    assert entry.household == place.neighbour.household
    assert entry.placed_by == place.building_leader.user
    assert entry.placed_for == grandma
    assert entry.display_name == "李奶奶"
    # The household itself may now change the entry, and so may the proxy.
    signup_change(actor=place.neighbour.user, entry=entry, quantities={main_item(buy).pk: 2})
    signup_change(actor=place.building_leader.user, entry=entry, quantities={main_item(buy).pk: 3})
    assert Entry.objects.get(pk=entry.pk).units == 3


def test_idempotent_repeat_returns_the_same_entry_once(place, buy):
    first = signup(buy, place.resident, 2, idempotency_key="phone-req-1")
    before = buy_state(buy)
    again = signup(buy, place.resident, 2, idempotency_key="phone-req-1")
    assert again.pk == first.pk
    assert buy_state(buy) == before
    # The same key with another request is refused, not answered with the first entry (issue 13 item 4).
    refused("idempotency_mismatch", signup, buy, place.resident, 3, idempotency_key="phone-req-1")
    assert buy_state(buy) == before


def test_idempotency_key_of_another_household_is_refused(place, buy):
    signup(buy, place.resident, 1, idempotency_key="k1")
    before = buy_state(buy)
    refused("idempotency_key_reused", signup, buy, place.neighbour, 1, idempotency_key="k1")
    assert buy_state(buy) == before


def test_second_live_entry_for_a_household_is_refused(place, buy):
    signup(buy, place.resident, 1)
    before = buy_state(buy)
    refused("already_signed_up", signup, buy, place.resident, 1)
    # Also when a proxy tries to add a second one for the same household.
    refused(
        "already_signed_up",
        signup_create,
        actor=place.building_leader.user,
        buy=buy,
        household=place.resident.household,
        quantities={main_item(buy).pk: 1},
    )
    assert buy_state(buy) == before


def _past_deadline(buy):
    GroupBuy.objects.filter(pk=buy.pk).update(deadline=timezone.now() - datetime.timedelta(seconds=1))


@pytest.mark.parametrize(
    ("quantity", "code"),
    [
        (0, "invalid_quantity"),
        (-1, "invalid_quantity"),
        (1.5, "invalid_quantity"),
        ("2.0", "invalid_quantity"),
        ("abc", "invalid_quantity"),
        (True, "invalid_quantity"),
        (None, "invalid_quantity"),
        (10**9, "invalid_quantity"),
        (10000, "invalid_quantity"),
        (5, "over_household_limit"),
    ],
)
def test_bad_quantities_are_refused_and_change_nothing(place, buy, quantity, code):
    signup(buy, place.neighbour, 1)
    before = buy_state(buy)
    refused(code, signup, buy, place.resident, quantity)
    assert buy_state(buy) == before


@pytest.mark.parametrize("quantities", [{}, [], None, "1:2"])
def test_malformed_quantities_are_refused(place, buy, quantities):
    before = buy_state(buy)
    refused(
        "invalid_quantity",
        signup_create,
        actor=place.resident.user,
        buy=buy,
        household=place.resident.household,
        quantities=quantities,
    )
    assert buy_state(buy) == before


def test_unknown_item_and_item_of_another_buy_are_refused(place, buy):
    other = GroupBuyFactory(community=place.community, leader=place.leader.user)
    before = buy_state(buy)
    for quantities in ({999999: 1}, {main_item(other).pk: 1}, {"x1": 1}, {main_item(buy).pk: 1, 999999: 1}):
        refused(
            "unknown_item",
            signup_create,
            actor=place.resident.user,
            buy=buy,
            household=place.resident.household,
            quantities=quantities,
        )
    assert buy_state(buy) == before


def test_over_cap_is_refused_and_changes_nothing(place, buy):
    signup(buy, place.neighbour, 4)
    signup(buy, place.building_leader, 3)
    before = buy_state(buy)
    error = refused("over_cap", signup, buy, place.resident, 2)
    assert error.detail["remaining"] == 1
    assert buy_state(buy) == before
    signup(buy, place.resident, 1)
    assert main_item(buy).total_quantity == 8


def test_signup_after_deadline_is_refused(place, buy):
    _past_deadline(buy)
    before = buy_state(buy)
    refused("deadline_passed", signup, buy, place.resident, 1)
    assert buy_state(buy) == before


@pytest.mark.parametrize("status", [BuyStatus.CLOSED, BuyStatus.FAILED, BuyStatus.CANCELLED, BuyStatus.ORDERED])
def test_signup_on_a_buy_that_is_not_open_is_refused(place, buy, status):
    GroupBuy.objects.filter(pk=buy.pk).update(status=status)
    before = buy_state(buy)
    refused("group_buy_closed", signup, buy, place.resident, 1)
    assert buy_state(buy) == before


def test_signup_on_a_buy_of_another_community_is_refused(place, other_place, buy):
    before = buy_state(buy)
    refused("wrong_community", signup, buy, other_place.resident, 1)
    # A leader of this community cannot bring in a household of another community either.
    refused(
        "wrong_community",
        signup_create,
        actor=place.building_leader.user,
        buy=buy,
        household=other_place.resident.household,
        quantities={main_item(buy).pk: 1},
    )
    assert buy_state(buy) == before


def test_resident_cannot_sign_up_for_a_neighbour(place, buy):
    before = buy_state(buy)
    refused(
        "forbidden",
        signup_create,
        actor=place.resident.user,
        buy=buy,
        household=place.neighbour.household,
        quantities={main_item(buy).pk: 1},
    )
    assert buy_state(buy) == before


def test_committee_staff_without_a_resident_role_cannot_sign_up(place, buy):
    before = buy_state(buy)
    refused("forbidden", signup, buy, place.committee, 1)
    assert buy_state(buy) == before


def test_signup_without_a_household_is_refused(place, buy):
    before = buy_state(buy)
    refused(
        "no_household",
        signup_create,
        actor=place.resident.user,
        buy=buy,
        household=None,
        quantities={main_item(buy).pk: 1},
    )
    assert buy_state(buy) == before


def test_placed_for_must_live_in_the_household(place, buy):
    stranger = HouseholdMemberFactory(household=place.resident.household)
    before = buy_state(buy)
    refused(
        "invalid_member",
        signup_create,
        actor=place.building_leader.user,
        buy=buy,
        household=place.neighbour.household,
        quantities={main_item(buy).pk: 1},
        placed_for=stranger,
    )
    assert buy_state(buy) == before


# --- change -------------------------------------------------------------------


def test_change_sets_absolute_quantities_and_adjusts_counters(place, buy):
    extra = BuyItemFactory(buy=buy, offer__unit_price=Decimal("10.00"), cap=5)
    entry = signup(buy, place.resident, 1)
    signup_change(actor=place.resident.user, entry=entry, quantities={extra.pk: 2})
    entry.refresh_from_db()
    assert sorted((line.item_id, line.quantity) for line in entry.lines.all()) == sorted(
        [(main_item(buy).pk, 1), (extra.pk, 2)]
    )
    signup_change(actor=place.resident.user, entry=entry, quantities={main_item(buy).pk: 0, extra.pk: 3})
    entry.refresh_from_db()
    assert [(line.item_id, line.quantity) for line in entry.lines.all()] == [(extra.pk, 3)]
    assert (entry.units, entry.amount) == (3, Decimal("30.00"))
    buy.refresh_from_db()
    assert (buy.total_units, buy.main_units, buy.total_amount, buy.entry_count) == (3, 0, Decimal("30.00"), 1)
    assert main_item(buy).total_quantity == 0
    extra.refresh_from_db()
    assert extra.total_quantity == 3


def test_change_that_reaches_moq_forms_and_one_that_drops_below_reopens(place, buy):
    entry = signup(buy, place.resident, 2)
    signup(buy, place.neighbour, 2)
    signup_change(actor=place.resident.user, entry=entry, quantities={main_item(buy).pk: 3})
    assert GroupBuy.objects.get(pk=buy.pk).status == BuyStatus.FORMED
    signup_change(actor=place.resident.user, entry=entry, quantities={main_item(buy).pk: 1})
    buy.refresh_from_db()
    assert (buy.status, buy.formed_at) == (BuyStatus.OPEN, None)


@pytest.mark.parametrize(
    ("quantity", "code"), [(5, "over_household_limit"), (-2, "invalid_quantity"), (1.5, "invalid_quantity")]
)
def test_bad_change_is_refused_and_changes_nothing(place, buy, quantity, code):
    BuyItemFactory(buy=buy)
    entry = signup(buy, place.resident, 2)
    signup(buy, place.neighbour, 4)
    before = buy_state(buy)
    refused(code, signup_change, actor=place.resident.user, entry=entry, quantities={main_item(buy).pk: quantity})
    assert buy_state(buy) == before


def test_change_over_cap_counts_what_the_entry_already_holds(place, buy):
    GroupBuy.objects.filter(pk=buy.pk).update(household_limit=None)
    buy.refresh_from_db()
    entry = signup(buy, place.resident, 4)
    signup(buy, place.neighbour, 4)
    before = buy_state(buy)
    refused("over_cap", signup_change, actor=place.resident.user, entry=entry, quantities={main_item(buy).pk: 5})
    assert buy_state(buy) == before
    signup_change(actor=place.resident.user, entry=entry, quantities={main_item(buy).pk: 3})
    assert main_item(buy).total_quantity == 7
    signup_change(actor=place.resident.user, entry=entry, quantities={main_item(buy).pk: 4})
    assert main_item(buy).total_quantity == 8


def test_change_to_nothing_is_refused_use_withdraw(place, buy):
    entry = signup(buy, place.resident, 2)
    before = buy_state(buy)
    refused(
        "invalid_quantity", signup_change, actor=place.resident.user, entry=entry, quantities={main_item(buy).pk: 0}
    )
    assert buy_state(buy) == before


def test_neighbour_cannot_change_or_withdraw_my_entry(place, buy):
    entry = signup(buy, place.resident, 1)
    before = buy_state(buy)
    refused("not_your_entry", signup_change, actor=place.neighbour.user, entry=entry, quantities={main_item(buy).pk: 2})
    refused("not_your_entry", signup_withdraw, actor=place.neighbour.user, entry=entry)
    refused("wrong_community", signup_withdraw, actor=place_other_user(entry), entry=entry)
    assert buy_state(buy) == before


def place_other_user(entry):
    return MembershipFactory().user


@pytest.mark.parametrize("when", ["deadline", "closed"])
def test_change_and_withdraw_after_deadline_or_close_are_refused(place, buy, when):
    entry = signup(buy, place.resident, 1)
    if when == "deadline":
        _past_deadline(buy)
    else:
        GroupBuy.objects.filter(pk=buy.pk).update(status=BuyStatus.CLOSED)
    code = "deadline_passed" if when == "deadline" else "group_buy_closed"
    before = buy_state(buy)
    refused(code, signup_change, actor=place.resident.user, entry=entry, quantities={main_item(buy).pk: 2})
    refused(code, signup_withdraw, actor=place.resident.user, entry=entry)
    assert buy_state(buy) == before


# --- withdraw -----------------------------------------------------------------


def test_withdraw_releases_units_and_number_is_never_reused(place, buy):
    entry = signup(buy, place.resident, 3)
    signup_withdraw(actor=place.resident.user, entry=entry)
    entry.refresh_from_db()
    assert entry.status == EntryStatus.WITHDRAWN
    buy.refresh_from_db()
    assert (buy.entry_count, buy.total_units, buy.main_units, buy.total_amount) == (0, 0, 0, Decimal("0"))
    assert main_item(buy).total_quantity == 0

    again = signup(buy, place.resident, 1)
    assert again.seq == 2
    before = buy_state(buy)
    refused("invalid_state", signup_withdraw, actor=place.resident.user, entry=entry)
    assert buy_state(buy) == before


def test_withdraw_below_moq_reopens_a_formed_buy_and_formed_notice_is_sent_once(
    place, buy, django_capture_on_commit_callbacks
):
    entry = signup(buy, place.resident, 3)
    with django_capture_on_commit_callbacks(execute=True):
        signup(buy, place.neighbour, 2)
    assert GroupBuy.objects.get(pk=buy.pk).status == BuyStatus.FORMED
    signup_withdraw(actor=place.resident.user, entry=entry)
    assert GroupBuy.objects.get(pk=buy.pk).status == BuyStatus.OPEN
    with django_capture_on_commit_callbacks(execute=True):
        signup(buy, place.building_leader, 3)
    assert GroupBuy.objects.get(pk=buy.pk).status == BuyStatus.FORMED
    assert Notification.objects.filter(kind="buy_formed", user=place.neighbour.user).count() == 1


def test_signup_is_a_short_fixed_number_of_queries(place, buy, django_assert_num_queries):
    signup(buy, place.neighbour, 1)
    item = main_item(buy)
    with django_assert_num_queries(8) as captured:
        signup(buy, place.resident, 1, item=item)
    # membership, items, SAVEPOINT, counters UPDATE ... RETURNING, item UPDATE, entry, lines: no read-back of
    # the number, no idempotency pre-read, no pool lookups (the buy row carries its pool), no forming UPDATE
    # below the MOQ.
    assert [q["sql"].split()[0] for q in captured.captured_queries] == [
        "SELECT",
        "SELECT",
        "SAVEPOINT",
        "UPDATE",
        "UPDATE",
        "INSERT",
        "INSERT",
        "RELEASE",
    ]


def test_removing_one_line_keeps_the_others(place, buy):
    extra = BuyItemFactory(buy=buy)
    entry = signup_create(
        actor=place.resident.user,
        buy=buy,
        household=place.resident.household,
        quantities={main_item(buy).pk: 1, extra.pk: 2},
    )
    signup_change(actor=place.resident.user, entry=entry, quantities={main_item(buy).pk: 0})
    assert [(line.item_id, line.quantity) for line in entry.lines.all()] == [(extra.pk, 2)]
    assert main_item(buy).total_quantity == 0


def test_change_and_withdraw_lock_the_buy_row_first(place, buy):
    entry = signup(buy, place.resident, 1)
    with CaptureQueriesContext(connection) as queries:
        signup_change(actor=place.resident.user, entry=entry, quantities={main_item(buy).pk: 2})
    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert '"groupbuy_groupbuy"' in locks[0]
    assert '"groupbuy_entry"' in locks[1]
