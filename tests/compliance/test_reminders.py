"""The beat reminder: filings unapproved a day before arrival, once per revision."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.models import Notification
from compliance.services.reminders import filings_remind_unapproved
from compliance.services.review import filing_approve

from .conftest import ARRIVAL_START, NOW

pytestmark = pytest.mark.django_db


def test_unapproved_filing_a_day_before_arrival_reminds_leader_and_committee_once(place, filed):
    assert filings_remind_unapproved(now=ARRIVAL_START - timedelta(days=1, minutes=1)) == 0
    assert not Notification.objects.filter(kind="filing_reminder").exists()

    moment = ARRIVAL_START - timedelta(hours=20)
    assert filings_remind_unapproved(now=moment) == 1
    assert filings_remind_unapproved(now=moment + timedelta(minutes=5)) == 1  # the sweep runs again
    reminded = sorted(Notification.objects.filter(kind="filing_reminder").values_list("user_id", flat=True))
    assert reminded == sorted([place.leader.user.pk, place.committee.user.pk])


def test_approved_filing_is_not_reminded(place, filed):
    filing_approve(actor=place.committee.user, filing=filed, now=NOW)
    assert filings_remind_unapproved(now=ARRIVAL_START - timedelta(hours=20)) == 0


def test_beat_schedules_the_reminder_and_repair_tasks():
    from config.celery import app

    entries = {v["task"] for v in app.conf.beat_schedule.values()}
    assert "compliance.tasks.remind_unapproved_filings" in entries
    assert "compliance.tasks.repair_pending_evidence" in entries
