from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import Conflict, PermissionRefused, ValidationFailed
from groupbuy.factories import OfferFactory
from groupbuy.models import BuyItem, Entry, EntryLine, EntryStatus, GroupBuy, PurchaseOrderLine
from settlement.models import ChangeDefault, ChangeStatus, PriceChange, Refund, RefundReason
from settlement.services.payments import payment_confirm, payment_mark
from settlement.services.price_changes import (
    price_change_propose,
    price_change_respond,
    price_changes_sweep,
)
from settlement.services.shortages import arrivals_record
from tests.settlement.helpers import settlement_state

pytestmark = pytest.mark.django_db


def propose(closed, new_price="108.00", default=ChangeDefault.WITHDRAW, **kwargs):
    return price_change_propose(
        actor=closed.place.leader.user,
        buy=closed.buy,
        item_id=closed.main.pk,
        new_price=new_price,
        new_cost=kwargs.pop("new_cost", "95.00"),
        reason="The 59-yuan tofu package sold out; only the 108 one is left.",
        deadline=timezone.now() + timedelta(hours=6),
        default_action=default,
        **kwargs,
    )


def test_accepting_a_higher_price_raises_what_is_owed_only_for_who_accepted(closed, place):
    change = propose(closed)
    price_change_respond(actor=place.resident.user, change=change, entry=closed.resident_entry, choice="accept")
    closed.refresh()
    assert closed.resident_entry.amount == Decimal("3") * Decimal("108") + Decimal("20")
    assert closed.neighbour_entry.amount == Decimal("7") * Decimal("59")
    assert PriceChange.objects.get().status == ChangeStatus.OPEN


def test_withdrawing_drops_the_item_and_refunds_what_was_paid(closed, place):
    entry = closed.neighbour_entry
    payment_mark(actor=place.neighbour.user, entry=entry, amount="413", method="wechat")
    payment_confirm(actor=place.leader.user, entry=entry)
    change = propose(closed)
    price_change_respond(actor=place.neighbour.user, change=change, entry=entry, choice="withdraw")
    entry.refresh_from_db()
    assert (entry.status, entry.units, entry.amount) == (EntryStatus.WITHDRAWN, 0, Decimal("0"))
    refund = Refund.objects.get()
    assert (refund.amount, refund.reason) == (Decimal("413.00"), RefundReason.PRICE_CHANGE)
    buy = GroupBuy.objects.get(pk=closed.buy.pk)
    assert (buy.entry_count, buy.total_units, buy.main_units) == (1, 4, 3)
    assert BuyItem.objects.get(pk=closed.main.pk).total_quantity == 3


def test_answering_twice_is_refused_and_changes_nothing(closed, place):
    change = propose(closed)
    price_change_respond(actor=place.resident.user, change=change, entry=closed.resident_entry, choice="accept")
    before = settlement_state(closed.buy)
    with pytest.raises(Conflict) as exc:
        price_change_respond(actor=place.resident.user, change=change, entry=closed.resident_entry, choice="accept")
    assert exc.value.code == "already_answered"
    assert settlement_state(closed.buy) == before


def test_answering_after_the_deadline_is_refused(closed, place):
    change = propose(closed)
    PriceChange.objects.filter(pk=change.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    before = settlement_state(closed.buy)
    with pytest.raises(Conflict) as exc:
        price_change_respond(actor=place.resident.user, change=change, entry=closed.resident_entry, choice="accept")
    assert exc.value.code == "price_change_deadline_passed"
    assert settlement_state(closed.buy) == before


def test_answering_for_another_household_is_refused(closed, place):
    change = propose(closed)
    before = settlement_state(closed.buy)
    with pytest.raises(PermissionRefused):
        price_change_respond(actor=place.neighbour.user, change=change, entry=closed.resident_entry, choice="accept")
    assert settlement_state(closed.buy) == before


def test_everyone_answering_resolves_and_recomputes_the_purchase_order(closed, place):
    change = propose(closed)
    price_change_respond(actor=place.resident.user, change=change, entry=closed.resident_entry, choice="accept")
    price_change_respond(actor=place.neighbour.user, change=change, entry=closed.neighbour_entry, choice="withdraw")
    change.refresh_from_db()
    assert change.status == ChangeStatus.RESOLVED
    item = BuyItem.objects.get(pk=closed.main.pk)
    assert (item.unit_price, item.supplier_cost) == (Decimal("108.00"), Decimal("95.00"))
    line = PurchaseOrderLine.objects.get(order__buy=closed.buy, item=item)
    assert (line.quantity, line.unit_cost, line.amount) == (3, Decimal("95.00"), Decimal("285.00"))


def test_deadline_sweep_withdraws_non_answers_and_is_idempotent(closed, place):
    change = propose(closed)
    price_change_respond(actor=place.resident.user, change=change, entry=closed.resident_entry, choice="accept")
    PriceChange.objects.filter(pk=change.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    assert price_changes_sweep() == 1
    assert price_changes_sweep() == 0
    closed.refresh()
    assert closed.neighbour_entry.status == EntryStatus.WITHDRAWN
    assert closed.resident_entry.amount == Decimal("344.00")
    assert change.responses.filter(by_default=True).count() == 1


@pytest.mark.parametrize(
    ("new_price", "expected_status", "expected_amount"),
    [
        ("49.00", EntryStatus.ACTIVE, Decimal("343.00")),  # cheaper: accepted for them
        ("69.00", EntryStatus.WITHDRAWN, Decimal("0")),  # dearer: never charged more without consent
    ],
)
def test_accept_if_cheaper_default(closed, place, new_price, expected_status, expected_amount):
    change = propose(closed, new_price=new_price, default=ChangeDefault.ACCEPT_IF_CHEAPER, new_cost="40.00")
    PriceChange.objects.filter(pk=change.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    price_changes_sweep()
    entry = Entry.objects.get(pk=closed.neighbour_entry.pk)
    assert (entry.status, entry.amount) == (expected_status, expected_amount)


def test_substitution_with_a_new_offer(closed, place):
    offer = OfferFactory(supplier=closed.main.offer.supplier, unit_price=Decimal("108"), supplier_cost=Decimal("95"))
    change = propose(closed, new_offer_id=offer.pk, new_cost="")
    assert change.new_cost == Decimal("95")
    price_change_respond(actor=place.resident.user, change=change, entry=closed.resident_entry, choice="accept")
    price_change_respond(actor=place.neighbour.user, change=change, entry=closed.neighbour_entry, choice="accept")
    assert BuyItem.objects.get(pk=closed.main.pk).offer_id == offer.pk


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"new_price": "-1"}, "invalid_amount"),
        ({"new_price": "59.00", "new_cost": "50.00"}, "no_change"),
        ({"item_id": 999999}, "unknown_item"),
        ({"reason": "  "}, "reason_required"),
        ({"deadline": "past"}, "invalid_deadline"),
        ({"default_action": "charge_them"}, "invalid_default"),
        ({"new_offer_id": 999999}, "unknown_offer"),
    ],
)
def test_bad_proposals_are_refused(closed, place, overrides, code):
    kwargs = {
        "actor": place.leader.user,
        "buy": closed.buy,
        "item_id": closed.main.pk,
        "new_price": "108",
        "new_cost": "95",
        "reason": "sold out",
        "deadline": timezone.now() + timedelta(hours=1),
        "default_action": ChangeDefault.WITHDRAW,
    }
    kwargs.update(overrides)
    if kwargs["deadline"] == "past":
        kwargs["deadline"] = timezone.now() - timedelta(hours=1)
    before = settlement_state(closed.buy)
    with pytest.raises(ValidationFailed) as exc:
        price_change_propose(**kwargs)
    assert exc.value.code == code
    assert settlement_state(closed.buy) == before


def test_only_the_buys_leader_proposes(closed, place):
    with pytest.raises(PermissionRefused) as exc:
        price_change_propose(
            actor=place.other_leader.user,
            buy=closed.buy,
            item_id=closed.main.pk,
            new_price="108",
            reason="x",
            deadline=timezone.now() + timedelta(hours=1),
        )
    assert exc.value.code == "not_your_buy"


def test_a_second_open_change_on_the_same_item_is_refused(closed):
    propose(closed)
    with pytest.raises(Conflict) as exc:
        propose(closed, new_price="110")
    assert exc.value.code == "price_change_open"
    assert PriceChange.objects.count() == 1


def test_no_change_after_the_item_arrived(closed, place):
    arrivals_record(actor=place.leader.user, buy=closed.buy, arrived={closed.main.pk: 10})
    with pytest.raises(Conflict) as exc:
        propose(closed)
    assert exc.value.code == "arrival_already_recorded"


def test_a_proposal_before_close_is_refused(place):
    from groupbuy.factories import GroupBuyFactory, main_item

    buy = GroupBuyFactory(community=place.community, leader=place.leader.user)
    with pytest.raises(Conflict) as exc:
        price_change_propose(
            actor=place.leader.user,
            buy=buy,
            item_id=main_item(buy).pk,
            new_price="108",
            reason="x",
            deadline=timezone.now() + timedelta(hours=1),
        )
    assert exc.value.code == "invalid_state"


def test_participants_are_told_about_the_proposal(closed, place):
    from accounts.models import Notification

    propose(closed)
    assert set(Notification.objects.filter(kind="price_change_proposed").values_list("user_id", flat=True)) == {
        place.resident.user.pk,
        place.neighbour.user.pk,
    }
    assert EntryLine.objects.filter(entry__buy=closed.buy).count() == 3
