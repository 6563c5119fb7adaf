"""Celery tasks: ids in, one service call, idempotent."""

from __future__ import annotations

from celery import shared_task

from compliance.services.delivery import evidence_pending_ids, evidence_process
from compliance.services.documents import document_process, documents_pending_ids
from compliance.services.pending import pending_documents_sweep
from compliance.services.policy import suspensions_expire
from compliance.services.reminders import filings_remind_unapproved


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def process_evidence(evidence_id: int) -> bool:
    return evidence_process(evidence_id=evidence_id)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def process_document(document_id: int) -> bool:
    return document_process(document_id=document_id)


@shared_task(acks_late=True)
def remind_unapproved_filings() -> int:
    """Beat: remind leaders and committee of filings not approved a day before arrival (deduplicated)."""
    return filings_remind_unapproved()


@shared_task(acks_late=True)
def repair_pending_evidence() -> int:
    """Beat: re-enqueue photos whose processing enqueue was lost (e.g. Redis down at upload time)."""
    ids = evidence_pending_ids()
    for evidence_id in ids:
        process_evidence.delay(evidence_id)
    # Filing documents that are photos are re-encoded the same way (compliance/services/documents.py).
    document_ids = documents_pending_ids()
    for document_id in document_ids:
        process_document.delay(document_id)
    # Documents kept from a refused filing form and never filed go with their files after a day.
    swept = pending_documents_sweep()
    return len(ids) + len(document_ids) + swept


@shared_task(acks_late=True)
def expire_suspensions() -> int:
    """Beat: suspensions that ran out unlifted release the deliveries they held (each exactly once, CAS)."""
    return suspensions_expire()
