"""At the gate: arrival, disinfection evidence, disinfection finished, release (30 minutes later)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.notifications import notification_send
from accounts.permissions import Action, require
from compliance import exceptions as errors
from compliance.files import EVIDENCE_PREFIX, INCOMING_PREFIX, classify_evidence
from compliance.models import Evidence, EvidenceKind, EvidenceStatus, Filing, FilingStatus, Slip
from compliance.notifications import filing_link
from compliance.services.audit import audit_append
from core.enqueue import enqueue_task_on_commit
from core.uploads import (
    VIDEO_CONTENT_TYPES,
    delete_private,
    reencode_settle,
    reencode_stored,
    save_private_upload,
    upload_allowance_check,
)
from groupbuy.models import BuyStatus, GroupBuy
from groupbuy.notifications import participant_user_ids
from groupbuy.services.transitions import buy_transition
from settlement.services.distribution import pickup_ready_notify

logger = logging.getLogger(__name__)

RELEASE_WAIT = timedelta(minutes=30)
EVIDENCE_STATES = [BuyStatus.ARRIVED, BuyStatus.DISINFECTED, BuyStatus.RELEASED]


def _locked(filing: Filing) -> tuple[Filing, str]:
    current = Filing.objects.select_for_update().get(pk=filing.pk)
    status = GroupBuy.objects.filter(pk=current.buy_id).values_list("status", flat=True).get()
    return current, status


def _minute(dt: datetime) -> datetime:
    return dt.replace(second=0, microsecond=0)


def _hm(dt: datetime) -> str:
    return timezone.localtime(dt).strftime("%m-%d %H:%M")


def _slip_consume(*, filing: Filing, actor: User, now: datetime) -> Slip:
    """Consume the filing's slip (compare-and-swap): only once, and only while it is valid.

    Caller holds the filing's row lock. One slip lets one vehicle in; afterwards the gate reads it "already used".
    """
    if not Slip.objects.filter(
        filing_id=filing.pk, consumed_at__isnull=True, valid_from__lte=now, valid_until__gte=now
    ).update(consumed_at=now, consumed_by=actor):
        slip = Slip.objects.filter(filing_id=filing.pk).first()
        if slip is None:
            raise errors.invalid_state()
        if slip.consumed_at is not None:
            raise errors.slip_already_used(_hm(slip.consumed_at))
        raise errors.outside_arrival_window(_hm(slip.valid_from), _hm(slip.valid_until))
    return Slip.objects.get(filing_id=filing.pk)


def arrival_record(*, actor: User, filing: Filing, receivers: str = "", now: datetime | None = None) -> Filing:
    """The goods are at the gate (approved buy → arrived), inside the slip's validity; the slip is consumed."""
    require(actor, Action.RECEIVE_GOODS, filing.community_id)
    now = now or timezone.now()
    receivers = (receivers or "").strip()[:200]
    with transaction.atomic():
        current, buy_status = _locked(filing)
        if current.status == FilingStatus.ON_HOLD or buy_status == BuyStatus.ON_HOLD:
            raise errors.delivery_on_hold()
        if current.status != FilingStatus.APPROVED:
            raise errors.invalid_state()
        slip = _slip_consume(filing=current, actor=actor, now=now)
        if not buy_transition(buy_id=current.buy_id, from_states=[BuyStatus.APPROVED], to_state=BuyStatus.ARRIVED):
            raise errors.invalid_state()
        Filing.objects.filter(pk=current.pk).update(arrived_at=now, arrived_by=actor, receivers=receivers)
        audit_append(
            community_id=current.community_id,
            kind="goods_arrived",
            actor=actor,
            subject=f"filing:{current.pk}",
            data={"buy": current.buy_id, "receivers": receivers, "slip": slip.pk},
            now=now,
        )
    filing.refresh_from_db()
    return filing


def evidence_add(*, actor: User, filing: Filing, upload, now: datetime | None = None) -> Evidence:
    """Store a disinfection photo (re-encoded by a task after commit) or a short video (checked by signature)."""
    require(actor, Action.RECEIVE_GOODS, filing.community_id)
    if upload is None:
        raise errors.evidence_file_required()
    upload_allowance_check(actor.pk)
    kind, ext = classify_evidence(upload)
    now = now or timezone.now()
    if GroupBuy.objects.filter(pk=filing.buy_id).values_list("status", flat=True).get() not in EVIDENCE_STATES:
        raise errors.invalid_state()
    prefix = INCOMING_PREFIX if kind == EvidenceKind.PHOTO else EVIDENCE_PREFIX
    name = save_private_upload(upload, prefix, ext)
    try:
        with transaction.atomic():
            current, buy_status = _locked(filing)
            if buy_status not in EVIDENCE_STATES:
                raise errors.invalid_state()
            if kind == EvidenceKind.PHOTO:
                evidence = Evidence.objects.create(
                    filing=current,
                    kind=kind,
                    status=EvidenceStatus.PENDING,
                    source=name,
                    uploaded_by=actor,
                    created_at=now,
                )
                enqueue_task_on_commit("compliance.tasks.process_evidence", evidence.pk)
            else:
                evidence = Evidence.objects.create(
                    filing=current,
                    kind=kind,
                    status=EvidenceStatus.READY,
                    file=name,
                    content_type=VIDEO_CONTENT_TYPES[ext],
                    uploaded_by=actor,
                    created_at=now,
                )
            audit_append(
                community_id=current.community_id,
                kind="evidence_added",
                actor=actor,
                subject=f"filing:{current.pk}",
                data={"evidence": evidence.pk, "kind": kind},
                now=now,
            )
    except BaseException:
        delete_private(name)
        raise
    return evidence


def evidence_process(*, evidence_id: int) -> bool:
    """Re-encode a pending photo (EXIF/GPS stripped, thumbnail). Idempotent: True only when it did the work."""
    evidence = Evidence.objects.filter(pk=evidence_id, status=EvidenceStatus.PENDING).first()
    if evidence is None or not evidence.source.name:
        return False
    source = evidence.source.name
    result = reencode_stored(source, EVIDENCE_PREFIX)
    still_pending = Evidence.objects.filter(pk=evidence_id, status=EvidenceStatus.PENDING)
    if result.error_code:  # refused on decoding, or its raw file is gone
        done = still_pending.update(status=EvidenceStatus.FAILED, error_code=result.error_code, source="")
    else:
        done = still_pending.update(
            status=EvidenceStatus.READY,
            file=result.image,
            thumbnail=result.thumbnail,
            content_type=result.content_type,
            source="",
        )
    reencode_settle(result, source=source, swapped=bool(done))  # the loser's files go
    return bool(done) and not result.error_code


def disinfection_finish(
    *, actor: User, filing: Filing, finished_at: datetime | None = None, now: datetime | None = None
) -> Filing:
    """Disinfection of the packaging finished at `finished_at` (arrived → disinfected). Needs evidence."""
    require(actor, Action.RECEIVE_GOODS, filing.community_id)
    now = now or timezone.now()
    finished_at = finished_at or now
    with transaction.atomic():
        current, buy_status = _locked(filing)
        if buy_status != BuyStatus.ARRIVED or current.arrived_at is None:
            raise errors.invalid_state()
        first_evidence = (
            Evidence.objects.filter(filing=current)
            .exclude(status=EvidenceStatus.FAILED)
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if first_evidence is None:
            raise errors.evidence_required()
        # The page's time field has minute precision, so arrival and evidence count from the start of their minute.
        earliest = _minute(max(current.arrived_at, first_evidence))
        if not earliest <= finished_at <= now:
            raise errors.disinfection_time_out_of_range(_hm(earliest))
        if not buy_transition(buy_id=current.buy_id, from_states=[BuyStatus.ARRIVED], to_state=BuyStatus.DISINFECTED):
            raise errors.invalid_state()
        Filing.objects.filter(pk=current.pk).update(disinfected_at=finished_at, disinfected_by=actor)
        audit_append(
            community_id=current.community_id,
            kind="disinfection_finished",
            actor=actor,
            subject=f"filing:{current.pk}",
            data={"buy": current.buy_id, "finished_at": finished_at},
            now=now,
        )
    filing.refresh_from_db()
    return filing


def release_earliest(filing: Filing) -> datetime | None:
    return filing.disinfected_at + RELEASE_WAIT if filing.disinfected_at else None


def delivery_release(*, actor: User, filing: Filing, now: datetime | None = None) -> Filing:
    """Let the goods into the compound: only 30 minutes after disinfection finished."""
    require(actor, Action.RECEIVE_GOODS, filing.community_id)
    now = now or timezone.now()
    with transaction.atomic():
        current, buy_status = _locked(filing)
        if buy_status != BuyStatus.DISINFECTED or current.disinfected_at is None:
            raise errors.invalid_state()
        earliest = current.disinfected_at + RELEASE_WAIT
        if now < earliest:
            raise errors.release_too_early(timezone.localtime(earliest).strftime("%H:%M"))
        if not buy_transition(buy_id=current.buy_id, from_states=[BuyStatus.DISINFECTED], to_state=BuyStatus.RELEASED):
            raise errors.invalid_state()
        Filing.objects.filter(pk=current.pk).update(released_at=now, released_by=actor)
        buy = GroupBuy.objects.only("title", "leader_id").get(pk=current.buy_id)
        notification_send(
            user_ids=participant_user_ids(buy_id=current.buy_id) | {buy.leader_id},
            kind="goods_released",
            dedupe_key=f"filing:{current.pk}:released",
            params={"title": buy.title},
            link=filing_link(current.pk),
            community_id=current.community_id,
        )
        # Only now are the goods ready: each household hears its pickup code (issued since the close).
        pickup_ready_notify(buy_id=current.buy_id)
        audit_append(
            community_id=current.community_id,
            kind="goods_released",
            actor=actor,
            subject=f"filing:{current.pk}",
            data={"buy": current.buy_id, "disinfected_at": current.disinfected_at},
            now=now,
        )
    filing.refresh_from_db()
    return filing


def evidence_pending_ids(*, older_than: timedelta = timedelta(minutes=5), limit: int = 100) -> list[int]:
    cutoff = timezone.now() - older_than
    return list(
        Evidence.objects.filter(status=EvidenceStatus.PENDING, created_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
