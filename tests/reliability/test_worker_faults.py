"""Issue 8, tests 3, 4, 6 and 7: a real Celery worker (and beat) on Redis, killed and restarted.

A task is stopped at a chosen step without any hook in the code: the test holds a row lock (from its own
PostgreSQL connection) on rows the task must update, waits until PostgreSQL shows the task's statement
blocked on it, and then kills the process running it. What must hold: acks_late +
reject_on_worker_lost redeliver the message, the task's transaction was rolled back with the process,
and the redone task's side effects (purchase order, notices, allocations, refunds) exist exactly once.
"""

import ast
import datetime
import itertools
import json
import os
import re
import signal
from decimal import Decimal

import pytest
import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.factories import HouseholdFactory, MembershipFactory
from accounts.models import Notification
from groupbuy.factories import GroupBuyFactory, signup
from groupbuy.models import BuyStatus, Entry, EntryLine, EntryStatus, GroupBuy, PurchaseOrder
from groupbuy.tasks import close_group_buy
from settlement.models import ChangeDefault, ChangeStatus, Payment, PriceChange, PriceChangeResponse, Refund
from settlement.services.payments import payment_confirm, payment_mark
from settlement.services.price_changes import price_change_propose
from settlement.tasks import resolve_price_change
from tests.reliability.conftest import backends_waiting_on, held_row_lock
from tests.reliability.procs import wait_until
from tests.settlement.conftest import ClosedBuy

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


_rooms = itertools.count(1)


def residents(place, count):
    """`count` residents, each in a household of their own."""
    return [
        MembershipFactory(
            community=place.community,
            household=HouseholdFactory(
                community=place.community, building=place.other_building, room=f"F{next(_rooms)}"
            ),
        )
        for _ in range(count)
    ]


class Abort(Exception):
    """The request failed after the sign-up, so its transaction rolls back."""


def queued(task: str | None = None) -> int:
    """Messages waiting in the default queue (not yet delivered to any worker); of one task when named (other
    work, e.g. the SMS of a notice, may be queued beside it)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    if task is None:
        return client.llen("celery")
    return sum(json.loads(raw)["headers"]["task"] == task for raw in client.lrange("celery", 0, -1))


def formed_buy(place, *, moq=3, **fields):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal(moq), **fields)
    signup(buy, place.resident, moq - 1)
    signup(buy, place.neighbour, 1)
    assert GroupBuy.objects.get(pk=buy.pk).status == BuyStatus.FORMED
    return buy


def entry_line_ids(buy) -> list[int]:
    return list(EntryLine.objects.filter(entry__buy=buy).order_by("pk").values_list("pk", flat=True))


def kill_the_child_running(app, worker, task_name: str) -> int:
    """SIGKILL the pool process that is executing `task_name` (found with Celery's own inspect)."""
    active = app.control.inspect(destination=[worker.extra["node"]], timeout=2).active() or {}
    pids = [t["worker_pid"] for tasks in active.values() for t in tasks if t["name"] == task_name]
    assert len(pids) == 1, active
    os.kill(pids[0], signal.SIGKILL)
    return pids[0]


def assert_closed_once(buy, *participants):
    buy = GroupBuy.objects.get(pk=buy.pk)
    assert buy.status == BuyStatus.CLOSED
    assert PurchaseOrder.objects.filter(buy=buy).count() == 1
    order = PurchaseOrder.objects.get(buy=buy)
    assert [line.quantity for line in order.lines.all()] == [buy.total_units]
    assert order.total_amount == buy.total_amount
    lines = EntryLine.objects.filter(entry__buy=buy)
    assert all(line.allocated == line.quantity for line in lines)
    told = sorted(Notification.objects.filter(dedupe_key=f"buy:{buy.pk}:buy_closed").values_list("user_id", flat=True))
    assert told == sorted({*(p.user.pk for p in participants), buy.leader_id})


def sweep_results(*procs) -> list[dict]:
    found = []
    for proc in procs:
        for match in re.finditer(r"sweep_group_buys\[[^\]]+\] succeeded in [0-9.]+s: (\{[^}]*\})", proc.log(100000)):
            found.append(ast.literal_eval(match.group(1)))
    return found


# --- 3. A worker child killed in the middle of a task --------------------------------------------------------


def test_worker_child_killed_mid_close_is_redelivered_and_the_close_happens_once(place, broker, processes):
    buy = formed_buy(place)
    worker = processes["worker"]("h9-midclose", concurrency=1)

    with held_row_lock("groupbuy_entryline", entry_line_ids(buy)):
        close_group_buy.delay(buy.pk)
        # The close took the buy row (CAS formed -> closed) and now waits to freeze the lines.
        wait_until(lambda: backends_waiting_on("groupbuy_entryline"), procs=(worker,))
        kill_the_child_running(broker, worker, "groupbuy.tasks.close_group_buy")
        wait_until(lambda: "WorkerLostError" in worker.log(500), procs=(worker,))
        # Killed with its transaction open: nothing of the first attempt is visible.
        assert GroupBuy.objects.get(pk=buy.pk).status == BuyStatus.FORMED
        assert not PurchaseOrder.objects.filter(buy=buy).exists()
        assert not Notification.objects.filter(kind="buy_closed").exists()

    # Redelivered at once (reject_on_worker_lost requeues it; no beat runs here to do it instead).
    wait_until(lambda: GroupBuy.objects.get(pk=buy.pk).status == BuyStatus.CLOSED, procs=(worker,))
    assert_closed_once(buy, place.resident, place.neighbour)
    wait_until(lambda: "close_group_buy" in worker.log(500) and "succeeded" in worker.log(500), procs=(worker,))
    assert re.findall(r"close_group_buy\[[^\]]+\] succeeded in [0-9.]+s: (\w+)", worker.log(2000)) == ["True"]


def test_worker_child_killed_mid_price_change_resolution_refunds_exactly_once(place, broker, processes):
    closed = ClosedBuy(place)
    entry = closed.neighbour_entry
    payment_mark(actor=place.neighbour.user, entry=entry, amount="413", method="wechat")
    payment_confirm(actor=place.leader.user, entry=entry)
    change = price_change_propose(
        actor=place.leader.user,
        buy=closed.buy,
        item_id=closed.main.pk,
        new_price="108.00",
        new_cost="95.00",
        reason="The 59-yuan package sold out.",
        deadline=timezone.now() + datetime.timedelta(hours=1),
        default_action=ChangeDefault.WITHDRAW,
    )
    PriceChange.objects.filter(pk=change.pk).update(deadline=timezone.now() - datetime.timedelta(seconds=1))
    worker = processes["worker"]("h9-midrefund", concurrency=1)

    with held_row_lock("settlement_payment", [Payment.objects.get(entry=entry).pk]):
        resolve_price_change.delay(change.pk)
        wait_until(lambda: backends_waiting_on("settlement_payment"), procs=(worker,))
        kill_the_child_running(broker, worker, "settlement.resolve_price_change")
        wait_until(lambda: "WorkerLostError" in worker.log(500), procs=(worker,))
        assert PriceChange.objects.get(pk=change.pk).status == ChangeStatus.OPEN
        assert not Refund.objects.exists()

    wait_until(lambda: PriceChange.objects.get(pk=change.pk).status == ChangeStatus.RESOLVED, procs=(worker,))
    refund = Refund.objects.get()
    assert (refund.entry_id, refund.amount) == (entry.pk, Decimal("413.00"))
    assert PriceChangeResponse.objects.filter(change=change).count() == 2
    entry.refresh_from_db()
    assert (entry.status, entry.amount) == (EntryStatus.WITHDRAWN, Decimal("0"))


# --- 4. The whole worker killed, then restarted --------------------------------------------------------------


def test_whole_worker_killed_loses_no_queued_close_and_does_none_twice(place, broker, processes):
    running = formed_buy(place, close_when_formed=False)
    # The buy whose close is running when the worker dies is a close-when-formed buy: its message stays
    # unacknowledged in Redis until the visibility timeout, and the beat sweep closes it meanwhile.
    GroupBuy.objects.filter(pk=running.pk).update(
        close_when_formed=True, formed_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    waiting = []
    for people in (residents(place, 2), residents(place, 2), residents(place, 2)):
        buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("2"))
        for membership in people:
            signup(buy, membership, 1)
        waiting.append((buy, people))
    first = processes["worker"]("h9-whole-1", concurrency=1)

    with held_row_lock("groupbuy_entryline", entry_line_ids(running)):
        close_group_buy.delay(running.pk)
        wait_until(lambda: backends_waiting_on("groupbuy_entryline"), procs=(first,))
        for buy, _ in waiting:
            close_group_buy.delay(buy.pk)
        assert queued("groupbuy.tasks.close_group_buy") == 3  # prefetch 1: the worker holds only the running one
        first.kill()
    assert {b.status for b in GroupBuy.objects.all()} == {BuyStatus.FORMED}

    second = processes["worker"]("h9-whole-2", concurrency=2, beat=True)
    for buy, people in waiting:
        wait_until(lambda b=buy: GroupBuy.objects.get(pk=b.pk).status == BuyStatus.CLOSED, procs=(second,))
        assert_closed_once(buy, *people)
    wait_until(lambda: GroupBuy.objects.get(pk=running.pk).status == BuyStatus.CLOSED, procs=(second,))
    assert_closed_once(running, place.resident, place.neighbour)
    assert queued() == 0

    # The lost message comes back after the visibility timeout: done again, it changes nothing.
    before = list(Notification.objects.order_by("pk").values_list("pk", flat=True))
    close_group_buy.delay(running.pk)
    wait_until(lambda: "succeeded" in second.log(100000) and ": False" in second.log(100000), procs=(second,))
    assert_closed_once(running, place.resident, place.neighbour)
    assert list(Notification.objects.order_by("pk").values_list("pk", flat=True)) == before


# --- 6. Enqueue after commit only ------------------------------------------------------------------------------


def test_rolled_back_sign_up_enqueues_nothing_and_a_committed_one_enqueues_after_commit(place, broker):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("1"), close_when_formed=True)

    def sign_up_then_fail():
        with transaction.atomic():
            signup(buy, place.resident, 1)  # reaches the MOQ: forms the buy, wants its close enqueued
            assert queued() == 0
            raise Abort

    with pytest.raises(Abort):
        sign_up_then_fail()
    assert queued() == 0
    assert not Entry.objects.filter(buy=buy).exists()
    assert GroupBuy.objects.get(pk=buy.pk).status == BuyStatus.OPEN

    with transaction.atomic():
        signup(buy, place.resident, 1)
        assert queued() == 0  # not before the rows it names are committed
    assert queued() == 2  # the "formed" notice and the close


def test_worker_only_ever_sees_committed_rows(place, broker, processes):
    worker = processes["worker"]("h9-commit")
    rolled_back = GroupBuyFactory(
        community=place.community, leader=place.leader.user, moq=Decimal("1"), close_when_formed=True
    )
    committed = GroupBuyFactory(
        community=place.community, leader=place.leader.user, moq=Decimal("1"), close_when_formed=True
    )

    def sign_up_then_fail():
        with transaction.atomic():
            signup(rolled_back, place.resident, 1)
            raise Abort

    with pytest.raises(Abort):
        sign_up_then_fail()
    signup(committed, place.resident, 1)

    wait_until(lambda: GroupBuy.objects.get(pk=committed.pk).status == BuyStatus.CLOSED, procs=(worker,))
    wait_until(lambda: Notification.objects.filter(kind="buy_formed").exists(), procs=(worker,))
    assert GroupBuy.objects.get(pk=rolled_back.pk).status == BuyStatus.OPEN
    log = worker.log(100000)
    assert "DoesNotExist" not in log
    assert " ERROR" not in log
    assert "close_group_buy[" in log
    assert re.findall(r"close_group_buy\[[^\]]+\] succeeded in [0-9.]+s: (\w+)", log) == ["True"]


# --- 7. Two beat processes by mistake ------------------------------------------------------------------------


def test_two_beats_close_and_fail_every_due_buy_exactly_once(place, broker, processes):
    soon = timezone.now() + datetime.timedelta(seconds=3)
    to_close, to_fail = [], []
    for _ in range(5):
        people = residents(place, 2)
        buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("2"))
        for membership in people:
            signup(buy, membership, 1)
        to_close.append((buy, people))
        buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("50"))
        signup(buy, people[0], 1)
        to_fail.append(buy)
    GroupBuy.objects.update(deadline=soon)
    worker = processes["worker"]("h9-twobeats", concurrency=3)
    beats = (processes["beat"]("h9-beat-1"), processes["beat"]("h9-beat-2"))
    everyone = (worker, *beats)

    due = [b.pk for b, _ in to_close] + [b.pk for b in to_fail]
    wait_until(
        lambda: not GroupBuy.objects.filter(pk__in=due, status__in=[BuyStatus.OPEN, BuyStatus.FORMED]).exists(),
        procs=everyone,
    )
    # Let both beats sweep a few more times after everything was done.
    seen = len(sweep_results(worker))
    wait_until(lambda: len(sweep_results(worker)) >= seen + 2, procs=everyone)

    for beat in beats:
        assert "Sending due task groupbuy.sweep" in beat.log(100000)
    results = sweep_results(worker)
    assert sum(r["closed"] + r["repaired"] for r in results) == len(to_close)
    assert sum(r["failed"] for r in results) == len(to_fail)
    for buy, people in to_close:
        assert_closed_once(buy, *people)
    for buy in to_fail:
        assert GroupBuy.objects.get(pk=buy.pk).status == BuyStatus.FAILED
        assert Notification.objects.filter(dedupe_key=f"buy:{buy.pk}:buy_failed").count() == 2
    assert " ERROR" not in worker.log(100000)
