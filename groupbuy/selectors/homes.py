"""The team leader's home block: their buys still in progress, each with the next thing to do.

The next action is derived from the buy's status alone (`buy_next_action`), so the home page, and anything
else that wants to say "what now?", read one table instead of repeating the state machine.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import User
from groupbuy.models import BuyStatus, GroupBuy

# status -> (next action, whether it waits on the leader). The action names are stable keys the page maps to
# a link and a label: "publish", "watch" (sign-ups running), "close", "order", "file", "await_review",
# "receive" (the delivery's gate, disinfection and release), "hand_out".
_NEXT_ACTION: dict[str, tuple[str, bool]] = {
    BuyStatus.DRAFT: ("publish", True),
    BuyStatus.OPEN: ("watch", False),
    BuyStatus.FORMED: ("close", True),
    BuyStatus.CLOSED: ("order", True),
    BuyStatus.ORDERED: ("file", True),
    BuyStatus.FILED: ("await_review", False),
    BuyStatus.APPROVED: ("receive", False),
    BuyStatus.ON_HOLD: ("receive", False),
    BuyStatus.ARRIVED: ("receive", False),
    BuyStatus.DISINFECTED: ("receive", False),
    BuyStatus.RELEASED: ("hand_out", True),
    BuyStatus.DISTRIBUTING: ("hand_out", True),
}

# Buys that are over (completed, failed, cancelled) have no next action and are not on the home page.
IN_PROGRESS_STATES = tuple(_NEXT_ACTION)

MAX_HOME_BUYS = 20


@dataclass(frozen=True)
class LeaderBuyRow:
    buy: GroupBuy
    action: str
    waits_on_leader: bool


def buy_next_action(buy: GroupBuy) -> tuple[str, bool] | None:
    """The next step of a buy (action key, whether the leader must act), or None when the buy is over."""
    return _NEXT_ACTION.get(buy.status)


def leader_home_buy_list(*, user: User, community_id: int, limit: int = MAX_HOME_BUYS) -> list[LeaderBuyRow]:
    """The buys `user` leads in the community that are not over: those waiting on the leader first, then by
    delivery date (one query). Only the leader's own buys, so no visibility check beyond that."""
    buys = GroupBuy.objects.filter(community_id=community_id, leader=user, status__in=list(IN_PROGRESS_STATES))
    rows = []
    for buy in buys.order_by("delivery_date", "deadline", "id")[:100]:  # a leader runs a handful at a time
        action, waits = _NEXT_ACTION[buy.status]
        rows.append(LeaderBuyRow(buy=buy, action=action, waits_on_leader=waits))
    rows.sort(key=lambda row: not row.waits_on_leader)  # stable: date order kept inside each group
    return rows[:limit]
