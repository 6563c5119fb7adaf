"""The money always balances: for every settled entry, paid - refunded == owed, through
withdrawals, price changes (accepted, refused, defaulted), shortages and after-sales."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from groupbuy.factories import BuyItemFactory, GroupBuyFactory, main_item, signup
from groupbuy.models import Entry, EntryLine, EntryStatus, GroupBuy
from groupbuy.services.buys import group_buy_close
from groupbuy.services.signup import signup_change, signup_withdraw
from settlement.models import Adjustment, ChangeDefault, PriceChange, Refund, RefundState
from settlement.selectors import entry_money_list, money_of
from settlement.services.after_sales import after_sales_report, after_sales_resolve
from settlement.services.hooks import settlement_buy_closed
from settlement.services.payments import (
    payment_confirm,
    payment_mark,
    refund_confirm,
    refund_mark_paid_back,
    refunds_create_for_entry,
)
from settlement.services.price_changes import price_change_propose, price_change_respond, price_changes_sweep
from settlement.services.shortages import arrivals_record
from tests.settlement.conftest import make_residents

pytestmark = pytest.mark.django_db


def entry(pk):
    return Entry.objects.select_related("buy", "household__building").get(pk=pk)


def pay_due(place, e, membership, extra=Decimal("0")):
    info = money_of(entry_money_list(buy=e.buy).get(pk=e.pk))
    if info["due"] + extra <= 0:
        return
    payment_mark(actor=membership.user, entry=e, amount=str(info["due"] + extra), method="wechat")
    payment_confirm(actor=place.data_volunteer.user, entry=e)


@pytest.mark.parametrize(
    ("rule", "new_price", "default", "arrived_main", "arrived_extra", "after_sales"),
    [
        ("fcfs", "108.00", ChangeDefault.WITHDRAW, 9, 2, "10.00"),
        ("fair_share", "45.50", ChangeDefault.ACCEPT_IF_CHEAPER, 5, 1, "3.30"),
        ("fair_share", "70.00", ChangeDefault.ACCEPT_IF_CHEAPER, 0, 3, "0"),
        ("fcfs", "12.34", ChangeDefault.WITHDRAW, 7, 0, "1.00"),
    ],
)
def test_money_balances_for_every_settled_entry(
    place, rule, new_price, default, arrived_main, arrived_extra, after_sales
):
    people = make_residents(place, 5)
    members = [place.resident, place.neighbour, *people]
    buy = GroupBuyFactory(
        community=place.community,
        leader=place.leader.user,
        allocation_rule=rule,
        item__offer__unit_price=Decimal("59.00"),
        item__offer__supplier_cost=Decimal("50.00"),
    )
    main = main_item(buy)
    extra = BuyItemFactory(buy=buy, offer__unit_price=Decimal("19.90"), offer__supplier_cost=Decimal("15.00"))
    entries = {}
    for i, m in enumerate(members):
        e = signup(buy, m, 1 + i % 3)
        if i % 2 == 0:
            signup_change(actor=m.user, entry=e, quantities={main.pk: 1 + i % 3, extra.pk: 1 + i % 2})
        entries[m.pk] = e.pk
    # Paid and then withdrew before the deadline (refund through the hook), and an overpayer.
    quitter = members[-1]
    pay_due(place, entry(entries[quitter.pk]), quitter)
    signup_withdraw(actor=quitter.user, entry=entry(entries[quitter.pk]))
    refunds_create_for_entry(entry_id=entries[quitter.pk])
    # Top the buy up to its minimum so it forms, then close it.
    signup_change(actor=place.resident.user, entry=entry(entries[place.resident.pk]), quantities={main.pk: 6})
    assert group_buy_close(buy_id=buy.pk)
    settlement_buy_closed(buy_id=buy.pk)
    buy = GroupBuy.objects.get(pk=buy.pk)
    live = [m for m in members if m is not quitter]
    for i, m in enumerate(live):
        pay_due(place, entry(entries[m.pk]), m, extra=Decimal("1.00") if i == 1 else Decimal("0"))

    change = price_change_propose(
        actor=place.leader.user,
        buy=buy,
        item_id=main.pk,
        new_price=new_price,
        new_cost="1.00",
        reason="substitute",
        deadline=timezone.now() + timedelta(hours=1),
        default_action=default,
    )
    price_change_respond(actor=live[0].user, change=change, entry=entry(entries[live[0].pk]), choice="accept")
    price_change_respond(actor=live[1].user, change=change, entry=entry(entries[live[1].pk]), choice="withdraw")
    PriceChange.objects.filter(pk=change.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    price_changes_sweep()
    for m in live:  # those who accepted a dearer price pay the difference
        pay_due(place, entry(entries[m.pk]), m)

    ordered = {
        item.pk: sum(
            EntryLine.objects.filter(item=item, entry__status=EntryStatus.ACTIVE).values_list("quantity", flat=True)
        )
        for item in (main, extra)
    }
    arrived = {}
    if ordered[main.pk]:
        arrived[main.pk] = min(arrived_main, ordered[main.pk])
    if ordered[extra.pk]:
        arrived[extra.pk] = min(arrived_extra, ordered[extra.pk])
    arrivals_record(actor=place.leader.user, buy=buy, arrived=arrived)

    target = next((m for m in live if entry(entries[m.pk]).status == EntryStatus.ACTIVE), None)
    if target is not None and Decimal(after_sales) > 0:
        owed = money_of(entry_money_list(buy=buy).get(pk=entries[target.pk]))["owed"]
        if owed >= Decimal(after_sales):
            report = after_sales_report(
                actor=target.user, entry=entry(entries[target.pk]), kind="damaged", description="crushed"
            )
            after_sales_resolve(actor=place.leader.user, report=report, resolution="refund", refund_amount=after_sales)

    for refund in Refund.objects.filter(buy=buy):
        refund_mark_paid_back(actor=place.leader.user, refund=refund)
        refund_confirm(actor=place.data_volunteer.user, refund=refund)
    assert not Refund.objects.filter(buy=buy).exclude(state=RefundState.CONFIRMED).exists()

    final_price = {main.pk: Decimal(new_price), extra.pk: Decimal("19.90")}
    total_paid = total_refunded = total_owed = Decimal("0")
    for e in entry_money_list(buy=buy):
        info = money_of(e)
        assert info["pending"] == 0
        assert info["paid"] - info["refunded"] == info["owed"], f"entry #{e.seq} does not balance: {info}"
        # Owed is exactly what the household receives at the price it agreed to, minus after-sales credits.
        if e.status == EntryStatus.ACTIVE:
            received = sum(
                (Decimal(line.allocated) * final_price[line.item_id] for line in EntryLine.objects.filter(entry=e)),
                Decimal("0"),
            )
            after_sales_credit = -sum(
                Adjustment.objects.filter(entry=e, reason="after_sales").values_list("amount", flat=True),
                Decimal("0"),
            )
            assert info["owed"] == received - after_sales_credit
        else:
            assert info["owed"] == 0
        total_paid += info["paid"]
        total_refunded += info["refunded"]
        total_owed += info["owed"]
    assert total_paid - total_refunded == total_owed


def test_whole_packs_at_close_are_charged_or_refunded_and_still_balance(place):
    """Pack of 10: 6 + 3 (tolerance 2) + 5 firm = 14 -> one pack; the last firm units are cut (5 -> 1)."""
    third = make_residents(place, 1)[0]
    buy = GroupBuyFactory(
        community=place.community,
        leader=place.leader.user,
        item__offer__unit_price=Decimal("10.00"),
        item__offer__supplier_cost=Decimal("8.00"),
        item__offer__pack_size=10,
    )
    main = main_item(buy)
    a = signup(buy, place.resident, 6)
    b = signup(buy, place.neighbour, 3, tolerances={main.pk: 2})
    c = signup(buy, third, 5)
    for membership, e in ((place.resident, a), (place.neighbour, b), (third, c)):
        pay_due(place, entry(e.pk), membership)
    assert group_buy_close(buy_id=buy.pk)  # the close calls the settlement hook itself
    assert Adjustment.objects.filter(buy_id=buy.pk).count() == 1
    assert settlement_buy_closed(buy_id=buy.pk) == 0  # idempotent: a repeat adds nothing
    assert dict(EntryLine.objects.filter(item=main).values_list("entry_id", "allocated")) == {a.pk: 6, b.pk: 3, c.pk: 1}
    refund = Refund.objects.get()
    assert (refund.entry_id, refund.amount) == (c.pk, Decimal("40.00"))

    # The price goes up to 12: the resident accepts, the neighbour (3 ordered, tolerance) accepts, the third
    # (cut to 1) does not answer and is withdrawn at the deadline.
    change = price_change_propose(
        actor=place.leader.user,
        buy=GroupBuy.objects.get(pk=buy.pk),
        item_id=main.pk,
        new_price="12.00",
        reason="price up",
        deadline=timezone.now() + timedelta(hours=1),
    )
    price_change_respond(actor=place.resident.user, change=change, entry=entry(a.pk), choice="accept")
    price_change_respond(actor=place.neighbour.user, change=change, entry=entry(b.pk), choice="accept")
    PriceChange.objects.filter(pk=change.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    price_changes_sweep()
    assert entry(c.pk).status == EntryStatus.WITHDRAWN
    for membership, e in ((place.resident, a), (place.neighbour, b)):
        pay_due(place, entry(e.pk), membership)
    # A shortage on top: 7 of the 9 still wanted arrive.
    arrivals_record(actor=place.leader.user, buy=GroupBuy.objects.get(pk=buy.pk), arrived={main.pk: 7})
    for r in Refund.objects.filter(buy=buy):
        refund_mark_paid_back(actor=place.leader.user, refund=r)
        refund_confirm(actor=place.data_volunteer.user, refund=r)
    for e in entry_money_list(buy=buy):
        info = money_of(e)
        assert info["paid"] - info["refunded"] == info["owed"], info
        if e.status == EntryStatus.ACTIVE:
            assert info["owed"] == EntryLine.objects.get(entry=e).allocated * Decimal("12.00")
        else:
            assert info["owed"] == 0


def test_tolerance_filled_at_close_is_charged(place):
    buy = GroupBuyFactory(
        community=place.community,
        leader=place.leader.user,
        item__offer__unit_price=Decimal("10.00"),
        item__offer__supplier_cost=Decimal("8.00"),
        item__offer__pack_size=10,
    )
    main = main_item(buy)
    signup(buy, place.resident, 15)  # firm 17 = one pack + 7; the tolerance of 3 fills a second pack
    b = signup(buy, place.neighbour, 2, tolerances={main.pk: 3})
    pay_due(place, entry(b.pk), place.neighbour)
    assert group_buy_close(buy_id=buy.pk)
    settlement_buy_closed(buy_id=buy.pk)
    info = money_of(entry_money_list(buy=buy).get(pk=b.pk))
    assert (info["owed"], info["paid"], info["due"]) == (Decimal("50.00"), Decimal("20.00"), Decimal("30.00"))
    # Accepting a new price moves the tolerance units to the new price too: 5 units x 11.
    change = price_change_propose(
        actor=place.leader.user,
        buy=GroupBuy.objects.get(pk=buy.pk),
        item_id=main.pk,
        new_price="11.00",
        reason="price up",
        deadline=timezone.now() + timedelta(hours=1),
    )
    response = price_change_respond(actor=place.neighbour.user, change=change, entry=entry(b.pk), choice="accept")
    assert response.amount_delta == Decimal("5.00")
    info = money_of(entry_money_list(buy=buy).get(pk=b.pk))
    assert info["owed"] == Decimal("55.00")
