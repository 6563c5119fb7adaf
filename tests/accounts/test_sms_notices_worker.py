"""Notices by SMS with a REAL Celery worker on Redis (tests/worker.py): the task enqueued after commit reaches
the worker, which sends each SMS once (the worker's SMS backend is the test settings' in-memory one, in its own
process, so the rows' state tells what it did)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import Notification, SmsState
from groupbuy.factories import GroupBuyFactory, signup

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_worker_sends_the_sms_of_a_buy_that_formed_once_each(place, celery_worker_process):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("2"))
    signup(buy, place.resident, 1)
    signup(buy, place.neighbour, 1)  # formed: the notice task, then the SMS task, run in the worker
    formed = Notification.objects.filter(kind="buy_formed")
    celery_worker_process.wait_for(lambda: formed.filter(sms_state=SmsState.SENT).count() == 3)
    assert set(formed.values_list("sms_state", "sms_tries")) == {(SmsState.SENT, 1)}
    celery_worker_process.wait_for(lambda: "accounts.tasks.sms_notices_send" in celery_worker_process.log_tail(400))
