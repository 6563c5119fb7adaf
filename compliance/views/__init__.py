"""Mobile pages for committee staff, leaders, gate guards, receiving volunteers and residents.

Views parse input, check who may look, call one service and render. Refusals
from services are shown in the form with the same message the API gives.
"""

from compliance.views.committee import (
    audit,
    audit_csv,
    community_home,
    filing_approve,
    filing_reject,
    index,
    policy_edit,
    queue,
    suspension_lift,
    suspensions,
)
from compliance.views.delivery import (
    arrival,
    deliveries,
    disinfected,
    document_file,
    evidence_file,
    evidence_upload,
    gate_check,
    release,
)
from compliance.views.leader import buy_delivery, filing_create, filing_detail, filing_edit

__all__ = [
    "arrival",
    "audit",
    "audit_csv",
    "buy_delivery",
    "community_home",
    "deliveries",
    "disinfected",
    "document_file",
    "evidence_file",
    "evidence_upload",
    "filing_approve",
    "filing_create",
    "filing_detail",
    "filing_edit",
    "filing_reject",
    "gate_check",
    "index",
    "policy_edit",
    "queue",
    "release",
    "suspension_lift",
    "suspensions",
]
