"""The append-only, tamper-evident audit trail.

Each community has its own hash chain. A record's hash is SHA-256 over a
canonical serialization (sorted-key compact JSON) of its fields, including the
previous record's hash. Appends lock the community's chain head row
(SELECT … FOR UPDATE), so concurrent appends queue and the chain stays linear.
Call audit_append inside the transaction of the action it records, last (the
head lock is the last lock taken), so a rolled-back action leaves no record.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from compliance.models import AuditEvent, AuditHead

GENESIS_HASH = "0" * 64


def _normalise(data: dict[str, Any] | None) -> dict[str, Any]:
    """JSON-native values only (dates and decimals as strings), exactly as they come back from the database."""
    return json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder, sort_keys=True))


def canonical_bytes(
    *,
    community_id: int,
    seq: int,
    created_at: datetime,
    kind: str,
    actor_id: int | None,
    actor_label: str,
    subject: str,
    data: dict[str, Any],
    prev_hash: str,
) -> bytes:
    payload = {
        "actor_id": actor_id,
        "actor_label": actor_label,
        "at": created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "community": community_id,
        "data": data,
        "kind": kind,
        "prev": prev_hash,
        "seq": seq,
        "subject": subject,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def record_hash(event: AuditEvent) -> str:
    return hashlib.sha256(
        canonical_bytes(
            community_id=event.community_id,
            seq=event.seq,
            created_at=event.created_at,
            kind=event.kind,
            actor_id=event.actor_id,
            actor_label=event.actor_label,
            subject=event.subject,
            data=event.data,
            prev_hash=event.prev_hash,
        )
    ).hexdigest()


def audit_append(
    *,
    community_id: int,
    kind: str,
    actor: Any = None,
    subject: str = "",
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Append one record to the community's chain (inside the caller's transaction)."""
    with transaction.atomic():
        AuditHead.objects.bulk_create([AuditHead(community_id=community_id)], ignore_conflicts=True)
        head = AuditHead.objects.select_for_update().get(community_id=community_id)
        event = AuditEvent(
            community_id=community_id,
            seq=head.seq + 1,
            created_at=now or timezone.now(),
            kind=kind,
            actor_id=getattr(actor, "pk", None),
            actor_label=str(actor)[:80] if actor is not None else "",
            subject=subject[:60],
            data=_normalise(data),
            prev_hash=head.last_hash,
        )
        event.hash = record_hash(event)
        event.save()
        AuditHead.objects.filter(pk=head.pk).update(seq=event.seq, last_hash=event.hash)
    return event


@dataclass
class ChainReport:
    community_id: int
    checked: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_chain_verify(*, community_id: int) -> ChainReport:
    """Recompute every hash and link of one community's chain, and compare the tail with the head row."""
    report = ChainReport(community_id=community_id)
    expected_prev = GENESIS_HASH
    expected_seq = 1
    events = AuditEvent.objects.filter(community_id=community_id).order_by("seq")
    for event in events.iterator(chunk_size=2000):
        if event.seq != expected_seq:
            report.problems.append({"seq": event.seq, "problem": "missing_records", "expected_seq": expected_seq})
        if event.prev_hash != expected_prev:
            report.problems.append({"seq": event.seq, "problem": "broken_link"})
        if record_hash(event) != event.hash:
            report.problems.append({"seq": event.seq, "problem": "content_changed"})
        expected_prev = event.hash
        expected_seq = event.seq + 1
        report.checked += 1
    head = AuditHead.objects.filter(community_id=community_id).first()
    head_seq, head_hash = (head.seq, head.last_hash) if head else (0, GENESIS_HASH)
    if head_seq != expected_seq - 1 or head_hash != expected_prev:
        report.problems.append({"seq": head_seq, "problem": "tail_mismatch"})
    return report


def audit_communities() -> list[int]:
    return list(AuditHead.objects.order_by("community_id").values_list("community_id", flat=True))
