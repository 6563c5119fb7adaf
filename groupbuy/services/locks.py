"""Row locks of the group-buy app, in one place and one order (Saleor's order/lock_objects.py).

Lock order everywhere: the Pool row, then GroupBuy rows in primary-key order, then BuyItem rows in primary-key
order, then Entry rows. Every function here evaluates its queryset, so the lock is really taken when it returns,
and must be called inside ``transaction.atomic()``; the lock is held until that transaction ends.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Q
from django.utils import timezone

from groupbuy import exceptions as err
from groupbuy.models import SIGNUP_STATES, BuyStatus, Entry, EntryStatus, GroupBuy, Pool, PoolStatus
from groupbuy.selectors.pools import pool_id_get_for_buy


class PoolChanged(Exception):
    """The buy joined or left a pool between reading its membership and locking it: retry the transaction."""


# --- pools ----------------------------------------------------------------------------------------------------


def pool_lock(*, pool_id: int) -> None:
    """Take the pool's row lock (evaluated here). Call before taking a member buy's lock."""
    list(Pool.objects.select_for_update().filter(pk=pool_id).values_list("pk"))


def pool_lock_for_buy(*, buy_id: int) -> int | None:
    """Lock the pool `buy_id` belongs to (if any) and return its id. Call before taking the buy's lock."""
    pool_id = pool_id_get_for_buy(buy_id)
    if pool_id is not None:
        pool_lock(pool_id=pool_id)
    return pool_id


def pool_verify(*, buy_id: int, pool_id: int | None) -> None:
    """After the buy lock: the membership read before must still hold (join/leave take the buy lock too)."""
    if pool_id_get_for_buy(buy_id) != pool_id:
        raise PoolChanged


def pool_lock_open(pool_id: int, now: datetime.datetime) -> Pool:
    """Lock the pool and return it if it still takes members (open, before its deadline), else raise
    not_found, pool_formed or pool_closed. Take it before any member buy's lock."""
    pool = Pool.objects.select_for_update().filter(pk=pool_id).first()
    if pool is None:
        raise err.not_found()
    if pool.status == PoolStatus.FORMED:
        raise err.pool_formed()
    if pool.status != PoolStatus.OPEN or pool.deadline <= now:
        raise err.pool_closed()
    return pool


# --- buys -----------------------------------------------------------------------------------------------------


def buys_lock(*, buy_ids: Iterable[int], fields: tuple[str, ...] = ("pk",)) -> list[tuple[Any, ...]]:
    """Lock the buys `buy_ids` in primary-key order and return `fields` of each (a tuple per buy, in that order).
    Caller holds the pool lock first when the buys are a pool's members."""
    return list(GroupBuy.objects.select_for_update().filter(pk__in=list(buy_ids)).order_by("pk").values_list(*fields))


def buy_lock_open_for_pool(buy_id: int, now: datetime.datetime) -> GroupBuy:
    """Lock the buy and return it if it may join or start a pool (open, before its deadline; a formed buy is
    refused). Not the sign-up rule (that is `buy_lock_taking_signups`). Caller holds the pool lock, if any."""
    buy = GroupBuy.objects.select_for_update().filter(pk=buy_id).first()
    if buy is None:
        raise err.not_found()
    if buy.status == BuyStatus.FORMED:
        raise err.pool_formed() if pool_id_get_for_buy(buy_id) else err.invalid_state()
    if buy.status != BuyStatus.OPEN or buy.deadline <= now:
        raise err.group_buy_closed()
    return buy


def buy_signup_state(buy_id: int) -> Mapping[str, Any] | None:
    """The buy's status, deadline and pool (no lock): read only to word a refusal or detect a pool change."""
    return GroupBuy.objects.filter(pk=buy_id).values("status", "deadline", "current_pool_id").first()


def signup_refusal_for(buy_id: int) -> Exception:
    """Why a conditional UPDATE on the buy changed nothing (read after the fact, only to word the error)."""
    return signup_refusal_from(buy_signup_state(buy_id))


def signup_refusal_from(state: Mapping[str, Any] | None) -> Exception:
    """The refusal for a buy in `state` (from `buy_signup_state`) that takes no sign-ups."""
    if state is None:
        return err.not_found()
    if state["status"] in SIGNUP_STATES and state["deadline"] <= timezone.now():
        return err.deadline_passed()
    return err.group_buy_closed()


def buy_taking_signups_q(buy_id: int, now: Any) -> Q:
    """The rule every sign-up path uses: the buy is open or formed and its deadline has not passed."""
    return Q(pk=buy_id, status__in=list(SIGNUP_STATES), deadline__gt=now)


def buy_lock_taking_signups(*, buy_id: int, now: Any) -> None:
    """Lock the buy's row if it takes sign-ups right now (open or formed, before its deadline: the rule every
    sign-up path uses), else raise the sign-up refusal (group_buy_closed, deadline_passed, not_found).

    Precondition: inside `transaction.atomic()`; the lock is held until it ends, so a close (a compare-and-swap
    on this row) waits for the caller's commit or makes the caller's lock refuse. Take it before any item or entry
    row; a caller in a pool takes the pool lock first. Used by sign-up changes and by donations."""
    # Evaluated (list), so the row lock is really taken here, before the entry is locked.
    if not list(GroupBuy.objects.select_for_update().filter(buy_taking_signups_q(buy_id, now)).values_list("pk")):
        raise signup_refusal_for(buy_id)


def pool_then_buy_lock_taking_signups(buy_id: int, now: Any) -> int | None:
    """Lock the buy's pool (if any), then the buy (evaluated, so the row lock is really taken here, before the
    entry is locked). Returns the locked pool id."""
    pool_id = pool_lock_for_buy(buy_id=buy_id)
    buy_lock_taking_signups(buy_id=buy_id, now=now)
    pool_verify(buy_id=buy_id, pool_id=pool_id)
    return pool_id


# --- entries --------------------------------------------------------------------------------------------------


def entry_lock_active(entry_id: int) -> Entry:
    """Lock the entry (the caller already holds the buy lock, so buy -> entry is the lock order)."""
    locked = Entry.objects.select_for_update().filter(pk=entry_id, status=EntryStatus.ACTIVE).first()
    if locked is None:
        raise err.invalid_state()
    return locked
