"""Issue 13, item 12: "your goods are ready, your pickup code is …" goes out when the goods are released for
distribution, once per household and buy, not when the codes are issued right after the close."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.factories import MembershipFactory
from accounts.models import Notification
from compliance.models import Filing, FilingStatus
from compliance.services.delivery import delivery_release
from core.errors import ApplicationError
from groupbuy.models import BuyStatus, GroupBuy
from settlement.models import PickupCode
from settlement.services import distribution
from settlement.services.distribution import pickup_codes_issue
from tests.settlement.conftest import ClosedBuy

pytestmark = pytest.mark.django_db


def disinfected_filing(closed, *, minutes_ago: int = 60) -> Filing:
    """The closed buy's approved delivery, arrived and disinfected `minutes_ago` (the gate steps are the
    compliance tests' business; here only the release matters)."""
    now = timezone.now()
    filing = Filing.objects.create(
        community=closed.buy.community,
        buy=closed.buy,
        submitted_by=closed.place.leader.user,
        status=FilingStatus.APPROVED,
        gate="North gate",
        arrival_start=now - timedelta(hours=2),
        arrival_end=now + timedelta(hours=1),
        vehicle_plate="沪A 12345",
        driver_name="李师傅",
        test_sampled_at=now - timedelta(hours=20),
        submitted_at=now - timedelta(days=1),
        arrived_at=now - timedelta(minutes=minutes_ago + 20),
        disinfected_at=now - timedelta(minutes=minutes_ago),
    )
    closed.set_status(BuyStatus.DISINFECTED)
    return filing


def issue_codes(closed, via, web, api):
    leader = closed.place.leader.user
    if via == "page":
        response = web(leader).post(reverse("settlement:issue_codes", kwargs={"pk": closed.buy.pk}))
        assert response.status_code == 302
    else:
        response = api(leader).post(reverse("api-settlement-pickup-codes", kwargs={"pk": closed.buy.pk}))
        assert response.status_code == 200, response.content
    assert PickupCode.objects.filter(buy=closed.buy).count() == 2


def release(filing, via, web, api, user):
    if via == "page":
        response = web(user).post(reverse("compliance:release", kwargs={"pk": filing.pk}), {"confirm": "yes"})
        assert response.status_code == 302
    else:
        response = api(user).post(reverse("api-compliance-release", kwargs={"pk": filing.pk}))
        assert response.status_code == 200, response.content
    assert GroupBuy.objects.get(pk=filing.buy_id).status == BuyStatus.RELEASED


def pickup_notices():
    return sorted(Notification.objects.filter(kind="pickup_ready").values_list("user_id", "dedupe_key", "params__code"))


def expected_notices(closed):
    codes = dict(PickupCode.objects.filter(buy=closed.buy).values_list("entry__household_id", "code"))
    people = {
        entry.household_id: {
            entry.placed_by_id,
            *entry.household.memberships.filter(is_active=True).values_list("user_id", flat=True),
        }
        for entry in (closed.resident_entry, closed.neighbour_entry)
    }
    return sorted(
        (uid, f"buy:{closed.buy.pk}:pickup_ready:{household}", codes[household])
        for household, uids in people.items()
        for uid in uids
    )


@pytest.mark.parametrize("via", ["page", "api"])
def test_pickup_codes_issued_after_close_are_announced_only_when_the_goods_are_released(closed, place, web, api, via):
    # A second account in the resident's household hears it too, once.
    MembershipFactory(community=place.community, household=place.resident.household)

    issue_codes(closed, via, web, api)
    assert pickup_notices() == []  # the goods are not even ordered yet

    filing = disinfected_filing(closed)
    assert pickup_notices() == []
    release(filing, via, web, api, place.receiving_volunteer.user)

    notices = pickup_notices()
    assert notices == expected_notices(closed)
    assert len(notices) == 3  # the resident's household (two accounts) and the neighbour's, each once
    # Issuing again (distribution starts) and announcing again add nothing.
    assert pickup_codes_issue(actor=place.leader.user, buy=closed.buy) == 0
    assert GroupBuy.objects.get(pk=closed.buy.pk).status == BuyStatus.DISTRIBUTING
    distribution.pickup_ready_notify(buy_id=closed.buy.pk)
    assert pickup_notices() == notices


def test_a_release_refused_as_too_early_announces_nothing(closed, place):
    pickup_codes_issue(actor=place.leader.user, buy=closed.buy)
    filing = disinfected_filing(closed, minutes_ago=5)
    with pytest.raises(ApplicationError) as exc:
        delivery_release(actor=place.receiving_volunteer.user, filing=filing)
    assert exc.value.code == "release_too_early"
    assert GroupBuy.objects.get(pk=closed.buy.pk).status == BuyStatus.DISINFECTED
    assert pickup_notices() == []


def test_codes_issued_after_the_release_are_announced_at_once_and_only_once(closed, place):
    filing = disinfected_filing(closed)
    delivery_release(actor=place.receiving_volunteer.user, filing=filing)
    assert pickup_notices() == []  # no codes yet: nothing to announce

    assert pickup_codes_issue(actor=place.leader.user, buy=closed.buy) == 2
    notices = pickup_notices()
    assert notices == expected_notices(closed)
    assert pickup_codes_issue(actor=place.leader.user, buy=closed.buy) == 0
    assert pickup_notices() == notices


@pytest.mark.parametrize("status", [BuyStatus.CLOSED, BuyStatus.ORDERED, BuyStatus.APPROVED, BuyStatus.DISINFECTED])
def test_announcing_before_the_release_does_nothing(closed, place, status):
    pickup_codes_issue(actor=place.leader.user, buy=closed.buy)
    closed.set_status(status)
    assert distribution.pickup_ready_notify(buy_id=closed.buy.pk) == 0
    assert pickup_notices() == []


@pytest.mark.django_db(transaction=True)
def test_codes_issued_while_the_release_commits_are_announced_once(place):
    """PostgreSQL: the release's status UPDATE holds the buy row; an issue racing it waits for the commit and
    then announces its codes itself (the release's own look found none)."""
    closed = ClosedBuy(place)
    filing = disinfected_filing(closed)
    outcome: list = []

    def issue():
        try:
            outcome.append(pickup_codes_issue(actor=place.leader.user, buy=GroupBuy.objects.get(pk=closed.buy.pk)))
        finally:
            connection.close()

    worker = threading.Thread(target=issue)
    with transaction.atomic():
        delivery_release(actor=place.receiving_volunteer.user, filing=filing)
        worker.start()
        worker.join(timeout=1)
        assert worker.is_alive()  # waiting for the buy row the release holds
    worker.join(timeout=30)

    assert outcome == [2]
    assert pickup_notices() == expected_notices(closed.refresh())
