"""Concurrent requests on PostgreSQL: each thread has its own connection."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from core.errors import Conflict
from groupbuy.models import Entry
from settlement.models import Payment, PriceChange, PriceChangeResponse, Refund
from settlement.services.payments import payment_confirm, payment_mark
from settlement.services.price_changes import price_change_propose, price_change_resolve, price_change_respond
from tests.settlement.conftest import ClosedBuy


def run_together(*calls):
    barrier = threading.Barrier(len(calls))
    outcomes = []

    def run(call):
        try:
            barrier.wait()
            outcomes.append(call())
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_volunteers_confirming_at_once_count_the_money_once(place):
    closed = ClosedBuy(place)
    entry = closed.resident_entry
    payment_mark(actor=place.resident.user, entry=entry, amount="200", method="wechat")

    def confirm(user):
        return lambda: payment_confirm(actor=user, entry=Entry.objects.select_related("buy").get(pk=entry.pk)).paid

    outcomes = run_together(confirm(place.leader.user), confirm(place.data_volunteer.user))
    assert outcomes == [Decimal("200.00"), Decimal("200.00")]
    assert Payment.objects.get(entry=entry).paid == Decimal("200.00")
    assert list(Refund.objects.values_list("amount", flat=True)) == [Decimal("3.00")]


@pytest.mark.django_db(transaction=True)
def test_an_answer_racing_the_deadline_sweep_is_applied_once(place):
    closed = ClosedBuy(place)
    change = price_change_propose(
        actor=place.leader.user,
        buy=closed.buy,
        item_id=closed.main.pk,
        new_price="108",
        reason="sold out",
        deadline=timezone.now() + timedelta(seconds=2),
    )
    entry = closed.neighbour_entry

    def answer():
        return price_change_respond(
            actor=place.neighbour.user,
            change=PriceChange.objects.get(pk=change.pk),
            entry=Entry.objects.select_related("buy").get(pk=entry.pk),
            choice="accept",
        ).choice

    def sweep():
        PriceChange.objects.filter(pk=change.pk).update(deadline=timezone.now())
        return price_change_resolve(change_id=change.pk)

    run_together(answer, answer, sweep)
    responses = PriceChangeResponse.objects.filter(entry=entry)
    assert responses.count() == 1
    entry.refresh_from_db()
    expected = {"accept": Decimal("756.00"), "withdraw": Decimal("0.00")}[responses.get().choice]
    assert entry.amount == expected
