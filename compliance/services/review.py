"""Committee review: approve (issuing the approval slip, 批条) or reject with a reason."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.notifications import notification_send
from accounts.permissions import Action, require
from compliance import exceptions as errors
from compliance.models import Filing, FilingStatus, Slip
from compliance.notifications import filing_link
from compliance.selectors import suspension_overlapping_list
from compliance.services.audit import audit_append
from compliance.services.filings import filing_rejection_record
from compliance.services.policy import policy_lock
from groupbuy.models import BuyStatus
from groupbuy.services.transitions import buy_transition

# No 0/O/1/I: easy to read aloud and type. 32 symbols ** 8 = 2**40 codes; the gate check is rate-limited.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8
# The slip is valid from an hour before the arrival window to an hour after it.
SLIP_MARGIN = timedelta(hours=1)


def new_slip_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _check_reviewer(actor: User, filing: Filing) -> None:
    require(actor, Action.REVIEW_FILING, filing.community_id)
    # Even a leader who is also committee staff never reviews their own delivery.
    if actor.pk in (filing.submitted_by_id, filing.buy.leader_id):
        raise errors.own_filing()


def filing_approve(*, actor: User, filing: Filing, now: datetime | None = None) -> Slip:
    _check_reviewer(actor, filing)
    now = now or timezone.now()
    with transaction.atomic():
        policy_lock(community_id=filing.community_id)
        current = Filing.objects.select_for_update().select_related("buy").get(pk=filing.pk)
        if current.status != FilingStatus.SUBMITTED:
            raise errors.invalid_state()
        if current.arrival_end <= now:
            raise errors.arrival_passed()
        suspension = suspension_overlapping_list(
            community_id=current.community_id, start=current.arrival_start, end=current.arrival_end
        ).first()
        if suspension is not None:
            raise errors.suspended_now(suspension.reason)
        if not buy_transition(buy_id=current.buy_id, from_states=[BuyStatus.FILED], to_state=BuyStatus.APPROVED):
            raise errors.invalid_state()
        Filing.objects.filter(pk=current.pk).update(
            status=FilingStatus.APPROVED, reviewed_at=now, reviewed_by=actor, reject_reason=""
        )
        slip = None
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    slip = Slip.objects.create(
                        filing=current,
                        community_id=current.community_id,
                        code=new_slip_code(),
                        valid_from=current.arrival_start - SLIP_MARGIN,
                        valid_until=current.arrival_end + SLIP_MARGIN,
                        issued_at=now,
                        issued_by=actor,
                    )
                break
            except IntegrityError:
                continue
        if slip is None:
            raise errors.invalid_state()
        notification_send(
            user_ids=[current.buy.leader_id],
            kind="filing_approved",
            dedupe_key=f"filing:{current.pk}:rev{current.revision}:approved",
            params={"title": current.buy.title, "code": slip.display_code},
            link=filing_link(current.pk),
            community_id=current.community_id,
        )
        audit_append(
            community_id=current.community_id,
            kind="filing_approved",
            actor=actor,
            subject=f"filing:{current.pk}",
            data={
                "buy": current.buy_id,
                "revision": current.revision,
                "slip": slip.pk,
                "valid_from": slip.valid_from,
                "valid_until": slip.valid_until,
            },
            now=now,
        )
    return slip


def filing_reject(*, actor: User, filing: Filing, reason: str, now: datetime | None = None) -> Filing:
    _check_reviewer(actor, filing)
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise errors.reason_required()
    if len(reason) > 300:
        raise errors.invalid_field("reason")
    with transaction.atomic():
        current = Filing.objects.select_for_update().select_related("buy").get(pk=filing.pk)
        if current.status != FilingStatus.SUBMITTED:
            raise errors.invalid_state()
        # A rejected filing sends the buy back to "ordered": the leader fixes and resubmits.
        if not buy_transition(buy_id=current.buy_id, from_states=[BuyStatus.FILED], to_state=BuyStatus.ORDERED):
            raise errors.invalid_state()
        filing_rejection_record(
            filing=current,
            reason=reason,
            actor=actor,
            kind="filing_rejected",
            dedupe="rejected",
            data={"buy": current.buy_id, "revision": current.revision, "reason": reason},
            now=now,
        )
    filing.refresh_from_db()
    return filing
