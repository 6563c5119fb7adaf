"""Closed buys with entries, made through the real sign-up and close services."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.factories import HouseholdFactory, MembershipFactory, UserFactory
from groupbuy.factories import BuyItemFactory, GroupBuyFactory, main_item, signup
from groupbuy.models import BuyStatus, Entry, GroupBuy
from groupbuy.services.buys import group_buy_close
from settlement.services.hooks import settlement_buy_closed


class ClosedBuy:
    """A buy of two items (main: 59.00, extra: 20.00) with the resident (3 main + 1 extra) and the
    neighbour (7 main) signed up, closed by the close service."""

    def __init__(self, place, *, allocation_rule="fcfs", extra_signups=()):
        self.place = place
        self.buy = GroupBuyFactory(
            community=place.community,
            leader=place.leader.user,
            allocation_rule=allocation_rule,
            item__offer__unit_price=Decimal("59.00"),
            item__offer__supplier_cost=Decimal("50.00"),
        )
        self.main = main_item(self.buy)
        self.extra = BuyItemFactory(
            buy=self.buy, offer__unit_price=Decimal("20.00"), offer__supplier_cost=Decimal("15.00")
        )
        self.resident_entry = signup(self.buy, place.resident, 3)
        from groupbuy.services.signup import signup_change

        signup_change(
            actor=place.resident.user,
            entry=self.resident_entry,
            quantities={self.main.pk: 3, self.extra.pk: 1},
        )
        self.neighbour_entry = signup(self.buy, place.neighbour, 7)
        for membership, qty in extra_signups:
            signup(self.buy, membership, qty)
        assert group_buy_close(buy_id=self.buy.pk)
        settlement_buy_closed(buy_id=self.buy.pk)  # the close hook (idempotent if the close service calls it)
        self.refresh()

    def refresh(self):
        self.buy = GroupBuy.objects.get(pk=self.buy.pk)
        self.resident_entry = Entry.objects.select_related("buy", "household__building").get(pk=self.resident_entry.pk)
        self.neighbour_entry = Entry.objects.select_related("buy", "household__building").get(
            pk=self.neighbour_entry.pk
        )
        return self

    def set_status(self, status):
        GroupBuy.objects.filter(pk=self.buy.pk).update(status=status)
        return self.refresh()


@pytest.fixture
def closed(place):
    return ClosedBuy(place)


@pytest.fixture
def make_closed(place):
    def make(**kwargs):
        return ClosedBuy(place, **kwargs)

    return make


def make_residents(place, count, *, building=None):
    """`count` extra resident memberships in their own households."""
    people = []
    for i in range(count):
        household = HouseholdFactory(
            community=place.community, building=building or place.other_building, room=f"{1000 + i}"
        )
        user = UserFactory(username=f"{place.community.name}-r{i}", display_name=f"李{i}")
        people.append(MembershipFactory(user=user, household=household, community=place.community))
    return people


RELEASED = BuyStatus.RELEASED
