"""Reads of a buy and its entries as settlement sees them: who may see and manage them."""

from __future__ import annotations

from accounts.display import public_identity
from accounts.models import User
from accounts.permissions import Action, can
from groupbuy.models import Entry, GroupBuy
from settlement import exceptions as errors


def buy_get(*, user: User, buy_id: int) -> GroupBuy:
    """The buy, if the user is a member of its community."""
    buy = GroupBuy.objects.select_related("community", "leader").filter(pk=buy_id).first()
    if buy is None or not can(user, Action.VIEW, buy.community_id):
        raise errors.not_found()
    return buy


def entry_get(*, entry_id: int) -> Entry:
    """The entry with its buy and household (no visibility check: the caller checks who may see it)."""
    entry = Entry.objects.select_related("buy", "household__building").filter(pk=entry_id).first()
    if entry is None:
        raise errors.not_found()
    return entry


def can_hand_over(user: User, buy: GroupBuy) -> bool:
    return can(user, Action.HAND_OVER, buy.community_id)


def identity(entry: Entry) -> str:
    return public_identity(entry.household.label, entry.display_name or "")
