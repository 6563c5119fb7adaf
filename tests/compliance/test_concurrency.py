"""Concurrent reviews and suspensions on real PostgreSQL: one outcome, no lost hold."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connections

from compliance.models import AuditEvent, Filing, FilingStatus, Slip
from compliance.services.audit import audit_chain_verify
from compliance.services.policy import suspension_create
from compliance.services.review import filing_approve
from core.errors import ApplicationError
from groupbuy.models import BuyStatus, GroupBuy

from .conftest import ARRIVAL_START, NOW


def run_together(*calls):
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            outcomes[i] = call()
        except ApplicationError as exc:
            outcomes[i] = exc.code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_committee_members_approving_at_once_issue_one_slip(place, filed):
    second = place.committee.__class__.objects.create(
        user=place.neighbour.user.__class__.objects.create(username="second-committee"),
        community=place.community,
        is_committee=True,
        is_resident=False,
    )
    outcomes = run_together(
        lambda: filing_approve(actor=place.committee.user, filing=filed, now=NOW),
        lambda: filing_approve(actor=second.user, filing=filed, now=NOW),
    )
    assert sorted(o if isinstance(o, str) else "slip" for o in outcomes) == ["invalid_state", "slip"]
    assert Slip.objects.count() == 1
    assert audit_chain_verify(community_id=place.community.pk).ok


@pytest.mark.django_db(transaction=True)
def test_approval_racing_a_suspension_never_leaves_an_approved_delivery_inside_it(place, filed):
    outcomes = run_together(
        lambda: filing_approve(actor=place.committee.user, filing=filed, now=NOW),
        lambda: suspension_create(
            actor=place.committee.user,
            community=place.community,
            starts_at=ARRIVAL_START - timedelta(hours=1),
            ends_at=ARRIVAL_START + timedelta(days=1),
            reason="case",
            now=NOW,
        ),
    )
    filing = Filing.objects.get(pk=filed.pk)
    buy_status = GroupBuy.objects.get(pk=filed.buy_id).status
    # Either the suspension came first (approval refused) or the approval did (then held).
    if outcomes[0] == "inside_suspension":
        assert (filing.status, buy_status) == (FilingStatus.SUBMITTED, BuyStatus.FILED)
    else:
        assert (filing.status, buy_status) == (FilingStatus.ON_HOLD, BuyStatus.ON_HOLD)
    assert audit_chain_verify(community_id=place.community.pk).ok
    assert AuditEvent.objects.filter(kind="suspension_placed").count() == 1
