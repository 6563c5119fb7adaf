import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Notification
from core.errors import ApplicationError
from groupbuy.factories import BuyItemFactory, GroupBuyFactory, OfferFactory, buy_state, main_item, signup
from groupbuy.models import BuyKind, BuyStatus, EntryLine, EntryStatus, GroupBuy, PurchaseOrder
from groupbuy.services.buys import (
    group_buy_cancel,
    group_buy_close,
    group_buy_close_now,
    group_buy_mark_ordered,
    group_buy_open,
)
from groupbuy.services.lifecycle import group_buy_fail
from groupbuy.services.signup import signup_withdraw
from groupbuy.services.sweep import LOST_CLOSE_GRACE, group_buys_sweep


def refused(code, fn, *args, **kwargs):
    with pytest.raises(ApplicationError) as info:
        fn(*args, **kwargs)
    assert info.value.code == code, info.value.as_dict()
    return info.value


@pytest.fixture
def offer(place):
    return OfferFactory(supplier__community=place.community, unit_price=Decimal("59.00"), supplier_cost="50.00")


def open_args(place, offer, **overrides):
    args = {
        "actor": place.leader.user,
        "community": place.community,
        "title": "土豆洋葱套餐",
        "kind": BuyKind.FAIR,
        "items": [{"offer_id": offer.pk, "cap": 100}],
        "moq_kind": "units",
        "moq": 20,
        "deadline": timezone.now() + datetime.timedelta(hours=6),
        "delivery_date": timezone.localdate() + datetime.timedelta(days=2),
        "distribution_mode": "building",
    }
    args.update(overrides)
    return args


def test_leader_opens_a_buy_with_prices_frozen_from_the_offer(place, offer):
    second = OfferFactory(supplier=offer.supplier, unit_price=Decimal("12.00"), supplier_cost=Decimal("10.00"))
    buy = group_buy_open(
        **open_args(
            place,
            offer,
            items=[{"offer_id": offer.pk, "cap": 100}, {"offer_id": str(second.pk), "is_main": False}],
            household_limit="3",
        )
    )
    assert (buy.status, buy.leader, buy.moq, buy.household_limit) == (BuyStatus.OPEN, place.leader.user, 20, 3)
    items = list(buy.items.order_by("position"))
    assert [(i.offer_id, i.is_main, i.cap, i.unit_price, i.supplier_cost) for i in items] == [
        (offer.pk, True, 100, Decimal("59.00"), Decimal("50.00")),
        (second.pk, False, None, Decimal("12.00"), Decimal("10.00")),
    ]
    # Later price changes of the offer do not touch the open buy.
    offer.unit_price = Decimal("80.00")
    offer.save()
    assert main_item(buy).unit_price == Decimal("59.00")


def test_charity_buy_at_cost_opens(place):
    at_cost = OfferFactory(supplier__community=place.community, unit_price="30.00", supplier_cost="30.00")
    buy = group_buy_open(**open_args(place, at_cost, kind=BuyKind.CHARITY))
    assert buy.kind == BuyKind.CHARITY


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"kind": BuyKind.CHARITY}, "charity_has_markup"),
        ({"items": []}, "no_items"),
        ({"items": [{"offer_id": 999999}]}, "unknown_item"),
        ({"items": [{"offer_id": "x"}]}, "unknown_item"),
        ({"moq": 0}, "invalid_moq"),
        ({"moq": -5}, "invalid_moq"),
        ({"moq": "abc"}, "invalid_moq"),
        ({"moq": "2.5"}, "invalid_moq"),
        ({"moq": "1e12"}, "invalid_moq"),
        ({"items": "cap-too-small"}, "invalid_moq"),
        ({"deadline": "past"}, "invalid_deadline"),
        ({"deadline": "naive"}, "invalid_deadline"),
        ({"delivery_date": "before"}, "invalid_deadline"),
        ({"kind": "lottery"}, "invalid"),
        ({"household_limit": 0}, "invalid"),
        ({"title": "  "}, "invalid"),
    ],
)
def test_bad_buy_is_refused_and_nothing_is_created(place, offer, overrides, code):
    now = timezone.now()
    special = {
        "past": now - datetime.timedelta(minutes=1),
        "naive": datetime.datetime(2030, 1, 1, 12, 0),  # noqa: DTZ001
        "before": timezone.localdate() - datetime.timedelta(days=1),
        "cap-too-small": [{"offer_id": offer.pk, "cap": 10}],
    }
    overrides = {k: special.get(v, v) if isinstance(v, str) else v for k, v in overrides.items()}
    refused(code, group_buy_open, **open_args(place, offer, **overrides))
    assert not GroupBuy.objects.exists()


def test_offer_of_another_community_cannot_be_used(place, other_place):
    foreign = OfferFactory(supplier__community=other_place.community)
    refused("unknown_item", group_buy_open, **open_args(place, foreign))
    assert not GroupBuy.objects.exists()


@pytest.mark.parametrize("who", ["resident", "building_leader", "foreign_leader"])
def test_only_team_leaders_of_the_community_open_buys(place, other_place, offer, who):
    actor = other_place.leader.user if who == "foreign_leader" else getattr(place, who).user
    refused("forbidden", group_buy_open, **open_args(place, offer, actor=actor))
    assert not GroupBuy.objects.exists()


# --- close ---------------------------------------------------------------------------


@pytest.fixture
def formed(place):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("3"))
    packed = BuyItemFactory(buy=buy, offer__pack_size=10, offer__supplier_cost=Decimal("2.50"))
    signup(buy, place.resident, 2)
    signup(buy, place.neighbour, 1)
    gone = signup(buy, place.building_leader, 1)
    signup_withdraw(actor=place.building_leader.user, entry=gone)
    # 23 units in packs of 10, "7 more if it fills a box": 3 boxes, the household gets 30.
    signup(buy, place.data_volunteer, 23, item=packed, tolerances={packed.pk: 7})
    buy.refresh_from_db()
    assert buy.status == BuyStatus.FORMED
    return buy


def test_close_freezes_list_builds_purchase_order_and_notifies_each_participant_once(place, formed):
    assert group_buy_close(buy_id=formed.pk) is True

    formed.refresh_from_db()
    assert formed.status == BuyStatus.CLOSED
    assert formed.closed_at is not None
    order = PurchaseOrder.objects.get(buy=formed)
    lines = [(line.item.is_main, line.quantity, line.packs, line.unit_cost, line.amount) for line in order.lines.all()]
    assert sorted(lines) == [
        (False, 30, 3, Decimal("2.50"), Decimal("75.00")),
        (True, 3, 0, Decimal("50.00"), Decimal("150.00")),
    ]
    assert order.total_cost == Decimal("225.00")
    packed = formed.items.get(is_main=False)
    assert order.total_amount == formed.total_amount + 7 * packed.unit_price
    active = EntryLine.objects.filter(entry__buy=formed, entry__status=EntryStatus.ACTIVE)
    assert sorted((line.quantity, line.allocated) for line in active) == [(1, 1), (2, 2), (23, 30)]
    withdrawn = EntryLine.objects.filter(entry__buy=formed, entry__status=EntryStatus.WITHDRAWN)
    assert [line.allocated for line in withdrawn] == [None]
    notified = sorted(Notification.objects.filter(kind="buy_closed").values_list("user_id", flat=True))
    expected = [place.resident, place.neighbour, place.data_volunteer, place.leader]
    assert notified == sorted(m.user.pk for m in expected)


def test_close_done_twice_does_nothing_the_second_time(formed):
    assert group_buy_close(buy_id=formed.pk) is True
    before = buy_state(formed)
    assert group_buy_close(buy_id=formed.pk) is False
    assert buy_state(formed) == before


def test_close_of_an_open_buy_does_nothing(place):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user)
    signup(buy, place.resident, 1)
    before = buy_state(buy)
    assert group_buy_close(buy_id=buy.pk) is False
    assert buy_state(buy) == before


def test_leader_closes_now(place, formed):
    closed = group_buy_close_now(actor=place.leader.user, buy=formed)
    assert closed.status == BuyStatus.CLOSED
    assert PurchaseOrder.objects.filter(buy=formed).count() == 1


@pytest.mark.parametrize(
    ("who", "code"), [("other_leader", "not_your_buy"), ("resident", "forbidden"), ("data_volunteer", "forbidden")]
)
def test_only_the_buys_leader_may_close_cancel_or_mark_ordered(place, formed, who, code):
    actor = getattr(place, who).user
    before = buy_state(formed)
    refused(code, group_buy_close_now, actor=actor, buy=formed)
    refused(code, group_buy_cancel, actor=actor, buy=formed, reason="x")
    refused(code, group_buy_mark_ordered, actor=actor, buy=formed)
    assert buy_state(formed) == before


def test_leader_of_another_community_is_refused(other_place, formed):
    before = buy_state(formed)
    refused("wrong_community", group_buy_close_now, actor=other_place.leader.user, buy=formed)
    assert buy_state(formed) == before


def test_close_now_below_moq_is_refused(place):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user)
    signup(buy, place.resident, 1)
    before = buy_state(buy)
    refused("below_moq", group_buy_close_now, actor=place.leader.user, buy=buy)
    assert buy_state(buy) == before


def test_close_now_twice_is_refused_the_second_time(place, formed):
    group_buy_close_now(actor=place.leader.user, buy=formed)
    before = buy_state(formed)
    refused("invalid_state", group_buy_close_now, actor=place.leader.user, buy=formed)
    assert buy_state(formed) == before


def test_mark_ordered_only_after_close(place, formed):
    refused("invalid_state", group_buy_mark_ordered, actor=place.leader.user, buy=formed)
    group_buy_close(buy_id=formed.pk)
    buy = group_buy_mark_ordered(actor=place.leader.user, buy=formed)
    assert buy.status == BuyStatus.ORDERED
    assert buy.ordered_at is not None
    refused("invalid_state", group_buy_mark_ordered, actor=place.leader.user, buy=formed)


# --- fail, cancel --------------------------------------------------------------------


def _due(buy):
    GroupBuy.objects.filter(pk=buy.pk).update(deadline=timezone.now() - datetime.timedelta(seconds=1))


def test_fail_releases_entries_and_tells_everyone_once(place):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user)
    signup(buy, place.resident, 2)
    signup(buy, place.neighbour, 1)
    assert group_buy_fail(buy_id=buy.pk) is False  # not due yet
    _due(buy)
    assert group_buy_fail(buy_id=buy.pk) is True

    buy.refresh_from_db()
    assert buy.status == BuyStatus.FAILED
    assert buy.ended_at is not None
    assert set(buy.entries.values_list("status", flat=True)) == {EntryStatus.RELEASED}
    assert not PurchaseOrder.objects.filter(buy=buy).exists()
    notified = sorted(Notification.objects.filter(kind="buy_failed").values_list("user_id", flat=True))
    assert notified == sorted([place.resident.user.pk, place.neighbour.user.pk, place.leader.user.pk])
    before = buy_state(buy)
    assert group_buy_fail(buy_id=buy.pk) is False
    assert buy_state(buy) == before


def test_formed_buy_never_fails(formed):
    _due(formed)
    before = buy_state(formed)
    assert group_buy_fail(buy_id=formed.pk) is False
    assert buy_state(formed) == before


def test_cancel_needs_a_reason_releases_entries_and_tells_the_reason(place, formed):
    before = buy_state(formed)
    refused("reason_required", group_buy_cancel, actor=place.leader.user, buy=formed, reason="  ")
    assert buy_state(formed) == before

    buy = group_buy_cancel(actor=place.leader.user, buy=formed, reason="供应商断货")
    assert (buy.status, buy.cancel_reason) == (BuyStatus.CANCELLED, "供应商断货")
    assert not buy.entries.filter(status=EntryStatus.ACTIVE).exists()
    notice = Notification.objects.get(kind="buy_cancelled", user=place.resident.user)
    assert notice.params["reason"] == "供应商断货"
    assert Notification.objects.filter(kind="buy_cancelled", user=place.building_leader.user).count() == 0  # withdrew
    before = buy_state(formed)
    refused("invalid_state", group_buy_cancel, actor=place.leader.user, buy=formed, reason="again")
    assert buy_state(formed) == before


# --- sweep ---------------------------------------------------------------------------


def test_sweep_closes_due_formed_fails_due_open_repairs_lost_close_and_repeats_harmlessly(place, formed):
    failing = GroupBuyFactory(community=place.community, leader=place.leader.user)
    signup(failing, place.resident, 1)
    lost = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("1"))
    signup(lost, place.resident, 1)  # formed; its close task is never run here (no on_commit in this test)
    GroupBuy.objects.filter(pk=lost.pk).update(
        close_when_formed=True, formed_at=timezone.now() - LOST_CLOSE_GRACE - datetime.timedelta(seconds=1)
    )
    not_due = GroupBuyFactory(community=place.community, leader=place.leader.user)
    _due(formed)
    _due(failing)

    result = group_buys_sweep()

    assert result == {"notices": 1, "closed": 1, "failed": 1, "repaired": 1, "pools_failed": 0, "photos": 0}
    statuses = dict(GroupBuy.objects.values_list("pk", "status"))
    assert statuses == {
        formed.pk: BuyStatus.CLOSED,
        failing.pk: BuyStatus.FAILED,
        lost.pk: BuyStatus.CLOSED,
        not_due.pk: BuyStatus.OPEN,
    }
    assert PurchaseOrder.objects.count() == 2
    notices = Notification.objects.count()
    assert group_buys_sweep() == {
        "notices": 0,
        "closed": 0,
        "failed": 0,
        "repaired": 0,
        "pools_failed": 0,
        "photos": 0,
    }
    assert Notification.objects.count() == notices
