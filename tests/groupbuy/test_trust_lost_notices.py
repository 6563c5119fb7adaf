"""Issue 13, item 12: a "buy formed" notice whose task was lost (broker down when the buy formed) is sent by
the beat sweep, the way the sweep repairs a lost close: once, however often the sweep runs.

The lost enqueue is simulated as in the lost-close test (tests/groupbuy/services/test_buys.py): these tests
are not transactional, so the on-commit enqueue of the notice task never fires. The real outage (Redis
stopped under gunicorn, a worker and beat) is tests/reliability/test_redis_outage.py.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from groupbuy import tasks
from groupbuy.factories import GroupBuyFactory, main_item
from groupbuy.models import BuyStatus, Entry, GroupBuy
from groupbuy.services import sweep
from groupbuy.services.lifecycle import group_buy_notify_formed
from groupbuy.services.signup import signup_withdraw
from groupbuy.services.sweep import group_buys_sweep

pytestmark = pytest.mark.django_db

# The grace the sweep leaves the notice task (the lost close's grace, 10 s, in the old code's terms too).
GRACE = getattr(sweep, "LOST_NOTICE_GRACE", datetime.timedelta(seconds=10))


def formed_notices(buy):
    return sorted(
        Notification.objects.filter(dedupe_key=f"buy:{buy.pk}:buy_formed", kind="buy_formed").values_list(
            "user_id", flat=True
        )
    )


def formed_ago(buy, delta):
    GroupBuy.objects.filter(pk=buy.pk).update(formed_at=timezone.now() - delta)


@pytest.fixture
def lost(place, api):
    """A buy formed by two sign-ups through the API whose "formed" notice task never ran."""
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("2"))
    item = main_item(buy)
    for member in (place.resident, place.neighbour):
        response = api(member.user).post(
            reverse("api-buy-entries", kwargs={"pk": buy.pk}), {"quantities": {str(item.pk): 1}}, format="json"
        )
        assert response.status_code == 201, response.content
    assert GroupBuy.objects.get(pk=buy.pk).status == BuyStatus.FORMED
    assert formed_notices(buy) == []  # the task was never run: nobody heard
    return buy


def everyone(place, buy):
    return sorted({place.resident.user.pk, place.neighbour.user.pk, buy.leader_id})


def test_sweep_sends_a_lost_formed_notice_once_and_a_second_sweep_sends_nothing(place, lost):
    formed_ago(lost, GRACE + datetime.timedelta(seconds=1))

    first = group_buys_sweep()

    assert formed_notices(lost) == everyone(place, lost)
    assert first["notices"] == 1
    notices = Notification.objects.count()
    second = group_buys_sweep()
    assert second["notices"] == 0
    assert Notification.objects.count() == notices
    # The late task arriving after the repair (redelivered, Redis back) adds nothing either.
    tasks.notify_buy_formed.delay(lost.pk)
    assert Notification.objects.count() == notices


def test_the_beat_task_repairs_the_lost_notice(place, lost):
    formed_ago(lost, GRACE + datetime.timedelta(seconds=1))
    result = tasks.sweep_group_buys.delay().get()
    assert formed_notices(lost) == everyone(place, lost)
    assert result["notices"] == 1
    assert tasks.sweep_group_buys.delay().get()["notices"] == 0
    assert formed_notices(lost) == everyone(place, lost)


def test_sweep_leaves_the_notice_task_its_grace(place, lost):
    group_buys_sweep()
    assert formed_notices(lost) == []


def test_a_notice_sent_by_its_task_is_not_sent_again_by_the_sweep(place, lost):
    group_buy_notify_formed(buy_id=lost.pk)
    notices = Notification.objects.count()
    formed_ago(lost, GRACE + datetime.timedelta(seconds=1))
    assert group_buys_sweep()["notices"] == 0
    assert Notification.objects.count() == notices


def test_a_lost_formed_and_lost_close_are_both_repaired_formed_first(place, lost):
    GroupBuy.objects.filter(pk=lost.pk).update(close_when_formed=True)
    formed_ago(lost, GRACE + datetime.timedelta(seconds=1))

    result = group_buys_sweep()

    assert (result["notices"], result["repaired"]) == (1, 1)
    assert GroupBuy.objects.get(pk=lost.pk).status == BuyStatus.CLOSED
    kinds = list(
        Notification.objects.filter(user_id=lost.leader_id, community_id=lost.community_id)
        .order_by("pk")
        .values_list("kind", flat=True)
    )
    assert kinds == ["buy_formed", "buy_closed"]


def test_a_buy_back_to_open_after_a_withdrawal_is_not_announced(place, lost):
    entry = Entry.objects.get(buy=lost, household=place.neighbour.household)
    signup_withdraw(actor=place.neighbour.user, entry=entry)
    assert GroupBuy.objects.get(pk=lost.pk).status == BuyStatus.OPEN
    # Even if formed_at had been left behind, an open buy has nothing to announce.
    formed_ago(lost, GRACE + datetime.timedelta(seconds=1))
    GroupBuy.objects.filter(pk=lost.pk).update(status=BuyStatus.OPEN)

    assert group_buys_sweep()["notices"] == 0
    assert formed_notices(lost) == []


def test_a_formed_notice_lost_long_ago_is_not_sent_as_news(place, lost):
    formed_ago(lost, datetime.timedelta(days=3))
    assert group_buys_sweep()["notices"] == 0
    assert formed_notices(lost) == []
