import datetime
from decimal import Decimal

import pytest
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from config.celery import SWEEP_INTERVAL_SECONDS, app
from groupbuy import tasks
from groupbuy.factories import GroupBuyFactory, buy_state, signup
from groupbuy.models import GroupBuy


@pytest.mark.parametrize("task", [tasks.close_group_buy, tasks.notify_buy_formed, tasks.process_offer_photo])
def test_tasks_that_must_not_be_lost_ack_late_and_retry_only_transient_errors(task):
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True
    assert set(task.autoretry_for) == {OperationalError, InterfaceError, BrokerError}
    assert task.max_retries == 5
    assert task.retry_backoff


def test_sweep_is_on_the_beat_schedule():
    entry = app.conf.beat_schedule["groupbuy.sweep"]
    assert entry["task"] == tasks.sweep_group_buys.name
    assert entry["schedule"] == SWEEP_INTERVAL_SECONDS <= 10


def test_close_task_takes_an_id_and_is_idempotent(place):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("1"))
    signup(buy, place.resident, 1)
    assert tasks.close_group_buy.delay(buy.pk).get() is True
    before = buy_state(buy)
    assert tasks.close_group_buy.delay(buy.pk).get() is False
    assert buy_state(buy) == before
    assert tasks.close_group_buy.delay(987654321).get() is False  # a buy that does not exist: nothing to do


def test_sweep_task_reports_what_it_did(place):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user)
    GroupBuy.objects.filter(pk=buy.pk).update(deadline=timezone.now() - datetime.timedelta(seconds=1))
    assert tasks.sweep_group_buys.delay().get() == {
        "notices": 0,
        "closed": 0,
        "failed": 1,
        "repaired": 0,
        "pools_failed": 0,
        "photos": 0,
    }
