"""Donations race sign-ups and the close on real PostgreSQL (issue 13 item 1): threads, each on its own
connection, released together. A capped item is never oversold, whoever asks for the last units; every
donation the close let in is in the purchase order, and none is added after it."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from groupbuy.factories import GroupBuyFactory, main_item, signup
from groupbuy.models import BuyItem, BuyStatus, EntryLine, EntryStatus, GroupBuy, PurchaseOrderLine
from groupbuy.services.buys import group_buy_close
from settlement.models import Donation
from settlement.services.donations import donation_add
from tests.groupbuy.test_races import residents, run_together

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _needs_postgresql():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SKIPPED LOUDLY: row locks and conditional UPDATEs need PostgreSQL (set DATABASE_URL)")


def donated(buy):
    return Donation.objects.filter(buy=buy).aggregate(s=Sum("quantity"))["s"] or 0


def ordered_by_entries(item):
    return EntryLine.objects.filter(item=item, entry__status=EntryStatus.ACTIVE).aggregate(s=Sum("quantity"))["s"] or 0


def test_donations_and_signups_racing_for_the_last_units_never_oversell(place):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("1000"), item__cap=10)
    item = main_item(buy)
    signers = residents(place, 12)
    donors = signers[6:]  # half of them also donate
    calls = [lambda m=m: signup(buy, m, 1) for m in signers]
    calls += [lambda m=m: donation_add(actor=m.user, buy=buy, item_id=item.pk, quantity=1) for m in donors]

    results = run_together(calls)

    accepted = [r for r in results if r[0] == "ok"]
    assert len(accepted) == 10
    assert sorted(code for kind, code in results if kind == "refused") == ["over_cap"] * (len(calls) - 10)
    stock = BuyItem.objects.get(pk=item.pk).total_quantity
    assert stock == 10 == ordered_by_entries(item) + donated(buy)


def test_donations_racing_the_close_are_ordered_or_refused(place):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("1"))
    item = main_item(buy)
    signup(buy, place.neighbour, 2)
    assert GroupBuy.objects.get(pk=buy.pk).status == BuyStatus.FORMED
    donors = residents(place, 10)
    calls = [lambda m=m: donation_add(actor=m.user, buy=buy, item_id=item.pk, quantity=1) for m in donors]
    calls.append(lambda: group_buy_close(buy_id=buy.pk))

    results = run_together(calls)

    assert {code for kind, code in results if kind == "refused"} <= {"group_buy_closed"}
    assert GroupBuy.objects.get(pk=buy.pk).status == BuyStatus.CLOSED
    accepted = [value for kind, value in results[:-1] if kind == "ok"]
    assert len(accepted) == donated(buy)
    # Every donation the close let in is in the purchase order: 2 ordered by the neighbour plus the donations.
    assert PurchaseOrderLine.objects.get(order__buy=buy, item=item).quantity == 2 + donated(buy)
