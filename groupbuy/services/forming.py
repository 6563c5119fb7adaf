"""Forming: a buy (or a pool) whose counters reach the MOQ forms, one that falls below it opens again.

Below sign-up, pools and the lifecycle; above locks and transitions. The "formed" notice and the close of a
close-when-formed buy are enqueued by task name after commit (services never import the tasks module).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from core.enqueue import enqueue_task_on_commit
from groupbuy import exceptions as err
from groupbuy.models import (
    BuyStatus,
    GroupBuy,
    MoqKind,
    Pool,
    PoolMember,
    PoolMemberStatus,
    PoolStatus,
    moq_reached_q,
    version_next,
)
from groupbuy.services.locks import buys_lock

NOTIFY_FORMED_TASK = "groupbuy.tasks.notify_buy_formed"
CLOSE_TASK = "groupbuy.tasks.close_group_buy"


def buy_form_if_reached(buy: GroupBuy) -> bool:
    """Compare-and-swap open -> formed when the DB counters reach the MOQ. Caller holds the buy row lock."""
    formed = (
        GroupBuy.objects.filter(moq_reached_q(), pk=buy.pk, status=BuyStatus.OPEN).update(
            status=BuyStatus.FORMED, formed_at=timezone.now(), version=version_next()
        )
        == 1
    )
    if formed:
        enqueue_task_on_commit(NOTIFY_FORMED_TASK, buy.pk)
        if buy.close_when_formed:
            enqueue_task_on_commit(CLOSE_TASK, buy.pk)
    return formed


def buy_unform_if_below(buy: GroupBuy, now: Any) -> bool:
    """A formed buy that fell below the MOQ before its deadline is open again. Caller holds the lock."""
    return (
        GroupBuy.objects.filter(~moq_reached_q(), pk=buy.pk, status=BuyStatus.FORMED, deadline__gt=now).update(
            status=BuyStatus.OPEN, formed_at=None, version=version_next()
        )
        == 1
    )


def pool_apply_delta(*, pool_id: int, main_units: int, amount: Decimal) -> None:
    """Add a member buy's counter change to the pool (caller holds the pool lock). A decrease in a formed
    pool is refused when it would take the total below the MOQ."""
    if not main_units and not amount:
        return
    rows = Pool.objects.filter(pk=pool_id)
    if main_units < 0 or amount < 0:
        rows = rows.filter(
            Q(status=PoolStatus.OPEN)
            | Q(moq_kind=MoqKind.UNITS, main_units__gte=F("moq") - main_units)
            | Q(moq_kind=MoqKind.AMOUNT, total_amount__gte=F("moq") - amount)
        )
    if rows.update(main_units=F("main_units") + main_units, total_amount=F("total_amount") + amount) != 1:
        raise err.pool_minimum_needed()


def pool_form_if_reached(*, pool_id: int) -> bool:
    """Compare-and-swap open -> formed when the pool total reaches the MOQ, and form every member buy in the
    same transaction (member buys locked in primary-key order). Caller holds the pool lock."""
    now = timezone.now()
    if not Pool.objects.filter(moq_reached_q(), pk=pool_id, status=PoolStatus.OPEN).update(
        status=PoolStatus.FORMED, formed_at=now
    ):
        return False
    member_ids = list(
        PoolMember.objects.filter(pool_id=pool_id, status=PoolMemberStatus.ACTIVE).values_list("buy_id", flat=True)
    )
    locked = buys_lock(buy_ids=member_ids, fields=("pk", "status", "close_when_formed"))
    for buy_id, status, close_when_formed in locked:
        if status != BuyStatus.OPEN:
            continue
        GroupBuy.objects.filter(pk=buy_id, status=BuyStatus.OPEN).update(
            status=BuyStatus.FORMED, formed_at=now, version=version_next()
        )
        enqueue_task_on_commit(NOTIFY_FORMED_TASK, buy_id)
        if close_when_formed:
            enqueue_task_on_commit(CLOSE_TASK, buy_id)
    return True
