"""Reads for compliance, with who-may-see-what in one place."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.safestring import SafeString

from accounts.models import Community, Membership, User
from accounts.permissions import Action, can, is_buy_leader, membership_for
from compliance.audit_text import audit_sentence, subject_html, subject_parts
from compliance.models import (
    AuditEvent,
    DeliveryPolicy,
    Evidence,
    Filing,
    FilingDocument,
    FilingStatus,
    Suspension,
)
from groupbuy.models import BuyStatus, Entry, EntryStatus, GroupBuy, PurchaseOrderLine


def policy_get(*, community: Community | int) -> DeliveryPolicy:
    """The community's policy, or the defaults (unsaved) when the committee has not set one."""
    community_id = community if isinstance(community, int) else community.pk
    policy = DeliveryPolicy.objects.filter(community_id=community_id).first()
    return policy or DeliveryPolicy(community_id=community_id)


def suspension_overlapping_list(*, community_id: int, start: datetime, end: datetime) -> QuerySet[Suspension]:
    return Suspension.objects.filter(
        community_id=community_id, lifted_at__isnull=True, starts_at__lt=end, ends_at__gt=start
    ).order_by("starts_at", "id")


def suspension_list(*, community: Community) -> QuerySet[Suspension]:
    """Latest first."""
    return Suspension.objects.filter(community=community).select_related("created_by", "lifted_by")


def review_queue_list(*, community: Community) -> list[Filing]:
    """Filings waiting for review, oldest first, with goods and documents loaded (fixed query count)."""
    return list(
        Filing.objects.filter(community=community, status=FilingStatus.SUBMITTED)
        .select_related("buy", "submitted_by")
        .prefetch_related("lines", "documents")
        .order_by("submitted_at", "id")
    )


def filing_get(*, pk: int) -> Filing | None:
    return (
        Filing.objects.select_related(
            "buy", "community", "submitted_by", "reviewed_by", "arrived_by", "held_by", "slip"
        )
        .prefetch_related(
            "lines",
            "documents",
            Prefetch("evidence", queryset=Evidence.objects.select_related("uploaded_by").order_by("created_at", "id")),
        )
        .filter(pk=pk)
        .first()
    )


def buy_filing_get(*, buy_id: int) -> Filing | None:
    return Filing.objects.filter(buy_id=buy_id).only("pk").first()


def is_participant(*, user: User, buy: GroupBuy) -> bool:
    """The user's household has a live entry in the buy, or the user placed one."""
    membership = membership_for(user, buy.community_id)
    if membership is None:
        return False
    entries = Entry.objects.filter(buy_id=buy.pk, status=EntryStatus.ACTIVE)
    if membership.household_id and entries.filter(household_id=membership.household_id).exists():
        return True
    return entries.filter(placed_by=user).exists()


def committee_user_id_list(*, community_id: int) -> set[int]:
    return set(
        Membership.objects.filter(community_id=community_id, is_active=True, is_committee=True).values_list(
            "user_id", flat=True
        )
    )


def delivery_visibility(*, user: User, filing: Filing) -> dict[str, bool]:
    """What this user may see of a filing.

    documents: the buy's leader and committee staff (the test report is the driver's personal data).
    delivery: status, goods and disinfection evidence: also receiving volunteers and the buy's participants.
    slip: the code and QR: the leader, committee staff and receiving volunteers.
    """
    community_id = filing.community_id
    is_leader = is_buy_leader(user, filing.buy)
    is_committee = can(user, Action.REVIEW_FILING, community_id)
    is_receiving = can(user, Action.RECEIVE_GOODS, community_id)
    delivery = is_leader or is_committee or is_receiving or is_participant(user=user, buy=filing.buy)
    return {
        "delivery": delivery,
        "documents": is_leader or is_committee,
        "slip": is_leader or is_committee or is_receiving,
        "review": is_committee and not is_leader and filing.submitted_by_id != user.pk,
        "receive": is_receiving,
        "edit": is_leader,
    }


def document_get(*, user: User, pk: int) -> FilingDocument | None:
    document = FilingDocument.objects.select_related("filing__buy").filter(pk=pk).first()
    if document is None or not delivery_visibility(user=user, filing=document.filing)["documents"]:
        return None
    return document


def evidence_get(*, user: User, pk: int) -> Evidence | None:
    evidence = Evidence.objects.select_related("filing__buy").filter(pk=pk).first()
    if evidence is None or not delivery_visibility(user=user, filing=evidence.filing)["delivery"]:
        return None
    return evidence


def audit_event_list(*, community: Community) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(community=community).order_by("seq")


def audit_event_recent_list(*, community: Community, limit: int = 50) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(community=community).order_by("-seq")[:limit])


@dataclass(frozen=True)
class AuditLine:
    event: AuditEvent
    text: SafeString | None  # the record in words (compliance.audit_text); None: a kind with no sentence


def audit_line_list(*, community: Community, limit: int = 50) -> list[AuditLine]:
    """The latest records in words, newest first, for the audit page (two queries: records, filing titles)."""
    events = audit_event_recent_list(community=community, limit=limit)
    subjects = (subject_parts(e.subject) for e in events)
    filing_ids = {pk for kind, pk in subjects if kind == "filing" and pk is not None}
    titles: dict[int, str] = {}
    if filing_ids:
        titles = dict(Filing.objects.filter(community=community, pk__in=filing_ids).values_list("pk", "buy__title"))
    return [
        AuditLine(
            event=e,
            text=audit_sentence(e, subject=subject_html(e.subject, community_id=community.pk, titles=titles)),
        )
        for e in events
    ]


AUDIT_CSV_HEADER = ["seq", "created_at", "kind", "actor_id", "actor", "subject", "data", "prev_hash", "hash"]


def audit_csv_row_list(*, community: Community) -> Iterator[list[Any]]:
    yield AUDIT_CSV_HEADER
    for e in audit_event_list(community=community).iterator(chunk_size=2000):
        yield [
            e.seq,
            e.created_at.isoformat(),
            e.kind,
            e.actor_id or "",
            e.actor_label,
            e.subject,
            json.dumps(e.data, ensure_ascii=False, sort_keys=True),
            e.prev_hash,
            e.hash,
        ]


def guard_community_list(*, user: User) -> list[Community]:
    """Communities where the user may verify slips."""
    memberships = Membership.objects.filter(user=user, is_active=True).select_related("community")
    return [m.community for m in memberships if can(user, Action.VERIFY_SLIP, m.community_id)]


GATE_STATES = [BuyStatus.APPROVED, BuyStatus.ON_HOLD, BuyStatus.ARRIVED, BuyStatus.DISINFECTED]


def delivery_upcoming_list(*, community: Community) -> QuerySet[Filing]:
    """Approved deliveries not yet released, in arrival order: the receiving team's list."""
    return (
        Filing.objects.filter(community=community, buy__status__in=GATE_STATES)
        .select_related("buy")
        .order_by("arrival_start", "id")
    )


def delivery_today_list(*, community: Community) -> QuerySet[Filing]:
    return delivery_upcoming_list(community=community)[:10]


def buy_to_file_list(*, community: Community, leader: User) -> QuerySet[GroupBuy]:
    """The leader's closed/ordered buys: to file, or to fix after a rejection."""
    return GroupBuy.objects.filter(
        community=community, leader=leader, status__in=[BuyStatus.CLOSED, BuyStatus.ORDERED]
    ).order_by("delivery_date", "id")


def purchase_order_line_list(*, buy_id: int) -> list[PurchaseOrderLine]:
    return list(
        PurchaseOrderLine.objects.filter(order__buy_id=buy_id, quantity__gt=0)
        .select_related("item__offer")
        .order_by("id")
    )


def participant_filing_list(*, user: User, community: Community) -> list[Filing]:
    """Deliveries of the buys the user's household takes part in (latest first)."""
    membership = membership_for(user, community.pk)
    if membership is None:
        return []
    entries = Entry.objects.filter(buy__community=community, status=EntryStatus.ACTIVE)
    if membership.household_id:
        buy_ids = entries.filter(household_id=membership.household_id).values("buy_id")
    else:
        buy_ids = entries.filter(placed_by=user).values("buy_id")
    return list(Filing.objects.filter(buy_id__in=buy_ids).select_related("buy").order_by("-arrival_start", "-id")[:20])


def community_list(*, user: User) -> list[Community]:
    return [
        m.community
        for m in Membership.objects.filter(user=user, is_active=True)
        .select_related("community")
        .order_by("community__name")
    ]


def suspension_current_list(*, community: Community, now: datetime) -> list[Suspension]:
    """Suspensions in force now or announced for later (for everyone to see)."""
    return list(
        Suspension.objects.filter(community=community, lifted_at__isnull=True, ends_at__gt=now).order_by("starts_at")
    )


@dataclass(frozen=True)
class CommitteeHome:
    pending_count: int
    pending: list[Filing]  # the oldest few waiting for review
    suspensions: list[Suspension]  # in force now or announced


def committee_home_get(*, community: Community, now: datetime, limit: int = 3) -> CommitteeHome:
    """The committee's home block: filings to review (count and the oldest few) and current suspensions
    (three queries)."""
    waiting = Filing.objects.filter(community=community, status=FilingStatus.SUBMITTED)
    return CommitteeHome(
        pending_count=waiting.count(),
        pending=list(waiting.select_related("buy").order_by("submitted_at", "id")[:limit]),
        suspensions=suspension_current_list(community=community, now=now),
    )
