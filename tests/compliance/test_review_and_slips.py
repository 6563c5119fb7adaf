"""Review, approval slips and the gate check."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.models import Notification
from compliance.models import AuditEvent, Filing, FilingStatus, Slip
from compliance.services.gate import slip_verify
from compliance.services.review import CODE_ALPHABET, filing_approve, filing_reject, new_slip_code
from core.errors import ApplicationError
from groupbuy.models import BuyStatus

from .conftest import ARRIVAL_END, ARRIVAL_START, NOW

pytestmark = pytest.mark.django_db


def test_approval_issues_a_random_slip_and_tells_the_leader(place, filed):
    slip = filing_approve(actor=place.committee.user, filing=filed, now=NOW)

    filed.refresh_from_db()
    assert filed.status == FilingStatus.APPROVED
    assert filed.buy.__class__.objects.get(pk=filed.buy_id).status == BuyStatus.APPROVED
    assert len(slip.code) == 8
    assert set(slip.code) <= set(CODE_ALPHABET)
    assert (slip.valid_from, slip.valid_until) == (ARRIVAL_START - timedelta(hours=1), ARRIVAL_END + timedelta(hours=1))
    notice = Notification.objects.get(user=place.leader.user, kind="filing_approved")
    assert notice.params["code"] == slip.display_code


def test_slip_codes_are_random_not_sequential():
    codes = [new_slip_code() for _ in range(2000)]
    assert len(set(codes)) == len(codes)
    # Every symbol turns up in every position: not a counter or an id in disguise.
    for position in range(8):
        assert len({code[position] for code in codes}) == len(CODE_ALPHABET)


def test_leader_with_committee_role_cannot_approve_own_filing(place, buy):
    from compliance.services.filings import filing_submit

    from .conftest import filing_kwargs

    place.leader.is_committee = True
    place.leader.save()
    filing = filing_submit(actor=place.leader.user, buy=buy, **filing_kwargs())

    for action in (
        lambda: filing_approve(actor=place.leader.user, filing=filing, now=NOW),
        lambda: filing_reject(actor=place.leader.user, filing=filing, reason="x", now=NOW),
    ):
        with pytest.raises(ApplicationError) as exc:
            action()
        assert exc.value.code == "own_filing"
    filing.refresh_from_db()
    assert filing.status == FilingStatus.SUBMITTED
    assert not Slip.objects.exists()
    assert list(AuditEvent.objects.values_list("kind", flat=True)) == ["filing_submitted"]


@pytest.mark.parametrize("role", ["resident", "leader", "other_leader", "receiving_volunteer", "gate_guard"])
def test_non_committee_cannot_approve_or_reject(place, filed, role):
    user = getattr(place, role).user
    with pytest.raises(ApplicationError) as exc:
        filing_approve(actor=user, filing=filed, now=NOW)
    assert exc.value.status_code == 403
    with pytest.raises(ApplicationError):
        filing_reject(actor=user, filing=filed, reason="no", now=NOW)
    filed.refresh_from_db()
    assert filed.status == FilingStatus.SUBMITTED


def test_committee_of_another_community_cannot_review(place, other_place, filed):
    with pytest.raises(ApplicationError) as exc:
        filing_approve(actor=other_place.committee.user, filing=filed, now=NOW)
    assert exc.value.code == "forbidden"


def test_reject_needs_a_reason(place, filed):
    with pytest.raises(ApplicationError) as exc:
        filing_reject(actor=place.committee.user, filing=filed, reason="  ", now=NOW)
    assert exc.value.code == "reason_required"
    filed.refresh_from_db()
    assert filed.status == FilingStatus.SUBMITTED


def test_approving_twice_issues_one_slip(place, filed):
    filing_approve(actor=place.committee.user, filing=filed, now=NOW)
    with pytest.raises(ApplicationError) as exc:
        filing_approve(actor=place.committee.user, filing=filed, now=NOW)
    assert exc.value.code == "invalid_state"
    assert Slip.objects.count() == 1


def test_approving_after_the_window_passed_is_refused(place, filed):
    with pytest.raises(ApplicationError) as exc:
        filing_approve(actor=place.committee.user, filing=filed, now=ARRIVAL_END + timedelta(minutes=1))
    assert exc.value.code == "arrival_in_past"
    assert not Slip.objects.exists()


# --- gate -----------------------------------------------------------------------


def test_gate_guard_sees_valid_with_plate_and_goods(place, approved):
    code = approved.slip.code
    result = slip_verify(
        actor=place.gate_guard.user,
        community=place.community,
        code=f" {code[:4].lower()}-{code[4:]} ",
        now=ARRIVAL_START,
    )
    assert result.result == "valid"
    assert result.slip.filing.vehicle_plate == "沪A12345"
    assert [(x.title, x.quantity) for x in result.lines] == [(approved.lines.get().title, 12)]
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.kind, event.data["result"]) == ("slip_verified", "valid")
    assert code not in str(event.data)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (ARRIVAL_END + timedelta(hours=1, minutes=1), "expired"),
        (ARRIVAL_START - timedelta(hours=1, minutes=1), "not_yet_valid"),
        (ARRIVAL_END + timedelta(hours=1), "valid"),
    ],
)
def test_gate_check_outside_the_window(place, approved, moment, expected):
    result = slip_verify(actor=place.gate_guard.user, community=place.community, code=approved.slip.code, now=moment)
    assert result.result == expected


def test_unknown_code_is_invalid(place, approved):
    result = slip_verify(actor=place.gate_guard.user, community=place.community, code="ZZZZ2222", now=ARRIVAL_START)
    assert result.result == "invalid"
    assert result.slip is None
    assert AuditEvent.objects.order_by("-seq").first().kind == "slip_refused"


def test_slip_of_community_a_is_invalid_at_bs_gate(place, other_place, approved):
    result = slip_verify(
        actor=other_place.gate_guard.user, community=other_place.community, code=approved.slip.code, now=ARRIVAL_START
    )
    assert result.result == "invalid"
    assert result.slip is None
    # Recorded in B's chain, not A's.
    assert AuditEvent.objects.filter(community=other_place.community, kind="slip_refused").count() == 1


def test_gate_guard_of_a_cannot_check_at_b(place, other_place, approved):
    before = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as exc:
        slip_verify(actor=place.gate_guard.user, community=other_place.community, code=approved.slip.code)
    assert exc.value.code == "forbidden"
    assert AuditEvent.objects.count() == before


def test_resident_cannot_check_slips(place, approved):
    with pytest.raises(ApplicationError) as exc:
        slip_verify(actor=place.resident.user, community=place.community, code=approved.slip.code)
    assert exc.value.code == "forbidden"


def test_rejected_filing_leaves_no_slip_and_gate_says_invalid(place, filed):
    filing_reject(actor=place.committee.user, filing=filed, reason="plate unreadable", now=NOW)
    assert not Slip.objects.exists()
    assert Filing.objects.get().buy.status == BuyStatus.ORDERED
