"""Races on real PostgreSQL: threads, each on its own connection, hit the services at the same moment."""

import threading
from decimal import Decimal

import pytest
from django.db import connections
from django.db.models import Sum

from accounts.factories import HouseholdFactory, MembershipFactory
from accounts.models import Notification
from core.errors import ApplicationError
from groupbuy.factories import GroupBuyFactory, main_item, signup
from groupbuy.models import BuyStatus, Entry, EntryLine, EntryStatus, GroupBuy, PurchaseOrder, PurchaseOrderLine
from groupbuy.services.buys import group_buy_close
from groupbuy.services.signup import signup_change, signup_withdraw
from groupbuy.services.sweep import group_buys_sweep

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(calls):
    """Run each callable in its own thread, released at once by a barrier. Returns one result per call:
    ("ok", value), ("refused", code) or ("error", repr) for anything unexpected."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            results[index] = ("ok", call())
        except ApplicationError as exc:
            results[index] = ("refused", exc.code)
        except Exception as exc:  # noqa: BLE001 - reported and asserted on below
            results[index] = ("error", repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not [r for r in results if r is None or r[0] == "error"], results
    return results


def residents(place, count):
    return [
        MembershipFactory(
            community=place.community,
            household=HouseholdFactory(community=place.community, building=place.other_building, room=f"R{n}"),
        )
        for n in range(count)
    ]


def assert_counters_match_entries(buy):
    buy.refresh_from_db()
    live = Entry.objects.filter(buy=buy, status=EntryStatus.ACTIVE)
    lines = EntryLine.objects.filter(entry__buy=buy, entry__status=EntryStatus.ACTIVE)
    assert buy.entry_count == live.count()
    assert buy.total_units == (lines.aggregate(s=Sum("quantity"))["s"] or 0)
    assert buy.total_units == (live.aggregate(s=Sum("units"))["s"] or 0)
    assert buy.total_amount == (live.aggregate(s=Sum("amount"))["s"] or Decimal("0"))
    for item in buy.items.all():
        assert item.total_quantity == (lines.filter(item=item).aggregate(s=Sum("quantity"))["s"] or 0)
        assert item.cap is None or item.total_quantity <= item.cap
    seqs = list(Entry.objects.filter(buy=buy).values_list("seq", flat=True))
    assert len(seqs) == len(set(seqs)) == buy.last_seq


def test_fifty_households_race_for_twenty_units(place):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("100"), item__cap=20)
    people = residents(place, 50)

    results = run_together([lambda m=m: signup(buy, m, 1) for m in people])

    accepted = [r for r in results if r[0] == "ok"]
    assert len(accepted) == 20
    assert sorted(code for kind, code in results if kind == "refused") == ["over_cap"] * 30
    assert main_item(buy).total_quantity == 20
    assert sorted(entry.seq for _, entry in accepted) == list(range(1, 21))
    assert_counters_match_entries(buy)


def test_many_signups_cross_the_moq_at_once_form_once_close_once_notify_once(place):
    buy = GroupBuyFactory(
        community=place.community, leader=place.leader.user, moq=Decimal("10"), close_when_formed=True
    )
    people = residents(place, 30)

    results = run_together([lambda m=m: signup(buy, m, 1) for m in people])

    buy.refresh_from_db()
    assert buy.status == BuyStatus.CLOSED
    accepted = [entry for kind, entry in results if kind == "ok"]
    assert len(accepted) >= 10
    assert {code for kind, code in results if kind == "refused"} <= {"group_buy_closed"}
    assert PurchaseOrder.objects.filter(buy=buy).count() == 1
    ordered = PurchaseOrderLine.objects.get(order__buy=buy).quantity
    assert ordered == len(accepted) == buy.total_units
    assert_counters_match_entries(buy)
    participants = {m.user_id for m in people if Entry.objects.filter(buy=buy, household=m.household).exists()}
    closed = list(Notification.objects.filter(kind="buy_closed").values_list("user_id", flat=True))
    assert sorted(closed) == sorted([*participants, place.leader.user.pk])
    formed = list(Notification.objects.filter(kind="buy_formed").values_list("user_id", flat=True))
    assert len(formed) == len(set(formed))
    assert place.leader.user.pk in formed


@pytest.mark.parametrize("start", ["formed", "open"])
def test_signups_racing_the_deadline_sweep_are_frozen_in_or_refused(place, start):
    moq = Decimal("2") if start == "formed" else Decimal("1000")
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=moq)
    signup(buy, place.resident, 1)
    signup(buy, place.neighbour, 1)
    assert GroupBuy.objects.get(pk=buy.pk).status == start
    people = residents(place, 30)
    # The sweep runs as if the deadline had just passed; the sign-ups still see it ahead.
    sweep_time = buy.deadline

    calls = [lambda m=m: signup(buy, m, 1) for m in people]
    calls.insert(15, lambda: group_buys_sweep(now=sweep_time))
    results = run_together(calls)

    buy.refresh_from_db()
    sweep_result = results[15][1]
    signups = results[:15] + results[16:]
    accepted = [entry.pk for kind, entry in signups if kind == "ok"]
    assert {code for kind, code in signups if kind == "refused"} <= {"group_buy_closed"}
    if start == "formed":
        assert sweep_result["closed"] == 1
        assert buy.status == BuyStatus.CLOSED
        # Every accepted sign-up is in the frozen list and on the purchase order; nothing counted after close.
        frozen = set(Entry.objects.filter(buy=buy, status=EntryStatus.ACTIVE).values_list("pk", flat=True))
        assert set(accepted) <= frozen
        assert len(frozen) == len(accepted) + 2
        assert PurchaseOrderLine.objects.get(order__buy=buy).quantity == len(frozen) == buy.total_units
        assert EntryLine.objects.filter(entry__buy=buy, allocated__isnull=True).count() == 0
        assert_counters_match_entries(buy)
    else:
        assert sweep_result["failed"] == 1
        assert buy.status == BuyStatus.FAILED
        # Accepted before the failure, then released with everyone else: none left live.
        assert not Entry.objects.filter(buy=buy, status=EntryStatus.ACTIVE).exists()
        assert Entry.objects.filter(buy=buy, status=EntryStatus.RELEASED).count() == len(accepted) + 2


def test_close_from_many_paths_at_once_happens_exactly_once(place):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("2"))
    signup(buy, place.resident, 1)
    signup(buy, place.neighbour, 1)

    calls = [lambda: group_buy_close(buy_id=buy.pk) for _ in range(6)]
    calls += [lambda: group_buys_sweep(now=buy.deadline) for _ in range(4)]
    results = run_together(calls)

    closes = sum(1 for _, value in results[:6] if value is True)
    sweeps = sum(value["closed"] for _, value in results[6:])
    assert closes + sweeps == 1
    assert PurchaseOrder.objects.filter(buy=buy).count() == 1
    assert Notification.objects.filter(kind="buy_closed").count() == 3


def test_same_request_sent_many_times_at_once_makes_one_entry(place):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user)

    results = run_together([lambda: signup(buy, place.resident, 2, idempotency_key="tap-tap-tap") for _ in range(10)])

    assert {kind for kind, _ in results} == {"ok"}
    assert len({entry.pk for _, entry in results}) == 1
    assert_counters_match_entries(buy)
    assert GroupBuy.objects.get(pk=buy.pk).total_units == 2


def test_one_household_signing_up_from_two_phones_gets_one_entry(place):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user)

    results = run_together([lambda n=n: signup(buy, place.resident, 1, idempotency_key=f"k{n}") for n in range(8)])

    assert sorted(kind for kind, _ in results) == ["ok"] + ["refused"] * 7
    assert {code for kind, code in results if kind == "refused"} == {"already_signed_up"}
    assert_counters_match_entries(buy)


def test_changes_withdrawals_and_signups_at_once_keep_counters_exact(place):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("30"), item__cap=40)
    item = main_item(buy)
    early = residents(place, 16)
    entries = [signup(buy, m, 2) for m in early]  # 32 of 40 units
    late = [
        MembershipFactory(
            community=place.community,
            household=HouseholdFactory(community=place.community, building=place.building, room=f"L{n}"),
        )
        for n in range(12)
    ]
    calls = []
    for n, (member, entry) in enumerate(zip(early, entries, strict=True)):
        if n % 2:
            calls.append(lambda m=member, e=entry: signup_withdraw(actor=m.user, entry=e))
        else:
            calls.append(lambda m=member, e=entry: signup_change(actor=m.user, entry=e, quantities={item.pk: 3}))
    calls += [lambda m=m: signup(buy, m, 2) for m in late]

    results = run_together(calls)

    assert {code for kind, code in results if kind == "refused"} <= {"over_cap"}
    assert_counters_match_entries(buy)
    withdrawn = Entry.objects.filter(buy=buy, status=EntryStatus.WITHDRAWN).count()
    assert withdrawn == 8
    buy.refresh_from_db()
    assert buy.status == (BuyStatus.FORMED if buy.main_units >= 30 else BuyStatus.OPEN)
