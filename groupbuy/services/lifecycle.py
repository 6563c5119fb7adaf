"""A group buy's end steps below the pools: fail, cancel one buy inside a caller's transaction, the "formed"
notice. Pools (pool_fail, pool_cancel) and the buys' leader actions build on these; each step is a
compare-and-swap, so a repeat (a redelivered task, a second sweep) changes nothing.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from groupbuy.models import BuyStatus, Entry, EntryStatus, GroupBuy, PoolMember, PoolMemberStatus
from groupbuy.notifications import notify_buy, participant_user_ids
from groupbuy.services.transitions import buy_transition
from settlement.services.hooks import refunds_create_for_released_entries

# A buy in these states has nothing to announce as formed (never formed, back to open, or ended).
NOT_FORMED_STATES = (BuyStatus.DRAFT, BuyStatus.OPEN, BuyStatus.FAILED, BuyStatus.CANCELLED)
# Before these states the leader may still cancel (after them the goods are on their way).
CANCELLABLE = (BuyStatus.DRAFT, BuyStatus.OPEN, BuyStatus.FORMED, BuyStatus.CLOSED, BuyStatus.ORDERED)


def entries_release(buy_id: int) -> int:
    """Release the buy's active entries (it failed or was cancelled). Caller holds the buy row lock."""
    return Entry.objects.filter(buy_id=buy_id, status=EntryStatus.ACTIVE).update(
        status=EntryStatus.RELEASED, updated_at=timezone.now()
    )


def group_buy_fail(*, buy_id: int, now: datetime.datetime | None = None, pooled: bool = False) -> bool:
    """Fail an open buy whose deadline passed below the MOQ (流团): release entries, tell everyone.
    True if this call did it. A buy in a pool fails only with its pool (`pooled=True`, from pool_fail)."""
    now = now or timezone.now()
    where = Q(deadline__lte=now)
    if not pooled:
        where &= ~Q(pk__in=PoolMember.objects.filter(status=PoolMemberStatus.ACTIVE).values("buy_id"))
    with transaction.atomic():
        if not buy_transition(
            buy_id=buy_id,
            from_states=[BuyStatus.OPEN],
            to_state=BuyStatus.FAILED,
            where=where,
            ended_at=now,
        ):
            return False
        buy = GroupBuy.objects.get(pk=buy_id)
        entries_release(buy_id)
        refunds_create_for_released_entries(buy_id=buy_id)
        notify_buy(buy=buy, kind="buy_failed", user_ids=participant_user_ids(buy_id=buy_id, statuses=["released"]))
    return True


def group_buy_notify_formed(*, buy_id: int) -> int:
    """Tell participants and the leader the buy formed (once, whatever happens to it afterwards)."""
    buy = GroupBuy.objects.filter(pk=buy_id).first()
    # Formed and then back to open (a withdrawal) before this ran: nothing to announce yet.
    if buy is None or buy.status in NOT_FORMED_STATES:
        return 0
    return notify_buy(buy=buy, kind="buy_formed", user_ids=participant_user_ids(buy_id=buy_id))


def buy_cancel_locked(
    *,
    buy_id: int,
    reason: str,
    now: datetime.datetime,
    kind: str = "buy_cancelled",
    params: dict[str, Any] | None = None,
) -> bool:
    """Cancel one buy inside the caller's transaction (its pool, if any, already locked by the caller):
    compare-and-swap to cancelled from a cancellable state, release the entries, create the refunds, tell
    the participants and the leader (`kind`, with the reason). False if the buy was not cancellable."""
    if not buy_transition(
        buy_id=buy_id,
        from_states=CANCELLABLE,
        to_state=BuyStatus.CANCELLED,
        cancel_reason=reason,
        ended_at=now,
    ):
        return False
    entries_release(buy_id)
    refunds_create_for_released_entries(buy_id=buy_id)
    notify_buy(
        buy=GroupBuy.objects.get(pk=buy_id),
        kind=kind,
        user_ids=participant_user_ids(buy_id=buy_id, statuses=["released"]),
        params={"reason": reason, **(params or {})},
    )
    return True
