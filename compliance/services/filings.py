"""Delivery filings (报备): submit and resubmit.

Files are checked and stored before the transaction (nothing slow under a
lock) and removed again if the filing is refused, so a refusal leaves nothing
on disk. The policy rules are checked under the community's policy lock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.notifications import notification_send
from accounts.permissions import require_buy_leader
from compliance import exceptions as errors
from compliance.files import StoredDocument, delete_stored, store_document, validate_document_upload
from compliance.models import DocumentKind, Filing, FilingDocument, FilingLine, FilingStatus, PendingDocument, Slip
from compliance.notifications import filing_link
from compliance.selectors import committee_user_id_list, policy_get
from compliance.services.audit import audit_append
from compliance.services.documents import document_recorded
from compliance.services.pending import pending_as_stored, pending_documents_consume, pending_documents_store
from compliance.services.policy import filing_rule_violations, policy_lock
from compliance.services.qualifications import (
    buy_supplier_id,
    copy_to_keep,
    kept_copy_for_filing,
    qualification_record,
    qualification_valid_get,
    vehicle_pass_record,
    vehicle_pass_valid_get,
)
from core.errors import ApplicationError
from core.uploads import delete_private
from groupbuy.models import BuyStatus, GroupBuy, PurchaseOrder, PurchaseOrderLine
from groupbuy.services.transitions import buy_transition

DOCUMENT_KINDS = [DocumentKind.QUALIFICATION, DocumentKind.VEHICLE_PASS, DocumentKind.TEST_REPORT]
FILABLE_STATES = [BuyStatus.CLOSED, BuyStatus.ORDERED]
EDITABLE_STATES = (FilingStatus.SUBMITTED, FilingStatus.REJECTED, FilingStatus.APPROVED, FilingStatus.ON_HOLD)
# Where the buy must be for a filing in this state to be refiled (back to "filed").
BUY_STATE_BEFORE_REFILE: dict[str, BuyStatus] = {
    FilingStatus.REJECTED: BuyStatus.ORDERED,
    FilingStatus.APPROVED: BuyStatus.APPROVED,
    FilingStatus.ON_HOLD: BuyStatus.ON_HOLD,
}
_PLATE_RE = re.compile(r"^[\w·\-]{4,12}$")


def _clean_fields(*, gate: str, vehicle_plate: str, driver_name: str) -> dict[str, str]:
    plate = re.sub(r"\s+", "", vehicle_plate or "").upper()
    if not _PLATE_RE.fullmatch(plate):
        raise errors.vehicle_plate_invalid()
    driver = (driver_name or "").strip()
    if not driver or len(driver) > 40:
        raise errors.driver_name_invalid()
    gate = (gate or "").strip()
    if len(gate) > 60:
        raise errors.invalid_field("gate")
    return {"vehicle_plate": plate, "driver_name": driver, "gate": gate}


def _check_rules(*, community_id: int, arrival_start, arrival_end, test_sampled_at, now, locked=None) -> None:
    policy = locked or policy_get(community=community_id)
    violations = filing_rule_violations(
        policy=policy,
        arrival_start=arrival_start,
        arrival_end=arrival_end,
        test_sampled_at=test_sampled_at,
        now=now,
    )
    if violations:
        raise errors.filing_refused(violations)


def _notify_committee(*, filing: Filing, buy: GroupBuy, revision: int) -> None:
    """Tell the community's committee staff a filing (or a new revision of one) waits for review: once per revision.

    Not its submitter, who may not review it.
    """
    notification_send(
        user_ids=committee_user_id_list(community_id=filing.community_id) - {filing.submitted_by_id, buy.leader_id},
        kind="filing_submitted",
        dedupe_key=f"filing:{filing.pk}:rev{revision}:submitted",
        params={"title": buy.title, "arrival": timezone.localtime(filing.arrival_start).strftime("%m-%d %H:%M")},
        link=filing_link(filing.pk),
        community_id=filing.community_id,
    )


def _check_and_store(documents: dict[str, Any], required: bool, *, user_id: int) -> list[StoredDocument]:
    """Validate every upload first, then store them; a failure removes whatever was stored."""
    documents = {k: v for k, v in (documents or {}).items() if v}
    if required:
        missing = [str(k) for k in DOCUMENT_KINDS if k not in documents]
        if missing:
            raise errors.documents_missing(missing)
    unknown = set(documents) - {str(k) for k in DOCUMENT_KINDS}
    if unknown:
        raise errors.invalid_field(sorted(unknown)[0])
    exts = {kind: validate_document_upload(upload) for kind, upload in documents.items()}
    stored: list[StoredDocument] = []
    try:
        for kind, upload in documents.items():
            stored.append(store_document(kind, upload, exts[kind], user_id=user_id))
    except BaseException:
        delete_stored(stored)
        raise
    return stored


def _copy_lines(filing: Filing) -> list[FilingLine]:
    order = PurchaseOrder.objects.filter(buy_id=filing.buy_id).prefetch_related("lines__item__offer").first()
    if order is None or not order.lines.all():
        raise errors.no_purchase_order()
    lines = [
        FilingLine(
            filing=filing,
            item=line.item,
            title=line.item.offer.title,
            unit=line.item.offer.unit,
            quantity=line.quantity,
        )
        for line in order.lines.all()
        if line.quantity > 0
    ]
    return FilingLine.objects.bulk_create(lines)


def filing_refusal(*, buy: GroupBuy) -> ApplicationError | None:
    """Why `buy` cannot be filed now (already filed, not closed/ordered, no purchase order), or None.

    The one rule behind the "报备送货" link, the form page's early refusal and filing_submit itself."""
    if Filing.objects.filter(buy_id=buy.pk).exists():
        return errors.already_filed()
    if buy.status not in FILABLE_STATES:
        return errors.buy_not_ready()
    if not PurchaseOrder.objects.filter(buy_id=buy.pk).exists():
        return errors.no_purchase_order()
    return None


def filing_allowed(*, buy: GroupBuy) -> tuple[bool, str]:
    """(True, "") if `buy` can be filed now, else (False, the reason in words) for pages offering the link."""
    refusal = filing_refusal(buy=buy)
    return (True, "") if refusal is None else (False, str(refusal.message))


KEPT_KINDS = (str(DocumentKind.QUALIFICATION), str(DocumentKind.VEHICLE_PASS))


@dataclass
class _Documents:
    stored: list[StoredDocument] = field(default_factory=list)  # what the filing records
    owned: list[StoredDocument] = field(default_factory=list)  # files made by this call: removed if it fails
    kept: dict[str, PendingDocument] = field(default_factory=dict)  # pending rows the filing uses up
    to_keep: dict[str, StoredDocument] = field(default_factory=dict)  # copies to keep as the supplier's / plate's


def _gather_documents(
    *,
    actor: User,
    uploads: dict[str, Any],
    kept: dict[str, PendingDocument],
    on_file: dict[str, Any],
    keep_until: dict[str, date | None],
) -> _Documents:
    """Store new uploads (not kept ones), copy a qualification or pass on file when none was given, and copy a
    given one to keep when it came with a "valid until" date. Whatever was stored is removed on failure."""
    docs = _Documents(kept=kept)
    docs.owned = _check_and_store(uploads, required=False, user_id=actor.pk)
    try:
        docs.stored = docs.owned + pending_as_stored(kept)
        for kind in KEPT_KINDS:
            given = next((d for d in docs.stored if d.kind == kind), None)
            if given is None and on_file.get(kind) is not None:
                copy = kept_copy_for_filing(on_file[kind], kind)
                docs.owned.append(copy)
                docs.stored.append(copy)
            elif given is not None and keep_until.get(kind) is not None:
                docs.to_keep[kind] = copy_to_keep(given)
                docs.owned.append(docs.to_keep[kind])
    except BaseException:
        delete_stored(docs.owned)
        raise
    return docs


def _check_expiry(keep_until: dict[str, date | None], arrival_start: datetime) -> None:
    for kind, expires_on in keep_until.items():
        if expires_on is not None and expires_on < timezone.localdate(arrival_start):
            raise errors.invalid_field(f"{kind}_expires_on")


def _record_kept(
    *, actor: User, buy: GroupBuy, vehicle_plate: str, docs: _Documents, keep_until: dict[str, date | None]
) -> None:
    """Keep the copies made for later filings (inside the filing's transaction); an unusable one goes."""
    unused: list[str] = []
    for kind, copy in docs.to_keep.items():
        expires_on = keep_until.get(kind)
        supplier_id = buy_supplier_id(buy) if kind == DocumentKind.QUALIFICATION else None
        if expires_on is not None and kind == DocumentKind.VEHICLE_PASS:
            vehicle_pass_record(
                actor=actor,
                community_id=buy.community_id,
                vehicle_plate=vehicle_plate,
                copy=copy,
                expires_on=expires_on,
            )
        elif expires_on is not None and supplier_id is not None:
            qualification_record(actor=actor, supplier_id=supplier_id, copy=copy, expires_on=expires_on)
        else:
            unused.append(copy.name)
    if unused:
        transaction.on_commit(lambda: delete_private(*unused))


def filing_submit(
    *,
    actor: User,
    buy: GroupBuy,
    arrival_start: datetime,
    arrival_end: datetime,
    vehicle_plate: str,
    driver_name: str,
    test_sampled_at: datetime,
    documents: dict[str, Any],
    gate: str = "",
    keep_uploads: bool = False,
    qualification_expires_on: date | None = None,
    vehicle_pass_expires_on: date | None = None,
    now: datetime | None = None,
) -> Filing:
    """File the delivery of a closed/ordered buy: goods from its purchase order, three documents, policy rules.

    `keep_uploads` (the page): the uploads are first kept as the actor's pending documents for the buy, so a
    refusal does not lose them, and documents kept from an earlier refused submit count as given. The supplier's
    qualification on file and the pass on file for the plate (valid on the arrival day) count as given too; a
    qualification (pass) given with `qualification_expires_on` (`vehicle_pass_expires_on`) is kept for the
    supplier's (the plate's) later filings.
    """
    require_buy_leader(actor, buy)
    now = now or timezone.now()
    uploads = {k: v for k, v in (documents or {}).items() if v}
    kept: dict[str, PendingDocument] = {}
    if keep_uploads:
        kept, uploads = pending_documents_store(actor=actor, buy=buy, uploads=uploads, now=now), {}
    fields = _clean_fields(gate=gate or buy.drop_point, vehicle_plate=vehicle_plate, driver_name=driver_name)
    refusal = filing_refusal(buy=buy)
    if refusal is not None:
        raise refusal
    timing = {"arrival_start": arrival_start, "arrival_end": arrival_end, "test_sampled_at": test_sampled_at}
    keep_until = {"qualification": qualification_expires_on, "vehicle_pass": vehicle_pass_expires_on}
    _check_expiry(keep_until, arrival_start)
    arrival_day = timezone.localdate(arrival_start)
    on_file = {
        "qualification": qualification_valid_get(buy=buy, on=arrival_day),
        "vehicle_pass": vehicle_pass_valid_get(
            community_id=buy.community_id, vehicle_plate=fields["vehicle_plate"], on=arrival_day
        ),
    }
    given = set(uploads) | set(kept) | {kind for kind, found in on_file.items() if found is not None}
    # Missing documents first (cheap), then the policy, then the files themselves.
    missing = [str(k) for k in DOCUMENT_KINDS if str(k) not in given]
    if missing:
        raise errors.documents_missing(missing)
    _check_rules(community_id=buy.community_id, now=now, **timing)
    docs = _gather_documents(actor=actor, uploads=uploads, kept=kept, on_file=on_file, keep_until=keep_until)
    try:
        with transaction.atomic():
            policy = policy_lock(community_id=buy.community_id)
            _check_rules(community_id=buy.community_id, now=now, locked=policy, **timing)
            if not buy_transition(buy_id=buy.pk, from_states=FILABLE_STATES, to_state=BuyStatus.FILED):
                raise errors.buy_not_ready()
            try:
                with transaction.atomic():
                    filing = Filing.objects.create(
                        community_id=buy.community_id,
                        buy=buy,
                        submitted_by=actor,
                        submitted_at=now,
                        **fields,
                        **timing,
                    )
            except IntegrityError:
                raise errors.already_filed() from None
            lines = _copy_lines(filing)
            created = FilingDocument.objects.bulk_create(
                [
                    FilingDocument(
                        filing=filing, kind=d.kind, file=d.name, thumbnail=d.thumbnail, content_type=d.content_type
                    )
                    for d in docs.stored
                ]
            )
            for document in created:
                document_recorded(document_id=document.pk, name=document.file.name)
            pending_documents_consume(pending=docs.kept)
            _record_kept(actor=actor, buy=buy, vehicle_plate=fields["vehicle_plate"], docs=docs, keep_until=keep_until)
            audit_append(
                community_id=buy.community_id,
                kind="filing_submitted",
                actor=actor,
                subject=f"filing:{filing.pk}",
                data={
                    "buy": buy.pk,
                    "revision": 1,
                    **fields,
                    **timing,
                    "goods": [[line.title, line.quantity, line.unit] for line in lines],
                },
                now=now,
            )
            _notify_committee(filing=filing, buy=buy, revision=1)
    except BaseException:
        delete_stored(docs.owned)
        raise
    buy.status = BuyStatus.FILED
    return filing


def filing_resubmit(
    *,
    actor: User,
    filing: Filing,
    arrival_start: datetime,
    arrival_end: datetime,
    vehicle_plate: str,
    driver_name: str,
    test_sampled_at: datetime,
    documents: dict[str, Any] | None = None,
    gate: str = "",
    keep_uploads: bool = False,
    qualification_expires_on: date | None = None,
    vehicle_pass_expires_on: date | None = None,
    now: datetime | None = None,
) -> Filing:
    """Fix a filing and send it to the review queue again; documents given replace the old ones.

    Works for a pending or rejected filing, and also for an approved or held one whose goods have not
    arrived (new driver, new day after a suspension): its slip is then revoked and it is reviewed again.
    `keep_uploads` and the expiry dates as for filing_submit; a new plate with a pass on file uses that pass.
    """
    buy = filing.buy
    require_buy_leader(actor, buy)
    now = now or timezone.now()
    uploads = {k: v for k, v in (documents or {}).items() if v}
    kept: dict[str, PendingDocument] = {}
    if keep_uploads:
        kept, uploads = pending_documents_store(actor=actor, buy=buy, uploads=uploads, now=now), {}
    fields = _clean_fields(gate=gate or filing.gate, vehicle_plate=vehicle_plate, driver_name=driver_name)
    if filing.status not in EDITABLE_STATES:
        raise errors.invalid_state()
    timing = {"arrival_start": arrival_start, "arrival_end": arrival_end, "test_sampled_at": test_sampled_at}
    keep_until = {"qualification": qualification_expires_on, "vehicle_pass": vehicle_pass_expires_on}
    _check_expiry(keep_until, arrival_start)
    _check_rules(community_id=filing.community_id, now=now, **timing)
    on_file: dict[str, Any] = {}
    if fields["vehicle_plate"] != filing.vehicle_plate:  # another vehicle: its own pass, if on file
        on_file["vehicle_pass"] = vehicle_pass_valid_get(
            community_id=filing.community_id,
            vehicle_plate=fields["vehicle_plate"],
            on=timezone.localdate(arrival_start),
        )
    docs = _gather_documents(actor=actor, uploads=uploads, kept=kept, on_file=on_file, keep_until=keep_until)
    replaced: list[str] = []
    try:
        with transaction.atomic():
            policy = policy_lock(community_id=filing.community_id)
            _check_rules(community_id=filing.community_id, now=now, locked=policy, **timing)
            current = Filing.objects.select_for_update().get(pk=filing.pk)
            if current.status in BUY_STATE_BEFORE_REFILE:
                if not buy_transition(
                    buy_id=buy.pk, from_states=[BUY_STATE_BEFORE_REFILE[current.status]], to_state=BuyStatus.FILED
                ):
                    raise errors.invalid_state()  # e.g. the goods already arrived
            elif current.status != FilingStatus.SUBMITTED:
                raise errors.invalid_state()
            # A slip for the old details must not open the gate any more.
            slip_revoked = Slip.objects.filter(filing_id=filing.pk).delete()[0] > 0
            revision = current.revision + 1
            Filing.objects.filter(pk=filing.pk).update(
                status=FilingStatus.SUBMITTED,
                revision=revision,
                submitted_at=now,
                reviewed_at=None,
                reviewed_by=None,
                reject_reason="",
                held_by=None,
                **fields,
                **timing,
            )
            FilingLine.objects.filter(filing=filing).delete()
            filing.refresh_from_db()
            lines = _copy_lines(filing)
            for doc in docs.stored:
                old = FilingDocument.objects.filter(filing=filing, kind=doc.kind).first()
                if old is not None:
                    replaced += [name for name in (old.file.name, old.thumbnail.name) if name]
                document, _created = FilingDocument.objects.update_or_create(
                    filing=filing,
                    kind=doc.kind,
                    defaults={"file": doc.name, "thumbnail": doc.thumbnail, "content_type": doc.content_type},
                )
                document_recorded(document_id=document.pk, name=doc.name)
            pending_documents_consume(pending=docs.kept)
            _record_kept(actor=actor, buy=buy, vehicle_plate=fields["vehicle_plate"], docs=docs, keep_until=keep_until)
            audit_append(
                community_id=filing.community_id,
                kind="filing_resubmitted",
                actor=actor,
                subject=f"filing:{filing.pk}",
                data={
                    "buy": buy.pk,
                    "revision": revision,
                    **fields,
                    **timing,
                    "replaced_documents": [d.kind for d in docs.stored],
                    "slip_revoked": slip_revoked,
                    "goods": [[line.title, line.quantity, line.unit] for line in lines],
                },
                now=now,
            )
            _notify_committee(filing=filing, buy=buy, revision=revision)
            transaction.on_commit(lambda: delete_private(*replaced))
    except BaseException:
        delete_stored(docs.owned)
        raise
    return filing


# Where the buy is while a filing in this state still waits for its goods (they have not arrived).
BUY_STATE_WHILE_FILED: dict[str, BuyStatus] = {
    FilingStatus.SUBMITTED: BuyStatus.FILED,
    FilingStatus.APPROVED: BuyStatus.APPROVED,
    FilingStatus.ON_HOLD: BuyStatus.ON_HOLD,
}


def _goods_differ(filing: Filing) -> bool:
    filed = sorted(FilingLine.objects.filter(filing=filing).values_list("item_id", "title", "unit", "quantity"))
    ordered = sorted(
        (line.item_id, line.item.offer.title, line.item.offer.unit, line.quantity)
        for line in PurchaseOrderLine.objects.filter(order__buy_id=filing.buy_id, quantity__gt=0).select_related(
            "item__offer"
        )
    )
    return filed != ordered


def filing_rejection_record(
    *, filing: Filing, reason: str, actor: User | None, kind: str, dedupe: str, data: dict[str, Any], now: datetime
) -> None:
    """Record `filing` as rejected with `reason` (by `actor`, or by the system when None), tell the buy's leader
    once per revision, and append `kind` to the audit trail.

    Precondition: the caller holds the filing's row lock (select_related("buy")) and has already moved the buy
    back to "ordered" by compare-and-swap, inside the same transaction."""
    Filing.objects.filter(pk=filing.pk).update(
        status=FilingStatus.REJECTED, reviewed_at=now, reviewed_by=actor, reject_reason=reason, held_by=None
    )
    notification_send(
        user_ids=[filing.buy.leader_id],
        kind="filing_rejected",
        dedupe_key=f"filing:{filing.pk}:rev{filing.revision}:{dedupe}",
        params={"title": filing.buy.title, "reason": reason},
        link=filing_link(filing.pk),
        community_id=filing.community_id,
    )
    audit_append(
        community_id=filing.community_id, kind=kind, actor=actor, subject=f"filing:{filing.pk}", data=data, now=now
    )


def filing_goods_changed(*, buy_id: int, now: datetime | None = None) -> bool:
    """The buy's goods may have changed after it was filed (a price change substituted a product or withdrew
    households). If its filing, still waiting for the goods (pending, approved or on hold), lists other goods
    than the purchase order now holds, it goes back to the leader to re-file, as a rejection would: the buy
    returns to "ordered", the slip is revoked (the gate answers "invalid"), the leader is told and the audit
    trail records it. The committee never approved the new goods. Idempotent; returns whether it sent it back.

    Takes the policy lock, the filing's row, then the buy's (filing_approve's order): call it after the
    transaction that changed the goods has committed, never while holding the buy's row.
    """
    filing = Filing.objects.filter(buy_id=buy_id, status__in=list(BUY_STATE_WHILE_FILED)).first()
    if filing is None or not _goods_differ(filing):  # the common case, without a lock
        return False
    now = now or timezone.now()
    with transaction.atomic():
        policy_lock(community_id=filing.community_id)
        current = Filing.objects.select_for_update().select_related("buy").get(pk=filing.pk)
        waiting_in = BUY_STATE_WHILE_FILED.get(current.status)
        if waiting_in is None or not _goods_differ(current):
            return False
        if not buy_transition(buy_id=buy_id, from_states=[waiting_in], to_state=BuyStatus.ORDERED):
            return False  # the goods arrived meanwhile: the gate already checked them
        slip_revoked = Slip.objects.filter(filing_id=current.pk).delete()[0] > 0
        filing_rejection_record(
            filing=current,
            reason=str(_("the goods changed after a price change")),
            actor=None,
            kind="filing_goods_changed",
            dedupe="goods_changed",
            data={"buy": buy_id, "revision": current.revision, "was": current.status, "slip_revoked": slip_revoked},
            now=now,
        )
    return True
