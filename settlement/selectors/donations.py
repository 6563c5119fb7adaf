"""Donations of a buy and who may see their recipients."""

from __future__ import annotations

from accounts.models import User
from accounts.permissions import is_buy_leader, membership_for
from groupbuy.models import GroupBuy
from settlement.models import (
    Donation,
)


def donation_list(*, buy: GroupBuy):
    """Every donation of the buy. Who received one reveals the committee-only vulnerable list: show
    `recipient` only to whom `can_see_donation_recipients` allows."""
    return (
        Donation.objects.filter(buy_id=buy.pk)
        .select_related("item__offer", "recipient__building", "donor")
        .order_by("pk")
    )


def can_see_donation_recipients(user: User, buy: GroupBuy) -> bool:
    """Committee staff of the buy's community and the buy's leader see the vulnerable list and choose donation
    recipients (DESIGN "Who may do what"); residents and volunteers never see who received a donation."""
    membership = membership_for(user, buy.community_id)
    if membership is None:
        return False
    return membership.is_committee or is_buy_leader(user, buy)
