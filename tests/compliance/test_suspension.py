"""Policy and suspensions: a later suspension holds approved deliveries; lifting restores them."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from accounts.models import Notification
from compliance.models import AuditEvent, DeliveryPolicy, FilingStatus, Suspension
from compliance.services.delivery import arrival_record
from compliance.services.gate import slip_verify
from compliance.services.policy import policy_update, suspension_create, suspension_lift
from compliance.services.review import filing_approve
from core.errors import ApplicationError
from groupbuy.models import BuyStatus, GroupBuy

from .conftest import ARRIVAL_END, ARRIVAL_START, NOW

pytestmark = pytest.mark.django_db


def suspend(place, **kwargs):
    values = {
        "starts_at": ARRIVAL_START - timedelta(hours=6),
        "ends_at": ARRIVAL_START + timedelta(days=2),
        "reason": "positive case in building 7",
        "now": NOW,
    }
    values.update(kwargs)
    return suspension_create(actor=place.committee.user, community=place.community, **values)


def status_of(filing):
    filing.refresh_from_db()
    return filing.status, GroupBuy.objects.get(pk=filing.buy_id).status


def test_suspension_puts_approved_delivery_on_hold_and_lifting_restores_it(place, approved):
    suspension = suspend(place)

    assert status_of(approved) == (FilingStatus.ON_HOLD, BuyStatus.ON_HOLD)
    assert approved.held_by == suspension
    hold = Notification.objects.get(user=place.leader.user, kind="delivery_on_hold")
    assert hold.params["reason"] == "positive case in building 7"
    gate = slip_verify(
        actor=place.gate_guard.user, community=place.community, code=approved.slip.code, now=ARRIVAL_START
    )
    assert gate.result == "on_hold"
    with pytest.raises(ApplicationError) as exc:
        arrival_record(actor=place.receiving_volunteer.user, filing=approved, now=ARRIVAL_START)
    assert exc.value.code == "delivery_on_hold"

    suspension_lift(actor=place.committee.user, suspension=suspension, now=NOW + timedelta(hours=1))

    assert status_of(approved) == (FilingStatus.APPROVED, BuyStatus.APPROVED)
    assert approved.held_by is None
    assert Notification.objects.filter(user=place.leader.user, kind="delivery_restored").count() == 1
    gate = slip_verify(
        actor=place.gate_guard.user, community=place.community, code=approved.slip.code, now=ARRIVAL_START
    )
    assert gate.result == "valid"
    kinds = list(AuditEvent.objects.order_by("seq").values_list("kind", flat=True))
    assert kinds[-4:] == ["suspension_placed", "slip_refused", "suspension_lifted", "slip_verified"]


def test_suspension_not_overlapping_the_window_changes_nothing(place, approved):
    suspend(place, starts_at=ARRIVAL_END, ends_at=ARRIVAL_END + timedelta(days=1))
    assert status_of(approved) == (FilingStatus.APPROVED, BuyStatus.APPROVED)
    assert not Notification.objects.filter(kind="delivery_on_hold").exists()


def test_overlapping_suspension_keeps_delivery_on_hold_when_one_is_lifted(place, approved):
    first = suspend(place)
    second = suspend(place, reason="second case")
    suspension_lift(actor=place.committee.user, suspension=first, now=NOW)
    approved.refresh_from_db()
    assert status_of(approved) == (FilingStatus.ON_HOLD, BuyStatus.ON_HOLD)
    assert approved.held_by == second
    suspension_lift(actor=place.committee.user, suspension=second, now=NOW)
    assert status_of(approved) == (FilingStatus.APPROVED, BuyStatus.APPROVED)


def test_goods_already_at_the_gate_are_not_held(place, approved):
    arrival_record(actor=place.receiving_volunteer.user, filing=approved, now=ARRIVAL_START)
    suspend(place)
    assert status_of(approved) == (FilingStatus.APPROVED, BuyStatus.ARRIVED)


def test_pending_filing_cannot_be_approved_during_a_suspension(place, filed):
    suspend(place)
    with pytest.raises(ApplicationError) as exc:
        filing_approve(actor=place.committee.user, filing=filed, now=NOW)
    assert exc.value.code == "inside_suspension"
    assert status_of(filed) == (FilingStatus.SUBMITTED, BuyStatus.FILED)


def test_lifting_twice_is_refused(place):
    suspension = suspend(place)
    suspension_lift(actor=place.committee.user, suspension=suspension, now=NOW)
    with pytest.raises(ApplicationError) as exc:
        suspension_lift(actor=place.committee.user, suspension=suspension, now=NOW)
    assert exc.value.code == "already_lifted"


@pytest.mark.parametrize("role", ["resident", "leader", "receiving_volunteer", "gate_guard", "building_leader"])
def test_only_committee_sets_policy_and_suspensions(place, role, approved):
    user = getattr(place, role).user
    with pytest.raises(ApplicationError) as exc:
        suspension_create(
            actor=user,
            community=place.community,
            starts_at=NOW,
            ends_at=NOW + timedelta(days=1),
            reason="x",
            now=NOW,
        )
    assert exc.value.code == "forbidden"
    with pytest.raises(ApplicationError):
        policy_update(
            actor=user, community=place.community, weekdays=[0], lead_hours=1, gate_opens=time(8), gate_closes=time(9)
        )
    suspension = Suspension.objects.create(
        community=place.community,
        starts_at=NOW,
        ends_at=NOW + timedelta(days=1),
        reason="r",
        created_by=place.committee.user,
    )
    with pytest.raises(ApplicationError):
        suspension_lift(actor=user, suspension=suspension)
    assert status_of(approved) == (FilingStatus.APPROVED, BuyStatus.APPROVED)
    assert not DeliveryPolicy.objects.filter(weekdays="0").exists()
    assert Suspension.objects.get().lifted_at is None


def test_policy_update_is_audited_and_validated(place):
    policy_update(
        actor=place.committee.user,
        community=place.community,
        weekdays=[0, 2, 4],
        lead_hours=2,
        gate_opens=time(8),
        gate_closes=time(17),
    )
    policy = DeliveryPolicy.objects.get(community=place.community)
    assert (policy.weekdays, policy.lead_hours) == ("024", 2)
    event = AuditEvent.objects.get()
    assert event.data["after"] == {
        "weekdays": "024",
        "lead_hours": 2,
        "gate_opens": "08:00",
        "gate_closes": "17:00",
        "public_previews": True,
    }
    with pytest.raises(ApplicationError) as exc:
        policy_update(
            actor=place.committee.user,
            community=place.community,
            weekdays=[],
            lead_hours=1,
            gate_opens=time(8),
            gate_closes=time(17),
        )
    assert exc.value.code == "weekdays_required"
    with pytest.raises(ApplicationError) as exc:
        policy_update(
            actor=place.committee.user,
            community=place.community,
            weekdays=[1],
            lead_hours=1,
            gate_opens=time(18),
            gate_closes=time(17),
        )
    assert exc.value.code == "gate_closes_before_opens"
    assert DeliveryPolicy.objects.get(community=place.community).weekdays == "024"


def test_gate_says_expired_for_a_held_delivery_past_its_window(place, approved):
    """Past its window a held delivery is not coming on this slip at all (its leader must re-file), so the gate
    says "expired" rather than pointing at a suspension that may be over by then."""
    suspend(place)
    code = approved.slip.code
    during = slip_verify(actor=place.gate_guard.user, community=place.community, code=code, now=ARRIVAL_START)
    after = slip_verify(
        actor=place.gate_guard.user, community=place.community, code=code, now=ARRIVAL_END + timedelta(days=1)
    )
    assert (during.result, after.result) == ("on_hold", "expired")


def test_leader_refiles_a_held_delivery_for_another_day_and_the_old_slip_stops_working(place, approved):
    from compliance.models import Slip
    from compliance.services.filings import filing_resubmit

    old_code = approved.slip.code
    suspend(place, ends_at=ARRIVAL_END + timedelta(hours=1))
    new_start = ARRIVAL_START + timedelta(days=1)
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
    assert status_of(approved) == (FilingStatus.SUBMITTED, BuyStatus.FILED)
    assert approved.held_by is None
    assert not Slip.objects.exists()
    gate = slip_verify(actor=place.gate_guard.user, community=place.community, code=old_code, now=new_start)
    assert gate.result == "invalid"
    assert AuditEvent.objects.filter(kind="filing_resubmitted").get().data["slip_revoked"] is True


def test_refiling_after_the_goods_arrived_is_refused(place, approved):
    from compliance.services.filings import filing_resubmit

    arrival_record(actor=place.receiving_volunteer.user, filing=approved, now=ARRIVAL_START)
    with pytest.raises(ApplicationError) as exc:
        filing_resubmit(
            actor=place.leader.user,
            filing=approved,
            arrival_start=ARRIVAL_START + timedelta(days=1),
            arrival_end=ARRIVAL_END + timedelta(days=1),
            vehicle_plate="沪A12345",
            driver_name="李师傅",
            test_sampled_at=ARRIVAL_START + timedelta(hours=5),
            now=ARRIVAL_START + timedelta(hours=6),
        )
    assert exc.value.code == "invalid_state"
    assert status_of(approved) == (FilingStatus.APPROVED, BuyStatus.ARRIVED)
    from compliance.models import Slip

    assert Slip.objects.filter(filing=approved).exists()
