"""The sign-up's plain-SQL writes (groupbuy.services.signup_sql): their column lists match the models, and what they
store reads back through the ORM exactly as the ORM would have written it."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.factories import HouseholdMemberFactory
from groupbuy.factories import BuyItemFactory, GroupBuyFactory, main_item
from groupbuy.models import BuyItem, Entry, EntryLine, EntryStatus
from groupbuy.services import signup_sql


def columns_of(model):
    return {field.column for field in model._meta.concrete_fields if not field.primary_key}


@pytest.mark.parametrize(
    ("model", "columns"), [(Entry, signup_sql.ENTRY_COLUMNS), (EntryLine, signup_sql.LINE_COLUMNS)]
)
def test_the_column_lists_name_every_column_of_the_table(model, columns):
    # A column added to the model without being added here would be left to its database default (or fail).
    assert len(columns) == len(set(columns))
    assert set(columns) == columns_of(model)


@pytest.fixture
def buy(place):
    return GroupBuyFactory(community=place.community, leader=place.leader.user, item__cap=5)


def test_an_inserted_entry_and_its_lines_read_back_as_written(place, buy):
    extra = BuyItemFactory(buy=buy)
    member = HouseholdMemberFactory(household=place.resident.household)
    now = timezone.now()
    with transaction.atomic():
        entry = signup_sql.entry_insert(
            buy_id=buy.pk,
            household_id=place.resident.household.pk,
            seq=7,
            placed_by_id=place.leader.user.pk,
            placed_for_id=member.pk,
            display_name="王小明",
            note="放门口",
            units=5,
            amount=Decimal("123.45"),
            idempotency_key="k1",
            idempotency_digest="d" * 64,
            now=now,
        )
        lines = signup_sql.lines_insert(entry_id=entry.pk, lines=[(extra.pk, 3, 1), (main_item(buy).pk, 2, 0)])

    stored = Entry.objects.get(pk=entry.pk)
    fields = [f.attname for f in Entry._meta.concrete_fields]
    assert {f: getattr(stored, f) for f in fields} == {f: getattr(entry, f) for f in fields}
    assert (stored.status, stored.created_at, stored.updated_at) == (EntryStatus.ACTIVE, now, now)
    assert stored.placed_for_id == member.pk
    assert stored.amount == Decimal("123.45")
    assert sorted((x.pk, x.item_id, x.quantity, x.tolerance, x.allocated) for x in lines) == sorted(
        EntryLine.objects.filter(entry_id=entry.pk).values_list("pk", "item_id", "quantity", "tolerance", "allocated")
    )
    assert not entry._state.adding
    assert all(not x._state.adding for x in lines)


def test_the_item_update_stops_at_the_cap_and_always_takes_back(buy):
    item = main_item(buy)
    assert signup_sql.item_quantity_add(item_id=item.pk, delta=5)
    assert not signup_sql.item_quantity_add(item_id=item.pk, delta=1)
    assert BuyItem.objects.get(pk=item.pk).total_quantity == 5
    assert signup_sql.item_quantity_add(item_id=item.pk, delta=-2)
    assert signup_sql.item_quantity_add(item_id=item.pk, delta=2)
    assert BuyItem.objects.get(pk=item.pk).total_quantity == 5
    assert not signup_sql.item_quantity_add(item_id=item.pk + 10_000, delta=1)


def test_the_buy_read_for_a_sign_up_is_the_orm_read(place, buy):
    from groupbuy.models import GroupBuy
    from groupbuy.selectors import buy_get_for_signup

    got = buy_get_for_signup(user=place.resident.user, buy_id=buy.pk)
    want = GroupBuy.objects.get(pk=buy.pk)
    assert {f.attname: getattr(got, f.attname) for f in GroupBuy._meta.concrete_fields} == {
        f.attname: getattr(want, f.attname) for f in GroupBuy._meta.concrete_fields
    }
    assert not got._state.adding


def test_the_buy_read_keeps_the_callers_membership_and_refuses_a_non_member(place, buy):
    from accounts.models import Membership, User
    from accounts.permissions import membership_for
    from core.errors import ApplicationError
    from groupbuy.selectors import buy_get_for_signup

    user = User.objects.get(pk=place.resident.user.pk)
    buy_get_for_signup(user=user, buy_id=buy.pk)
    kept = user.__dict__["_membership_cache"][buy.community_id]
    want = Membership.objects.select_related("household__building").get(user=user, community_id=buy.community_id)
    assert kept.pk == want.pk
    assert kept.household.label == want.household.label
    assert membership_for(user, buy.community_id) is kept  # no second read

    Membership.objects.filter(pk=want.pk).update(is_active=False)
    with pytest.raises(ApplicationError) as info:
        buy_get_for_signup(user=User.objects.get(pk=user.pk), buy_id=buy.pk)
    assert info.value.code == "wrong_community"
    with pytest.raises(ApplicationError) as missing:
        buy_get_for_signup(user=user, buy_id=buy.pk + 999)
    assert missing.value.code == "not_found"


def test_lines_are_priced_from_the_buys_own_items_only(place, buy):
    from core.errors import ApplicationError
    from groupbuy.services.signup_input import lines_priced

    extra = BuyItemFactory(buy=buy, offer__unit_price=Decimal("3.35"))
    elsewhere = BuyItemFactory(buy=GroupBuyFactory(community=place.community, leader=place.leader.user))
    lines = lines_priced(buy, {main_item(buy).pk: 2, extra.pk: 1})
    assert {pk: (x.quantity, x.unit_price, x.is_main) for pk, x in lines.items()} == {
        main_item(buy).pk: (2, main_item(buy).unit_price, True),
        extra.pk: (1, Decimal("3.35"), False),
    }
    with pytest.raises(ApplicationError) as info:
        lines_priced(buy, {main_item(buy).pk: 1, elsewhere.pk: 1})
    assert info.value.code == "unknown_item"
    assert lines_priced(buy, {}) == {}


def test_the_buy_read_for_a_sign_up_carries_its_items_and_prices_lines_without_a_statement(
    place, buy, django_assert_num_queries
):
    from core.errors import ApplicationError
    from groupbuy.models import BuyItem
    from groupbuy.selectors import buy_get_for_signup
    from groupbuy.services.signup_input import lines_priced

    extra = BuyItemFactory(buy=buy, offer__unit_price=Decimal("3.35"))
    elsewhere = BuyItemFactory(buy=GroupBuyFactory(community=place.community, leader=place.leader.user))
    main = main_item(buy)
    got = buy_get_for_signup(user=place.resident.user, buy_id=buy.pk)
    with django_assert_num_queries(0):
        lines = lines_priced(got, {main.pk: 2, extra.pk: 1})
        with pytest.raises(ApplicationError) as info:
            lines_priced(got, {main.pk: 1, elsewhere.pk: 1})
    assert info.value.code == "unknown_item"
    assert {pk: (x.quantity, x.unit_price, x.is_main) for pk, x in lines.items()} == {
        main.pk: (2, main.unit_price, True),
        extra.pk: (1, Decimal("3.35"), False),
    }
    fields = [f.attname for f in BuyItem._meta.concrete_fields]
    for item in BuyItem.objects.filter(buy=buy):
        kept = got.__dict__["_items_read"][item.pk]
        assert [getattr(kept, f) for f in fields] == [getattr(item, f) for f in fields]


def test_a_buy_without_items_reads_for_a_sign_up_and_refuses_any_item(place):
    from core.errors import ApplicationError
    from groupbuy.selectors import buy_get_for_signup
    from groupbuy.services.signup_input import lines_priced

    bare = GroupBuyFactory(community=place.community, leader=place.leader.user)
    bare.items.all().delete()
    got = buy_get_for_signup(user=place.resident.user, buy_id=bare.pk)
    assert got.pk == bare.pk
    with pytest.raises(ApplicationError) as info:
        lines_priced(got, {12345: 1})
    assert info.value.code == "unknown_item"
