"""A suspension that runs out without being lifted releases the deliveries it held, exactly once (beat sweep)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from accounts.models import Notification
from accounts.notifications import render
from compliance.models import AuditEvent, Filing, FilingStatus, Suspension
from compliance.services.audit import audit_chain_verify
from compliance.services.filings import filing_resubmit, filing_submit
from compliance.services.gate import slip_verify
from compliance.services.policy import suspension_create, suspension_lift, suspensions_expire
from compliance.services.review import filing_approve
from compliance.tasks import expire_suspensions
from core.errors import ApplicationError
from groupbuy.models import BuyStatus, GroupBuy

from .conftest import ARRIVAL_END, ARRIVAL_START, NOW, filing_kwargs, make_ordered_buy
from .test_concurrency import run_together

pytestmark = pytest.mark.django_db

# The suspension ends while the delivery's window (10:00–12:00) is still open, or after it has passed.
ENDS_INSIDE_WINDOW = ARRIVAL_START + timedelta(hours=1)
ENDS_AFTER_WINDOW = ARRIVAL_END + timedelta(hours=1)


def suspend(place, ends_at, *, starts_at=ARRIVAL_START - timedelta(hours=6), reason="positive case in building 7"):
    return suspension_create(
        actor=place.committee.user,
        community=place.community,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason,
        now=NOW,
    )


def approved_delivery(place) -> Filing:
    filing = filing_submit(actor=place.leader.user, buy=make_ordered_buy(place), **filing_kwargs())
    filing_approve(actor=place.committee.user, filing=filing, now=NOW)
    filing.refresh_from_db()
    return filing


def state(filing):
    filing.refresh_from_db()
    return filing.status, GroupBuy.objects.get(pk=filing.buy_id).status, filing.held_by_id


def notices(kind):
    return list(Notification.objects.filter(kind=kind).values_list("user_id", "dedupe_key"))


def snapshot():
    """Everything a sweep may change."""
    return (
        sorted(Filing.objects.values_list("pk", "status", "held_by_id")),
        sorted(GroupBuy.objects.values_list("pk", "status")),
        sorted(Suspension.objects.values_list("pk", "lifted_at", "expired_at")),
        Notification.objects.count(),
        AuditEvent.objects.count(),
    )


def test_expiry_restores_a_held_delivery_whose_window_is_still_open_and_tells_the_leader_once(place, approved):
    suspension = suspend(place, ENDS_INSIDE_WINDOW)
    assert state(approved)[:2] == (FilingStatus.ON_HOLD, BuyStatus.ON_HOLD)
    at = ENDS_INSIDE_WINDOW + timedelta(seconds=30)

    assert suspensions_expire(now=at) == 1
    assert suspensions_expire(now=at + timedelta(minutes=1)) == 0

    assert state(approved) == (FilingStatus.APPROVED, BuyStatus.APPROVED, None)
    assert notices("delivery_restored") == [(place.leader.user.pk, f"suspension:{suspension.pk}:restore:{approved.pk}")]
    assert notices("delivery_refile") == []
    suspension.refresh_from_db()
    assert (suspension.expired_at, suspension.lifted_at) == (at, None)
    event = AuditEvent.objects.get(kind="suspension_expired")
    assert (event.subject, event.actor_id, event.created_at) == (f"suspension:{suspension.pk}", None, at)
    assert event.data == {"restored_filings": [approved.pk], "still_held_filings": [], "window_passed_filings": []}
    gate = slip_verify(actor=place.gate_guard.user, community=place.community, code=approved.slip.code, now=at)
    assert gate.result == "valid"
    assert audit_chain_verify(community_id=place.community.pk).ok
    call_command("verify_audit")


def test_window_passed_while_held_stays_on_hold_and_the_leader_is_told_to_refile(place, approved):
    suspension = suspend(place, ENDS_AFTER_WINDOW)
    at = ENDS_AFTER_WINDOW + timedelta(seconds=30)

    assert suspensions_expire(now=at) == 1
    assert suspensions_expire(now=at) == 0

    # Not approved again: the window is over (filing_approve would refuse it), so the slip stays dead.
    assert state(approved) == (FilingStatus.ON_HOLD, BuyStatus.ON_HOLD, suspension.pk)
    assert notices("delivery_restored") == []
    assert notices("delivery_refile") == [(place.leader.user.pk, f"suspension:{suspension.pk}:refile:{approved.pk}")]
    notice = Notification.objects.get(kind="delivery_refile")
    with translation.override("en"):
        assert render(notice) == (
            "The suspension is over, but the arrival window of “Vegetable box round 3” has passed: the delivery "
            "stays on hold. Fix the filing with a new arrival time and resubmit."
        )
    assert AuditEvent.objects.get(kind="suspension_expired").data == {
        "restored_filings": [],
        "still_held_filings": [],
        "window_passed_filings": [approved.pk],
    }

    # The existing path to a new day: the leader fixes the filing and it is reviewed again.
    new_start = ARRIVAL_START + timedelta(days=2)
    filing_resubmit(
        actor=place.leader.user,
        filing=approved,
        arrival_start=new_start,
        arrival_end=new_start + timedelta(hours=2),
        vehicle_plate="沪A12345",
        driver_name="李师傅",
        test_sampled_at=new_start - timedelta(hours=20),
        now=new_start - timedelta(hours=18),
    )
    assert state(approved) == (FilingStatus.SUBMITTED, BuyStatus.FILED, None)
    assert audit_chain_verify(community_id=place.community.pk).ok


def test_a_second_longer_suspension_keeps_the_delivery_on_hold_and_takes_it_over(place, approved):
    first = suspend(place, ENDS_INSIDE_WINDOW)
    second = suspend(place, ARRIVAL_START + timedelta(days=2), reason="second case")
    assert state(approved)[2] == first.pk
    at = ENDS_INSIDE_WINDOW + timedelta(seconds=30)

    assert suspensions_expire(now=at) == 1

    assert state(approved) == (FilingStatus.ON_HOLD, BuyStatus.ON_HOLD, second.pk)
    assert notices("delivery_restored") == notices("delivery_refile") == []
    assert AuditEvent.objects.get(kind="suspension_expired").data["still_held_filings"] == [approved.pk]
    second.refresh_from_db()
    assert second.expired_at is None

    # When the second one runs out the window is long over: the leader is told to re-file, once.
    later = second.ends_at + timedelta(seconds=5)
    assert suspensions_expire(now=later) == 1
    assert state(approved) == (FilingStatus.ON_HOLD, BuyStatus.ON_HOLD, second.pk)
    assert notices("delivery_refile") == [(place.leader.user.pk, f"suspension:{second.pk}:refile:{approved.pk}")]
    assert audit_chain_verify(community_id=place.community.pk).ok


def test_a_second_suspension_that_is_over_too_does_not_take_the_delivery_over(place, approved):
    first = suspend(place, ENDS_INSIDE_WINDOW)
    second = suspend(place, ENDS_INSIDE_WINDOW + timedelta(minutes=30), reason="second case")
    at = ENDS_INSIDE_WINDOW + timedelta(minutes=45)  # both over, the window (until 12:00) still open

    assert suspensions_expire(now=at) == 2

    assert state(approved) == (FilingStatus.APPROVED, BuyStatus.APPROVED, None)
    assert notices("delivery_restored") == [(place.leader.user.pk, f"suspension:{first.pk}:restore:{approved.pk}")]
    assert Suspension.objects.filter(pk__in=[first.pk, second.pk], expired_at=at).count() == 2


def test_lifted_suspensions_are_not_processed_and_a_released_one_cannot_be_lifted(place, approved):
    lifted = suspend(place, ENDS_INSIDE_WINDOW)
    suspension_lift(actor=place.committee.user, suspension=lifted, now=NOW + timedelta(hours=1))
    before = snapshot()

    assert suspensions_expire(now=ENDS_INSIDE_WINDOW + timedelta(hours=1)) == 0
    assert snapshot() == before

    expired = suspend(place, ENDS_INSIDE_WINDOW, reason="again")
    assert suspensions_expire(now=ENDS_INSIDE_WINDOW + timedelta(seconds=1)) == 1
    before = snapshot()
    with pytest.raises(ApplicationError) as exc:
        suspension_lift(actor=place.committee.user, suspension=expired, now=ENDS_INSIDE_WINDOW + timedelta(minutes=1))
    assert exc.value.code == "already_lifted"
    assert snapshot() == before


def test_a_run_with_nothing_due_changes_nothing(place, approved):
    suspend(place, ENDS_INSIDE_WINDOW)
    before = snapshot()

    assert suspensions_expire(now=ENDS_INSIDE_WINDOW - timedelta(seconds=1)) == 0

    assert snapshot() == before
    assert state(approved)[:2] == (FilingStatus.ON_HOLD, BuyStatus.ON_HOLD)


def test_goods_that_arrived_before_the_suspension_are_untouched(place, approved):
    from compliance.services.delivery import arrival_record

    arrival_record(actor=place.receiving_volunteer.user, filing=approved, now=ARRIVAL_START)
    suspend(place, ENDS_AFTER_WINDOW, starts_at=ARRIVAL_START + timedelta(minutes=30))

    assert suspensions_expire(now=ENDS_AFTER_WINDOW) == 1

    assert state(approved) == (FilingStatus.APPROVED, BuyStatus.ARRIVED, None)
    assert notices("delivery_restored") == notices("delivery_refile") == []


def test_sweep_covers_every_community_with_one_audit_record_each(place, other_place, approved):
    theirs = approved_delivery(other_place)
    mine = suspend(place, ENDS_INSIDE_WINDOW)
    suspend(other_place, ENDS_INSIDE_WINDOW)

    assert suspensions_expire(now=ENDS_INSIDE_WINDOW) == 2

    assert state(approved) == (FilingStatus.APPROVED, BuyStatus.APPROVED, None)
    assert state(theirs) == (FilingStatus.APPROVED, BuyStatus.APPROVED, None)
    for community in (place.community, other_place.community):
        assert AuditEvent.objects.filter(community=community, kind="suspension_expired").count() == 1
        assert audit_chain_verify(community_id=community.pk).ok
    assert mine.pk in [int(e.subject.split(":")[1]) for e in AuditEvent.objects.filter(kind="suspension_expired")]


def test_lifting_after_the_window_passed_also_asks_for_a_new_filing(place, approved):
    suspension = suspend(place, ARRIVAL_START + timedelta(days=2))

    suspension_lift(actor=place.committee.user, suspension=suspension, now=ARRIVAL_END + timedelta(hours=1))

    assert state(approved) == (FilingStatus.ON_HOLD, BuyStatus.ON_HOLD, suspension.pk)
    assert notices("delivery_refile") == [(place.leader.user.pk, f"suspension:{suspension.pk}:refile:{approved.pk}")]
    assert AuditEvent.objects.get(kind="suspension_lifted").data["window_passed_filings"] == [approved.pk]
    # The sweep never touches a lifted suspension.
    assert suspensions_expire(now=suspension.ends_at + timedelta(minutes=1)) == 0


def test_the_task_sweeps_with_the_real_clock_and_is_idempotent(place):
    ended = Suspension.objects.create(
        community=place.community,
        starts_at=timezone.now() - timedelta(days=1),
        ends_at=timezone.now() - timedelta(minutes=1),
        reason="over",
        created_by=place.committee.user,
    )
    running = Suspension.objects.create(
        community=place.community,
        starts_at=timezone.now() - timedelta(days=1),
        ends_at=timezone.now() + timedelta(hours=1),
        reason="still on",
        created_by=place.committee.user,
    )

    assert expire_suspensions.delay().get() == 1
    assert expire_suspensions.delay().get() == 0

    assert list(Suspension.objects.filter(expired_at__isnull=False).values_list("pk", flat=True)) == [ended.pk]
    running.refresh_from_db()
    assert running.expired_at is None
    assert AuditEvent.objects.get().subject == f"suspension:{ended.pk}"


def test_beat_runs_the_expiry_sweep_every_minute():
    from config.celery import app

    entry = app.conf.beat_schedule["compliance.suspension_expiry"]
    assert entry == {"task": "compliance.tasks.expire_suspensions", "schedule": 60.0, "options": {"expires": 60}}


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_release_each_suspension_once(place, approved):
    other = approved_delivery(place)
    Filing.objects.filter(pk=other.pk).update(arrival_start=ARRIVAL_START, arrival_end=ARRIVAL_END)
    first = suspend(place, ENDS_INSIDE_WINDOW)
    second = suspend(place, ENDS_AFTER_WINDOW, starts_at=ARRIVAL_END + timedelta(minutes=30), reason="later")
    at = ENDS_AFTER_WINDOW + timedelta(minutes=1)

    outcomes = run_together(lambda: suspensions_expire(now=at), lambda: suspensions_expire(now=at))

    assert sorted(outcomes) in ([0, 2], [1, 1])  # each suspension claimed by exactly one of them
    assert AuditEvent.objects.filter(kind="suspension_expired").count() == 2
    assert sorted(AuditEvent.objects.filter(kind="suspension_expired").values_list("subject", flat=True)) == sorted(
        [f"suspension:{first.pk}", f"suspension:{second.pk}"]
    )
    # Both deliveries were held by the first; at 13:01 their window is over.
    assert state(approved) == (FilingStatus.ON_HOLD, BuyStatus.ON_HOLD, first.pk)
    assert state(other) == (FilingStatus.ON_HOLD, BuyStatus.ON_HOLD, first.pk)
    assert Notification.objects.filter(kind="delivery_refile").count() == 2
    assert Notification.objects.filter(kind="delivery_restored").count() == 0
    assert audit_chain_verify(community_id=place.community.pk).ok


@pytest.mark.django_db(transaction=True)
def test_a_lift_racing_the_sweep_releases_the_delivery_once(place, approved):
    suspension = suspend(place, ENDS_INSIDE_WINDOW)
    at = ENDS_INSIDE_WINDOW + timedelta(minutes=1)

    outcomes = run_together(
        lambda: suspensions_expire(now=at),
        lambda: suspension_lift(actor=place.committee.user, suspension=suspension, now=at),
    )

    suspension.refresh_from_db()
    if outcomes[0] == 1:
        assert outcomes[1] == "already_lifted"
        assert (suspension.expired_at, suspension.lifted_at) == (at, None)
    else:
        assert outcomes[0] == 0
        assert (suspension.expired_at, suspension.lifted_at) == (None, at)
    kinds = AuditEvent.objects.filter(kind__in=["suspension_expired", "suspension_lifted"]).count()
    assert kinds == 1
    assert state(approved) == (FilingStatus.APPROVED, BuyStatus.APPROVED, None)
    assert Notification.objects.filter(kind="delivery_restored").count() == 1
    assert audit_chain_verify(community_id=place.community.pk).ok
