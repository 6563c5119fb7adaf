"""Settlement pages, by concept: thin views reading through selectors and writing through one service each.

A refused action re-renders the page with the service's coded message (and what was typed),
with the error's HTTP status.
"""

from settlement.views.after_sales import after_sales_list, after_sales_resolve, arrivals
from settlement.views.distribution import distribution, gate_queue, handover, issue_codes, pick_list
from settlement.views.donations import donation_action, donations
from settlement.views.files import private_file
from settlement.views.participant import hub, pay, refund_received, report_problem, respond
from settlement.views.payee import payee_default_qr, payee_edit, payee_qr
from settlement.views.payments import confirm_payment, reconcile, refund_paid_back, refunds, remind
from settlement.views.price_changes import price_change_new

__all__ = [
    "after_sales_list",
    "after_sales_resolve",
    "arrivals",
    "confirm_payment",
    "distribution",
    "donation_action",
    "donations",
    "gate_queue",
    "handover",
    "hub",
    "issue_codes",
    "pay",
    "payee_default_qr",
    "payee_edit",
    "payee_qr",
    "pick_list",
    "price_change_new",
    "private_file",
    "reconcile",
    "refund_paid_back",
    "refund_received",
    "refunds",
    "remind",
    "report_problem",
    "respond",
]
