"""Compare-and-swap state transitions for group buys.

A transition is one conditional UPDATE on the current state: done twice, the
second call changes nothing and returns False. Callers decide whether a
False is an error (a user action on a stale state) or a harmless repeat (a
redelivered task).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q

from groupbuy.models import GroupBuy, version_next


def buy_transition(
    *, buy_id: int, from_states: Iterable[str], to_state: str, where: Q | None = None, **fields: Any
) -> bool:
    """Move buy `buy_id` to `to_state` if it is in one of `from_states` (and matches `where`, if given).
    Extra `fields` are set too. The UPDATE takes the buy's row lock until the transaction ends."""
    rows = GroupBuy.objects.filter(pk=buy_id, status__in=list(from_states))
    if where is not None:
        rows = rows.filter(where)
    return rows.update(status=to_state, version=version_next(), **fields) == 1


def buy_current_pool_set(*, buy_id: int, pool_id: int | None) -> None:
    """Copy the buy's active membership onto its row (GroupBuy.current_pool). Caller holds the buy's row lock
    (or created the buy in this transaction), as for the PoolMember change itself."""
    GroupBuy.objects.filter(pk=buy_id).update(current_pool_id=pool_id, version=version_next())


def buys_touch(*, buy_id: int | None = None, offer_id: int | None = None) -> None:
    """Move the version of buy `buy_id`, or of every buy selling offer `offer_id`, after a write to another row
    that their pages show (an item's price or stock, an offer's text or photo). Writes to the buy row itself
    pass `version_next()` in their own UPDATE instead. Call it in the write's transaction."""
    if buy_id is not None:
        GroupBuy.objects.filter(pk=buy_id).update(version=version_next())
    if offer_id is not None:
        GroupBuy.objects.filter(items__offer_id=offer_id).update(version=version_next())
