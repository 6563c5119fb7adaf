"""Issue 8, test 12: the permission matrix.

Every route of the site (enumerated from the URL resolver, admin aside) has an entry here: each API
operation (every method of every API view) and each page, with the roles that may use it. A new route
without an entry fails `test_every_route_is_in_the_matrix`.

Each cell is one request by one role against one world (tests/reliability/world.py), inside a savepoint
rolled back after the request, so every cell starts from the same state. A refused cell must get a
refusal (API: 401/403/404; page: 403/404, or the login redirect for anonymous) and change nothing; an
allowed cell must not be refused (it may still get a 400/409 for the request body or the state: what is
checked here is who gets past the permission check) and never a 5xx.
"""

from __future__ import annotations

import copy
import datetime
import io
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.html import escape
from PIL import Image

from core.errors import ApplicationError, NotFound, PermissionRefused
from tests.reliability.world import ROLES, World

pytestmark = pytest.mark.django_db


def _jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 120, 10)).save(buffer, "JPEG")
    return SimpleUploadedFile("p.jpg", buffer.getvalue(), content_type="image/jpeg")


def _later(hours: float) -> str:
    return (timezone.now() + datetime.timedelta(hours=hours)).isoformat()


@dataclass
class Op:
    name: str  # URL name
    method: str
    kwargs: Callable[[World], dict] = lambda w: {}
    body: Callable[[World], Any] = lambda w: None
    multipart: bool = False
    query: str = ""
    # The page limits its form's choices to what the person may act on (communities they lead), so a refusal
    # comes back as a 400 form error rather than a refusal message.
    form_refusal: bool = False
    allowed: frozenset[str] = field(default_factory=frozenset)

    @property
    def key(self) -> str:
        return f"{self.method} {self.name}"


A = lambda w: {"community_id": w.community.pk}  # noqa: E731
OPEN = lambda w: {"pk": w.open_buy.pk}  # noqa: E731
CLOSED = lambda w: {"pk": w.closed_buy.pk}  # noqa: E731
FILING = lambda w: {"pk": w.filing.pk}  # noqa: E731
RES_ENTRY = lambda w: {"entry_pk": w.resident_entry.pk}  # noqa: E731


def _filing_body(w: World) -> dict:
    start = timezone.now() + datetime.timedelta(hours=1)
    return {
        "arrival_start": start.isoformat(),
        "arrival_end": (start + datetime.timedelta(minutes=30)).isoformat(),
        "vehicle_plate": "沪A 12345",
        "driver_name": "李师傅",
        "test_sampled_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
    }


def _buy_body(w: World) -> dict:
    return {
        "community_id": w.community.pk,
        "title": "新团",
        "kind": "fair",
        "items": [{"offer_id": w.offer.pk}],
        "moq_kind": "units",
        "moq": "5",
        "deadline": _later(24),
        "delivery_date": (timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
        "distribution_mode": "building",
    }


API_OPS = [
    # accounts
    Op("api-me", "GET"),
    Op("api-token", "POST", body=lambda w: {"username": "nobody", "password": "wrong"}),
    Op("api-token-logout", "POST"),  # revokes the token it is sent with: a session has none (a coded 400)
    Op("api-token-logout-all", "POST"),
    Op("api-invite-redeem", "POST", body=lambda w: {"code": "ABCD-EFGH-JKLM"}),
    Op("api-join-requests", "GET"),
    Op(
        "api-join-requests",
        "POST",
        body=lambda w: {"community_id": w.community.pk, "building_id": w.place.building.pk, "room": "909"},
    ),
    Op("api-join-request-approve", "POST", kwargs=lambda w: {"pk": w.join_request.pk}, body=lambda w: {}),
    Op("api-join-request-reject", "POST", kwargs=lambda w: {"pk": w.join_request.pk}, body=lambda w: {"reason": "x"}),
    Op("api-notifications", "GET"),
    Op("api-notification-read", "POST", kwargs=lambda w: {"pk": w.notification.pk}),
    Op("api-notifications-read-all", "POST"),
    Op("api-notification-settings", "GET"),
    Op("api-notification-settings", "PUT", body=lambda w: {"sms": False}),
    # compliance
    Op("api-compliance-policy", "GET", kwargs=A),
    Op(
        "api-compliance-policy",
        "PUT",
        kwargs=A,
        body=lambda w: {"weekdays": [0, 1, 2], "lead_hours": 1, "gate_opens": "08:00", "gate_closes": "18:00"},
    ),
    Op("api-compliance-suspensions", "GET", kwargs=A),
    Op(
        "api-compliance-suspensions",
        "POST",
        kwargs=A,
        body=lambda w: {"starts_at": _later(48), "ends_at": _later(50), "reason": "drill"},
    ),
    Op("api-compliance-suspension-lift", "POST", kwargs=lambda w: {"pk": w.suspension.pk}),
    Op("api-compliance-queue", "GET", kwargs=A),
    Op("api-compliance-verify-slip", "POST", kwargs=A, body=lambda w: {"code": "ABCD-EFGH"}),
    Op("api-compliance-audit-verify", "GET", kwargs=A),
    Op("api-compliance-filing-create", "GET", kwargs=lambda w: {"buy_id": w.ordered_buy.pk}),
    Op(
        "api-compliance-filing-create",
        "POST",
        kwargs=lambda w: {"buy_id": w.closed_buy.pk},
        body=_filing_body,
        multipart=True,
    ),
    Op("api-compliance-filing", "GET", kwargs=FILING),
    Op("api-compliance-filing-resubmit", "POST", kwargs=FILING, body=_filing_body, multipart=True),
    Op("api-compliance-filing-approve", "POST", kwargs=FILING),
    Op("api-compliance-filing-reject", "POST", kwargs=FILING, body=lambda w: {"reason": "documents unreadable"}),
    Op("api-compliance-arrival", "POST", kwargs=FILING, body=lambda w: {"receivers": "张三"}),
    Op("api-compliance-evidence", "POST", kwargs=FILING, body=lambda w: {"file": _jpeg()}, multipart=True),
    Op("api-compliance-disinfected", "POST", kwargs=FILING, body=lambda w: {}),
    Op("api-compliance-release", "POST", kwargs=FILING),
    # group buys
    Op("api-buys", "GET"),
    Op("api-buys", "POST", body=_buy_body),
    Op("api-buy", "GET", kwargs=OPEN),
    Op("api-buy-share-text", "GET", kwargs=OPEN),
    Op("api-buy-entries", "GET", kwargs=OPEN),
    Op("api-buy-entries", "POST", kwargs=OPEN, body=lambda w: {"quantities": {str(w.open_item.pk): 1}}),
    Op("api-buy-close", "POST", kwargs=OPEN),
    Op("api-buy-cancel", "POST", kwargs=OPEN, body=lambda w: {"reason": "supplier out of stock"}),
    Op("api-buy-mark-ordered", "POST", kwargs=CLOSED),
    Op("api-buy-purchase-order", "GET", kwargs=CLOSED),
    Op("api-my-entries", "GET"),
    Op(
        "api-entry",
        "PATCH",
        kwargs=lambda w: {"pk": w.open_entry.pk},
        body=lambda w: {"quantities": {str(w.open_item.pk): 2}},
    ),
    Op("api-entry-withdraw", "POST", kwargs=lambda w: {"pk": w.open_entry.pk}),
    Op("api-suppliers", "GET"),
    Op("api-suppliers", "POST", body=lambda w: {"community_id": w.community.pk, "name": "新供应商"}),
    Op("api-supplier", "GET", kwargs=lambda w: {"pk": w.supplier.pk}),
    Op("api-supplier", "PATCH", kwargs=lambda w: {"pk": w.supplier.pk}, body=lambda w: {"name": "改名"}),
    Op("api-supplier-offers", "GET", kwargs=lambda w: {"pk": w.supplier.pk}),
    Op(
        "api-supplier-offers",
        "POST",
        kwargs=lambda w: {"pk": w.supplier.pk},
        body=lambda w: {"title": "土豆", "unit": "kg", "unit_price": "5", "supplier_cost": "4"},
    ),
    Op("api-offer", "GET", kwargs=lambda w: {"pk": w.offer.pk}),
    Op("api-offer", "PATCH", kwargs=lambda w: {"pk": w.offer.pk}, body=lambda w: {"title": "新土豆"}),
    Op(
        "api-offer-photos",
        "POST",
        kwargs=lambda w: {"pk": w.offer.pk},
        body=lambda w: {"upload": _jpeg()},
        multipart=True,
    ),
    # accounts: community administration
    Op("api-members", "GET", kwargs=A),
    Op(
        "api-membership-roles",
        "PUT",
        kwargs=lambda w: {"pk": w.place.resident.pk},
        body=lambda w: {"is_team_leader": True},
    ),
    Op(
        "api-household-vulnerable",
        "PUT",
        kwargs=lambda w: {"pk": w.place.resident.household.pk},
        body=lambda w: {"is_vulnerable": True},
    ),
    Op(
        "api-household-members",
        "POST",
        kwargs=A,
        body=lambda w: {"building_id": w.place.building.pk, "room": "301", "name": "王奶奶"},
    ),
    Op("api-invites-issue", "POST", kwargs=A, body=lambda w: {"household_ids": [w.place.resident.household.pk]}),
    # pools across communities, 帮卖, the board
    Op("api-pool", "GET", kwargs=lambda w: {"pk": w.pool.pk}),
    Op(
        "api-pool-offer", "POST", kwargs=lambda w: {"pk": w.pool.pk}, body=lambda w: {"community": w.other_community.pk}
    ),
    Op(
        "api-pool-join",
        "POST",
        kwargs=lambda w: {"pk": w.pool.pk},
        body=lambda w: {"community": w.other_community.pk, "drop_point": "North gate"},
    ),
    Op(
        "api-pool-cancel",
        "POST",
        kwargs=lambda w: {"pk": w.pool.pk},
        body=lambda w: {"reason": "supplier out of stock"},
    ),
    Op("api-buy-pool", "POST", kwargs=OPEN),
    Op("api-buy-pool-leave", "POST", kwargs=lambda w: {"pk": w.pool_buy.pk}),
    Op(
        "api-buy-share",
        "POST",
        kwargs=lambda w: {"pk": w.pool_buy.pk},
        body=lambda w: {"community": w.other_community.pk, "drop_point": "North gate"},
    ),
    Op("api-buy-coordination", "GET", kwargs=OPEN),
    Op("api-board", "GET"),
    # settlement
    Op("api-settlement-me", "GET", kwargs=CLOSED),
    Op("api-settlement-orders", "GET"),
    Op("api-settlement-pick-list", "GET", kwargs=CLOSED),
    Op(
        "api-settlement-donation-action",
        "POST",
        kwargs=lambda w: {"donation_pk": w.donation.pk},
        body=lambda w: {"action": "paid"},
    ),
    Op("api-settlement-reconciliation", "GET", kwargs=CLOSED),
    Op("api-settlement-reminders", "POST", kwargs=CLOSED),
    Op("api-settlement-refunds", "GET", kwargs=CLOSED),
    Op("api-settlement-price-changes", "GET", kwargs=CLOSED),
    Op(
        "api-settlement-price-changes",
        "POST",
        kwargs=CLOSED,
        body=lambda w: {"item_id": w.closed.main.pk, "new_price": "60", "reason": "up", "deadline": _later(5)},
    ),
    Op("api-settlement-arrivals", "POST", kwargs=CLOSED, body=lambda w: {"arrived": {str(w.closed.main.pk): 1}}),
    Op("api-settlement-pickup-codes", "POST", kwargs=CLOSED),
    Op("api-settlement-handover", "POST", kwargs=CLOSED, body=lambda w: {"code": w.pickup.code}),
    Op("api-settlement-progress", "GET", kwargs=CLOSED),
    Op("api-settlement-after-sales", "GET", kwargs=CLOSED),
    Op("api-settlement-donations", "GET", kwargs=CLOSED),
    # Donations are taken while the buy takes sign-ups (issue 13 item 1): on the open buy, so the cell means something.
    Op("api-settlement-donations", "POST", kwargs=OPEN, body=lambda w: {"item_id": w.open_item.pk, "quantity": 1}),
    Op("api-settlement-pay", "POST", kwargs=RES_ENTRY, body=lambda w: {"amount": "197", "method": "cash"}),
    # the payment page's data and the leader's 收款码 (settlement/selectors/payee.py, services/payee.py)
    Op("api-settlement-pay", "GET", kwargs=RES_ENTRY),
    Op("api-settlement-payee", "GET", kwargs=CLOSED),
    Op("api-settlement-payee", "PUT", kwargs=CLOSED, body=lambda w: {"name": "王团长"}),
    Op("api-settlement-payee-default", "GET"),
    Op("api-settlement-payee-default", "PUT", body=lambda w: {"name": "王团长"}),
    Op("api-settlement-confirm", "POST", kwargs=RES_ENTRY, body=lambda w: {}),
    Op("api-settlement-report", "POST", kwargs=RES_ENTRY, body=lambda w: {"kind": "damaged", "description": "wet"}),
    Op(
        "api-settlement-respond",
        "POST",
        kwargs=lambda w: {"change_pk": w.price_change.pk},
        body=lambda w: {"choice": "accept"},
    ),
    Op("api-settlement-paid-back", "POST", kwargs=lambda w: {"refund_pk": w.refund.pk}),
    Op("api-settlement-received", "POST", kwargs=lambda w: {"refund_pk": w.refund.pk}),
    Op(
        "api-settlement-resolve",
        "POST",
        kwargs=lambda w: {"report_pk": w.report.pk},
        body=lambda w: {"resolution": "refund", "refund_amount": "1"},
    ),
]

CB = lambda w: {"community_id": w.community.pk}  # noqa: E731
BUY_OPEN = lambda w: {"pk": w.open_buy.pk}  # noqa: E731
BUY_CLOSED = lambda w: {"pk": w.closed_buy.pk}  # noqa: E731
ENTRY_OPEN = lambda w: {"pk": w.open_buy.pk, "entry_pk": w.open_entry.pk}  # noqa: E731
POST = lambda w: {}  # noqa: E731

PAGE_OPS = [
    # accounts
    Op("home", "GET"),
    Op("set_language", "POST", body=lambda w: {"language": "en", "next": "/"}),
    Op("accounts:login", "POST", body=lambda w: {"username": "nobody", "password": "wrong"}),
    Op("accounts:logout", "POST", body=POST),
    Op("accounts:password_change", "POST", body=POST),
    Op("accounts:password_change_done", "GET"),
    Op("accounts:redeem", "POST", body=lambda w: {"code": "ABCD-EFGH-JKLM"}),
    Op("accounts:join_start", "GET"),
    # the installable web app (core/pwa.py): nothing personal, the same for everyone
    Op("pwa_manifest", "GET"),
    Op("pwa_sw", "GET"),
    Op("pwa_offline", "GET"),
    Op("pwa_favicon", "GET"),
    Op("accounts:join_request", "POST", kwargs=CB, body=POST),
    Op("accounts:notifications", "GET"),
    Op("accounts:notifications_read", "POST", body=POST),
    Op("accounts:notifications_sms", "POST", body=lambda w: {"sms": "off"}),
    # Phone login (django-allauth): open to everyone, like the login page.
    Op("account_login", "GET"),
    Op("account_request_login_code", "GET"),
    Op("account_confirm_login_code", "GET"),
    Op("account_signup", "GET"),
    Op("account_verify_phone", "GET"),
    Op("account_inactive", "GET"),
    Op("account_change_phone", "GET"),
    # Sharing (issue 15): the poster and the link reset on the buy; the public preview behind the token.
    Op("groupbuy:buy_poster", "GET", kwargs=OPEN),
    Op("groupbuy:share_link_reset", "POST", kwargs=OPEN, body=POST),
    Op("share:preview", "GET", kwargs=lambda w: {"token": w.share_token}),
    Op("share:photo", "GET", kwargs=lambda w: {"token": w.share_token, "photo_id": w.share_photo.pk}),
    Op("share:poster", "GET", kwargs=lambda w: {"token": w.share_token}),
    Op("share:go", "GET", kwargs=lambda w: {"token": w.share_token}),
    Op(
        "accounts:join_requests",
        "POST",
        kwargs=CB,
        body=lambda w: {"request_id": w.join_request.pk, "decision": "approve"},
    ),
    Op("accounts:invites", "POST", kwargs=CB, body=POST),
    Op("accounts:members", "GET", kwargs=CB),
    Op(
        "accounts:member_roles",
        "POST",
        kwargs=lambda w: {"community_id": w.community.pk, "membership_id": w.place.resident.pk},
        body=POST,
    ),
    Op("accounts:vulnerable", "POST", kwargs=CB, body=POST),
    Op("accounts:household_members", "POST", kwargs=CB, body=POST),
    # compliance
    Op("compliance:index", "GET"),
    Op("compliance:community", "GET", kwargs=CB),
    Op("compliance:policy", "POST", kwargs=CB, body=POST),
    Op("compliance:suspensions", "POST", kwargs=CB, body=POST),
    Op("compliance:suspension_lift", "POST", kwargs=lambda w: {"pk": w.suspension.pk}, body=POST),
    Op("compliance:queue", "GET", kwargs=CB),
    Op("compliance:deliveries", "GET", kwargs=CB),
    Op("compliance:audit", "GET", kwargs=CB),
    Op("compliance:audit_csv", "GET", kwargs=CB),
    Op("compliance:buy_delivery", "GET", kwargs=lambda w: {"buy_id": w.ordered_buy.pk}),
    Op("compliance:filing_create", "POST", kwargs=lambda w: {"buy_id": w.closed_buy.pk}, body=POST),
    Op("compliance:filing_detail", "GET", kwargs=FILING),
    Op("compliance:filing_edit", "POST", kwargs=FILING, body=POST),
    Op("compliance:filing_approve", "POST", kwargs=FILING, body=POST),
    Op("compliance:filing_reject", "POST", kwargs=FILING, body=lambda w: {"reason": "documents unreadable"}),
    Op("compliance:arrival", "POST", kwargs=FILING, body=POST),
    Op("compliance:evidence_upload", "POST", kwargs=FILING, body=POST),
    Op("compliance:disinfected", "POST", kwargs=FILING, body=POST),
    Op("compliance:release", "POST", kwargs=FILING, body=POST),
    Op("compliance:gate", "GET"),
    Op("compliance:gate", "POST", body=lambda w: {"code": "ABCD-EFGH"}),
    Op("compliance:document_file", "GET", kwargs=lambda w: {"pk": w.document.pk}),
    Op("compliance:evidence_file", "GET", kwargs=lambda w: {"pk": w.evidence.pk}),
    # group buys
    Op("groupbuy:buy_list", "GET"),
    Op("groupbuy:my_entries", "GET"),
    Op("groupbuy:buy_create", "POST", body=POST),
    Op("groupbuy:buy_detail", "GET", kwargs=BUY_OPEN),
    Op("groupbuy:buy_join", "POST", kwargs=BUY_OPEN, body=POST),
    Op("groupbuy:entry_change", "POST", kwargs=ENTRY_OPEN, body=POST),
    Op("groupbuy:entry_withdraw", "POST", kwargs=ENTRY_OPEN, body=lambda w: {"confirm": "yes"}),
    # The buy page's own forms post to it (join / change / withdraw); the withdrawal is the one that can hurt.
    Op(
        "groupbuy:buy_detail",
        "POST",
        kwargs=BUY_OPEN,
        body=lambda w: {"action": "withdraw", "entry": w.open_entry.pk, "confirm": "yes"},
    ),
    Op("groupbuy:proxy_signup", "POST", kwargs=BUY_OPEN, body=POST),
    Op("groupbuy:dashboard", "GET", kwargs=BUY_OPEN),
    Op("groupbuy:buy_close_now", "POST", kwargs=BUY_OPEN, body=POST),
    Op("groupbuy:buy_cancel", "POST", kwargs=BUY_OPEN, body=POST),
    Op("groupbuy:buy_mark_ordered", "POST", kwargs=BUY_CLOSED, body=POST),
    Op("groupbuy:purchase_order", "GET", kwargs=BUY_CLOSED),
    Op("groupbuy:export", "GET", kwargs=lambda w: {"pk": w.closed_buy.pk, "what": "signups", "fmt": "csv"}),
    Op("groupbuy:supplier_list", "POST", body=POST),
    Op("groupbuy:supplier_detail", "POST", kwargs=lambda w: {"pk": w.supplier.pk}, body=POST),
    Op("groupbuy:offer_detail", "POST", kwargs=lambda w: {"pk": w.offer.pk}, body=POST),
    Op("groupbuy:offer_photo", "GET", kwargs=lambda w: {"pk": w.photo.pk, "variant": "full"}),
    Op("printables:signup_sheet", "GET", kwargs=BUY_OPEN),
    Op("printables:pick_list", "GET", kwargs=BUY_CLOSED),
    Op("printables:stats", "GET", kwargs=BUY_OPEN),
    Op("groupbuy:board", "GET"),
    Op("groupbuy:pool_detail", "GET", kwargs=lambda w: {"pk": w.pool.pk}),
    Op(
        "groupbuy:pool_offer",
        "POST",
        kwargs=lambda w: {"pk": w.pool.pk},
        body=lambda w: {"community": w.other_community.pk},
    ),
    Op(
        "groupbuy:pool_join",
        "POST",
        kwargs=lambda w: {"pk": w.pool.pk},
        body=lambda w: {"community": w.other_community.pk, "drop_point": "North gate"},
        form_refusal=True,
    ),
    Op(
        "groupbuy:pool_cancel",
        "POST",
        kwargs=lambda w: {"pk": w.pool.pk},
        body=lambda w: {"reason": "supplier out of stock"},
    ),
    Op("groupbuy:buy_coordination", "GET", kwargs=BUY_OPEN),
    Op("groupbuy:pool_start", "POST", kwargs=BUY_OPEN, body=POST),
    Op("groupbuy:pool_leave", "POST", kwargs=lambda w: {"pk": w.pool_buy.pk}, body=POST),
    Op("groupbuy:pool_share_form", "GET", kwargs=lambda w: {"pk": w.pool_buy.pk}),
    Op(
        "groupbuy:pool_share",
        "POST",
        kwargs=lambda w: {"pk": w.pool_buy.pk},
        body=lambda w: {"community": w.other_community.pk, "drop_point": "North gate"},
        form_refusal=True,
    ),
    # settlement
    Op("settlement:hub", "GET", kwargs=BUY_CLOSED),
    Op("settlement:reconcile", "GET", kwargs=BUY_CLOSED),
    Op("settlement:remind", "POST", kwargs=BUY_CLOSED, body=POST),
    Op("settlement:refunds", "GET", kwargs=BUY_CLOSED),
    Op("settlement:price_change_new", "POST", kwargs=BUY_CLOSED, body=POST),
    Op("settlement:arrivals", "POST", kwargs=BUY_CLOSED, body=POST),
    Op("settlement:after_sales", "GET", kwargs=BUY_CLOSED),
    Op("settlement:donations", "POST", kwargs=BUY_OPEN, body=lambda w: {"item": w.open_item.pk, "quantity": "1"}),
    Op("settlement:distribution", "GET", kwargs=BUY_CLOSED),
    Op("settlement:issue_codes", "POST", kwargs=BUY_CLOSED, body=POST),
    Op("settlement:pick_list", "GET", kwargs=BUY_CLOSED),
    Op("settlement:queue", "GET", kwargs=BUY_CLOSED),
    Op("settlement:handover", "POST", kwargs=BUY_CLOSED, body=lambda w: {"code": w.pickup.code}),
    Op("settlement:pay", "POST", kwargs=RES_ENTRY, body=lambda w: {"amount": "197", "method": "cash"}),
    Op("settlement:pay", "GET", kwargs=RES_ENTRY),
    Op("settlement:payee", "POST", kwargs=BUY_CLOSED, body=lambda w: {"name": "王团长"}),
    Op("settlement:payee_qr", "GET", kwargs=BUY_CLOSED),
    Op("settlement:payee_default", "POST", body=lambda w: {"name": "王团长"}),
    Op("settlement:payee_default_qr", "GET"),
    Op("settlement:confirm", "POST", kwargs=RES_ENTRY, body=POST),
    Op("settlement:report", "POST", kwargs=RES_ENTRY, body=POST),
    Op("settlement:respond", "POST", kwargs=lambda w: {"change_pk": w.price_change.pk}, body=POST),
    Op("settlement:refund_paid_back", "POST", kwargs=lambda w: {"refund_pk": w.refund.pk}, body=POST),
    Op("settlement:refund_received", "POST", kwargs=lambda w: {"refund_pk": w.refund.pk}, body=POST),
    Op(
        "settlement:after_sales_resolve",
        "POST",
        kwargs=lambda w: {"report_pk": w.report.pk},
        body=lambda w: {"resolution": "refund", "refund_amount": "1"},
    ),
    Op(
        "settlement:donation_action",
        "POST",
        kwargs=lambda w: {"donation_pk": w.donation.pk},
        body=lambda w: {"action": "paid"},
    ),
    Op("settlement:file", "GET", kwargs=lambda w: {"kind": "payment", "pk": w.payment.pk}),
]

# Routes deliberately outside the matrix, with the reason.
NOT_IN_MATRIX = {
    "api-schema": "public OpenAPI document (no data)",
    "api-docs": "public API docs page (no data)",
}


def _routes(patterns=None, prefix="", namespace="") -> list[tuple[str, Any]]:
    found = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += _routes(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            found.append((f"{namespace}{entry.name}", entry.callback))
    return found


def _api_methods(callback) -> set[str]:
    view = getattr(callback, "view_class", None)
    if view is None:
        return set()
    return {m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)}


def test_every_route_is_in_the_matrix():
    """A new route (or a new method on an API view) without an entry here fails."""
    covered = {op.key for op in API_OPS + PAGE_OPS}
    names = {op.name for op in API_OPS + PAGE_OPS}
    missing = []
    for name, callback in _routes():
        if name in NOT_IN_MATRIX:
            continue
        if name.startswith("api-"):
            missing += [f"{m} {name}" for m in sorted(_api_methods(callback)) if f"{m} {name}" not in covered]
        elif name not in names:
            missing.append(name)
    assert missing == []
    assert all(op.key in EXPECTED for op in API_OPS + PAGE_OPS), sorted(
        op.key for op in API_OPS + PAGE_OPS if op.key not in EXPECTED
    )


def _outcome(op: Op, status: int, location: str) -> str:
    """'refused', 'login' (anonymous sent to sign in), 'ok' (past the permission check), or 'error'."""
    if status >= 500:
        return "error"
    if op.form_refusal and status == 400:
        return "refused"
    if status in (401, 403, 404):
        return "refused"
    if status == 302 and "/accounts/login/" in location and op.name != "accounts:logout":
        return "login"
    return "ok"


def _request(client: Client, op: Op, world: World):
    url = reverse(op.name, kwargs=op.kwargs(world)) + (f"?{op.query}" if op.query else "")
    body = op.body(world)
    method = getattr(client, op.method.lower())
    headers = {"HTTP_ACCEPT": "application/json"} if op.name.startswith("api-") else {}
    if body is None:
        return method(url, **headers)
    if op.multipart or not op.name.startswith("api-"):
        return method(url, data=body, **headers)
    return method(url, data=body, content_type="application/json", **headers)


def _rows_written() -> int:
    """Rows inserted, updated or deleted so far in this transaction (PostgreSQL's own counters)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables")
        return cur.fetchone()[0]


def _shown(response, texts: list[str]) -> bool:
    storage = getattr(response.wsgi_request, "_messages", None)
    flashed = [str(m.message) for m in getattr(storage, "_queued_messages", [])]
    streaming = getattr(response, "streaming", False)
    content = response.content.decode(errors="replace") if response.status_code == 200 and not streaming else ""
    return any(text in flashed or (content and escape(text) in content) for text in texts)


def run_matrix(world: World, ops: list[Op], monkeypatch) -> dict[str, dict[str, str]]:
    # Pages answer a refusal with the message on the page or after a redirect, so the status alone does not
    # tell: note every permission refusal / not-found the code raises during the request.
    # A refusal used only for control flow inside a view (caught, nothing shown) does not count: the message
    # must reach the person, in a flash message or on the page.
    raised: list[str] = []
    original = ApplicationError.__init__

    def noting(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if isinstance(self, PermissionRefused | NotFound):
            raised.append(str(self.message))

    monkeypatch.setattr(ApplicationError, "__init__", noting)

    clients = {}
    for role, user in world.users.items():
        client = Client()
        if user is not None:
            client.force_login(user)
        clients[role] = client
    observed: dict[str, dict[str, str]] = {}
    for op in ops:
        row = {}
        for role in ROLES:
            sid = transaction.savepoint()
            cookies = copy.deepcopy(clients[role].cookies)  # a logout or a new session must not leak into the next cell
            try:
                before = _rows_written()
                raised.clear()
                response = _request(clients[role], op, world)
                outcome = _outcome(op, response.status_code, response.get("Location", ""))
                if outcome == "ok" and raised and not op.name.startswith("api-") and _shown(response, raised):
                    outcome = "refused"
                if outcome in ("refused", "login") and _rows_written() != before:
                    outcome = "refused-but-changed"
                row[role] = outcome
            finally:
                transaction.savepoint_rollback(sid)
                clients[role].cookies = cookies
        observed[op.key] = row
    return observed


def _print_observed(observed):  # pragma: no cover - a helper for writing EXPECTED
    groups = {frozenset(v): k for k, v in (("EVERYONE", EVERYONE), ("SIGNED_IN", SIGNED_IN), ("MEMBERS", MEMBERS))}
    for key, row in observed.items():
        allowed = frozenset(r for r, o in row.items() if o == "ok")
        odd = {r: o for r, o in row.items() if o not in ("ok", "refused", "login")}
        shown = groups.get(allowed) or "{" + ", ".join(f'"{r}"' for r in ROLES if r in allowed) + "}"
        print(f'    "{key}": {shown},{"  # " + repr(odd) if odd else ""}')  # noqa: T201


EVERYONE = set(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
MEMBERS = SIGNED_IN - {"other_committee"}  # every role in community A

# Who gets past the permission check, per operation. "leader" leads the buys of the world; "other_leader" is
# a team leader who does not. Reviewed against accounts/permissions.py and the services' own checks.
EXPECTED: dict[str, set[str]] = {
    "GET api-me": SIGNED_IN,
    "POST api-token": EVERYONE,
    "POST api-token-logout": SIGNED_IN,
    "POST api-token-logout-all": SIGNED_IN,
    "POST api-invite-redeem": EVERYONE,
    "GET api-join-requests": SIGNED_IN,
    "POST api-join-requests": SIGNED_IN,
    "POST api-join-request-approve": {"building_leader", "committee"},
    "POST api-join-request-reject": {"building_leader", "committee"},
    "GET api-notifications": SIGNED_IN,
    "POST api-notification-read": {"resident"},
    "POST api-notifications-read-all": SIGNED_IN,
    "GET api-notification-settings": SIGNED_IN,
    "PUT api-notification-settings": SIGNED_IN,
    "GET api-compliance-policy": MEMBERS,
    "PUT api-compliance-policy": {"committee"},
    "GET api-compliance-suspensions": MEMBERS,
    "POST api-compliance-suspensions": {"committee"},
    "POST api-compliance-suspension-lift": {"committee"},
    "GET api-compliance-queue": {"committee"},
    "POST api-compliance-verify-slip": {"committee", "gate_guard"},
    "GET api-compliance-audit-verify": {"committee"},
    "GET api-compliance-filing-create": {"resident", "leader", "receiving_volunteer", "committee"},
    "POST api-compliance-filing-create": {"leader"},
    "GET api-compliance-filing": {"resident", "leader", "receiving_volunteer", "committee"},
    "POST api-compliance-filing-resubmit": {"leader"},
    "POST api-compliance-filing-approve": {"committee"},
    "POST api-compliance-filing-reject": {"committee"},
    "POST api-compliance-arrival": {"receiving_volunteer", "committee"},
    "POST api-compliance-evidence": {"receiving_volunteer", "committee"},
    "POST api-compliance-disinfected": {"receiving_volunteer", "committee"},
    "POST api-compliance-release": {"receiving_volunteer", "committee"},
    "GET api-buys": SIGNED_IN,
    "POST api-buys": {"leader", "other_leader"},
    "GET api-buy": MEMBERS,
    "GET api-buy-share-text": MEMBERS,
    "GET api-buy-entries": {"leader", "data_volunteer"},
    "POST api-buy-entries": {
        "resident",
        "neighbour",
        "leader",
        "other_leader",
        "building_leader",
        "data_volunteer",
        "receiving_volunteer",
    },
    "POST api-buy-close": {"leader"},
    "POST api-buy-cancel": {"leader"},
    "POST api-buy-mark-ordered": {"leader"},
    "GET api-buy-purchase-order": {"leader", "data_volunteer"},
    "GET api-my-entries": SIGNED_IN,
    "PATCH api-entry": {"resident"},
    "POST api-entry-withdraw": {"resident"},
    "GET api-suppliers": {"leader", "other_leader"},
    "POST api-suppliers": {"leader", "other_leader"},
    "GET api-supplier": {"leader", "other_leader"},
    "PATCH api-supplier": {"leader", "other_leader"},
    "GET api-supplier-offers": {"leader", "other_leader"},
    "POST api-supplier-offers": {"leader", "other_leader"},
    "GET api-offer": MEMBERS,
    "PATCH api-offer": {"leader", "other_leader"},
    "POST api-offer-photos": {"leader", "other_leader"},
    "GET api-members": {"committee"},
    "PUT api-membership-roles": {"committee"},
    "PUT api-household-vulnerable": {"committee"},
    "POST api-household-members": {"building_leader", "committee"},
    "POST api-invites-issue": {"committee"},
    "GET api-pool": SIGNED_IN,
    "POST api-pool-offer": {"leader"},
    # Only a leader of an invited community may join or share into it; nobody here leads community B.
    "POST api-pool-join": set(),
    "POST api-pool-cancel": {"leader"},
    "POST api-buy-pool": {"leader"},
    "POST api-buy-pool-leave": {"leader"},
    "POST api-buy-share": set(),
    "GET api-buy-coordination": MEMBERS,
    "GET api-board": {"leader", "other_leader"},
    "GET api-settlement-me": {"resident", "neighbour"},
    "GET api-settlement-orders": SIGNED_IN,
    "GET api-settlement-pick-list": {
        "leader",
        "other_leader",
        "building_leader",
        "data_volunteer",
        "receiving_volunteer",
    },
    "POST api-settlement-donation-action": {"leader", "data_volunteer"},
    "GET api-settlement-reconciliation": {"leader", "data_volunteer"},
    "POST api-settlement-reminders": {"leader", "data_volunteer"},
    "GET api-settlement-refunds": MEMBERS,
    "GET api-settlement-price-changes": MEMBERS,
    "POST api-settlement-price-changes": {"leader"},
    "POST api-settlement-arrivals": {"leader"},
    "POST api-settlement-pickup-codes": {"leader"},
    "POST api-settlement-handover": {
        "leader",
        "other_leader",
        "building_leader",
        "data_volunteer",
        "receiving_volunteer",
    },
    "GET api-settlement-progress": {
        "leader",
        "other_leader",
        "building_leader",
        "data_volunteer",
        "receiving_volunteer",
    },
    # After-sales reports (and their photos) are shown to the whole community of the buy, by design (H7).
    "GET api-settlement-after-sales": MEMBERS,
    "GET api-settlement-donations": MEMBERS,
    "POST api-settlement-donations": MEMBERS,
    "POST api-settlement-pay": {"resident", "leader", "data_volunteer"},
    "GET api-settlement-pay": {"resident", "leader", "data_volunteer"},
    # The 收款码 of a buy: households with a live sign-up, payment staff and the committee; set by its leader only.
    "GET api-settlement-payee": {"resident", "neighbour", "leader", "data_volunteer", "committee"},
    "PUT api-settlement-payee": {"leader"},
    # Everyone reads and sets only their own default payee (the world's leader has one).
    "GET api-settlement-payee-default": {"leader"},
    "PUT api-settlement-payee-default": SIGNED_IN,
    "POST api-settlement-confirm": {"leader", "data_volunteer"},
    "POST api-settlement-report": {"resident"},
    "POST api-settlement-respond": {"resident", "neighbour"},
    "POST api-settlement-paid-back": {"leader", "data_volunteer"},
    "POST api-settlement-received": {"resident", "leader", "data_volunteer"},
    "POST api-settlement-resolve": {"leader"},
    # --- pages ---
    "GET home": SIGNED_IN,
    "POST set_language": EVERYONE,
    "POST accounts:login": EVERYONE,
    "POST accounts:logout": EVERYONE,
    "POST accounts:password_change": SIGNED_IN,
    "GET accounts:password_change_done": SIGNED_IN,
    "POST accounts:redeem": EVERYONE,
    "GET accounts:join_start": EVERYONE,
    "POST accounts:join_request": EVERYONE,
    "GET accounts:notifications": SIGNED_IN,
    "POST accounts:notifications_read": SIGNED_IN,
    "POST accounts:notifications_sms": SIGNED_IN,
    # Phone login: the code pages send someone with no code pending back to the login page (anonymous) or home.
    "GET account_login": EVERYONE,
    "GET account_request_login_code": EVERYONE,
    "GET account_confirm_login_code": SIGNED_IN,
    "GET account_signup": EVERYONE,
    "GET account_verify_phone": SIGNED_IN,
    "GET account_inactive": EVERYONE,
    "GET account_change_phone": EVERYONE,
    # Sharing: the poster for those who may share the buy, the reset for its leader; the token's pages are public
    # (they show no names), and its 我要接龙 sends an anonymous visitor to log in first.
    "GET groupbuy:buy_poster": MEMBERS,
    "POST groupbuy:share_link_reset": {"leader"},
    "GET share:preview": EVERYONE,
    "GET share:photo": EVERYONE,
    "GET share:poster": EVERYONE,
    "GET share:go": SIGNED_IN,
    "POST accounts:join_requests": {"building_leader", "committee"},
    "POST accounts:invites": {"committee"},
    "GET accounts:members": {"committee"},
    "POST accounts:member_roles": {"committee"},
    "POST accounts:vulnerable": {"committee"},
    "POST accounts:household_members": {"building_leader", "committee"},
    "GET compliance:index": SIGNED_IN,
    "GET compliance:community": MEMBERS,
    "POST compliance:policy": {"committee"},
    "GET pwa_manifest": EVERYONE,
    "GET pwa_sw": EVERYONE,
    "GET pwa_offline": EVERYONE,
    "GET pwa_favicon": EVERYONE,
    "POST compliance:suspensions": {"committee"},
    "POST compliance:suspension_lift": {"committee"},
    "GET compliance:queue": {"committee"},
    "GET compliance:deliveries": {"receiving_volunteer", "committee"},
    "GET compliance:audit": {"committee"},
    "GET compliance:audit_csv": {"committee"},
    "GET compliance:buy_delivery": MEMBERS,
    "POST compliance:filing_create": {"leader"},
    "GET compliance:filing_detail": {"resident", "leader", "receiving_volunteer", "committee"},
    "POST compliance:filing_edit": {"leader"},
    "POST compliance:filing_approve": {"committee"},
    "POST compliance:filing_reject": {"committee"},
    "POST compliance:arrival": {"receiving_volunteer", "committee"},
    "POST compliance:evidence_upload": {"receiving_volunteer", "committee"},
    "POST compliance:disinfected": {"receiving_volunteer", "committee"},
    "POST compliance:release": {"receiving_volunteer", "committee"},
    "GET compliance:gate": {"committee", "other_committee", "gate_guard"},
    "POST compliance:gate": {"committee", "other_committee", "gate_guard"},
    "GET compliance:document_file": {"leader", "committee"},
    "GET compliance:evidence_file": {"resident", "leader", "receiving_volunteer", "committee"},
    "GET groupbuy:buy_list": SIGNED_IN,
    "GET groupbuy:my_entries": SIGNED_IN,
    "POST groupbuy:buy_create": {"leader", "other_leader"},
    "GET groupbuy:buy_detail": MEMBERS,
    "POST groupbuy:buy_join": {
        "resident",
        "neighbour",
        "leader",
        "other_leader",
        "building_leader",
        "data_volunteer",
        "receiving_volunteer",
    },
    "POST groupbuy:entry_change": {"resident"},
    "POST groupbuy:entry_withdraw": {"resident"},
    # Proxy ordering (issue 13 item 5): the buy's own leader, a building leader; volunteers only with the proxy role.
    "POST groupbuy:proxy_signup": {"leader", "building_leader"},
    "GET groupbuy:dashboard": {"leader", "data_volunteer"},
    "POST groupbuy:buy_close_now": {"leader"},
    "POST groupbuy:buy_cancel": {"leader"},
    "POST groupbuy:buy_mark_ordered": {"leader"},
    "GET groupbuy:purchase_order": {"leader", "data_volunteer"},
    "GET groupbuy:export": {"leader", "data_volunteer"},
    "POST groupbuy:supplier_list": {"leader", "other_leader"},
    "POST groupbuy:buy_detail": {"resident"},
    "POST groupbuy:supplier_detail": {"leader", "other_leader"},
    "POST groupbuy:offer_detail": {"leader", "other_leader"},
    "GET groupbuy:offer_photo": MEMBERS,
    "GET printables:signup_sheet": {"leader", "building_leader"},
    "GET printables:pick_list": {"leader", "other_leader", "building_leader", "data_volunteer", "receiving_volunteer"},
    "GET printables:stats": MEMBERS,
    "GET groupbuy:board": {"leader", "other_leader"},
    "GET groupbuy:pool_detail": SIGNED_IN,
    "POST groupbuy:pool_offer": {"leader"},
    "POST groupbuy:pool_join": set(),
    "POST groupbuy:pool_cancel": {"leader"},
    "GET groupbuy:buy_coordination": MEMBERS,
    "POST groupbuy:pool_start": {"leader"},
    "POST groupbuy:pool_leave": {"leader"},
    "GET groupbuy:pool_share_form": MEMBERS,
    "POST groupbuy:pool_share": set(),
    "GET settlement:hub": MEMBERS,
    "GET settlement:reconcile": {"leader", "data_volunteer"},
    "POST settlement:remind": {"leader", "data_volunteer"},
    "GET settlement:refunds": MEMBERS,
    "POST settlement:price_change_new": {"leader"},
    "POST settlement:arrivals": {"leader"},
    "GET settlement:after_sales": MEMBERS,
    "POST settlement:donations": MEMBERS,
    "GET settlement:distribution": {
        "leader",
        "other_leader",
        "building_leader",
        "data_volunteer",
        "receiving_volunteer",
    },
    "POST settlement:issue_codes": {"leader"},
    "GET settlement:pick_list": {"leader", "other_leader", "building_leader", "data_volunteer", "receiving_volunteer"},
    "GET settlement:queue": {"leader", "other_leader", "building_leader", "data_volunteer", "receiving_volunteer"},
    "POST settlement:handover": {"leader", "other_leader", "building_leader", "data_volunteer", "receiving_volunteer"},
    "POST settlement:pay": {"resident", "leader", "data_volunteer"},
    "GET settlement:pay": {"resident", "leader", "data_volunteer"},
    "POST settlement:payee": {"leader"},
    "GET settlement:payee_qr": {"resident", "neighbour", "leader", "data_volunteer", "committee"},
    "POST settlement:payee_default": SIGNED_IN,
    "GET settlement:payee_default_qr": {"leader"},
    "POST settlement:confirm": {"leader", "data_volunteer"},
    "POST settlement:report": {"resident"},
    "POST settlement:respond": {"resident", "neighbour"},
    "POST settlement:refund_paid_back": {"leader", "data_volunteer"},
    "POST settlement:refund_received": {"resident", "leader", "data_volunteer"},
    "POST settlement:after_sales_resolve": {"leader"},
    "POST settlement:donation_action": {"leader", "data_volunteer"},
    "GET settlement:file": {"resident", "leader", "data_volunteer"},
}


@pytest.mark.parametrize("ops", [API_OPS, PAGE_OPS], ids=["api", "pages"])
def test_each_role_gets_exactly_the_intended_answer(place, other_place, settings, monkeypatch, ops):
    settings.LANGUAGE_CODE = "en"
    world = World(place, other_place)
    observed = run_matrix(world, ops, monkeypatch)
    if os.environ.get("MATRIX_OBSERVE"):
        _print_observed(observed)
    mismatches = {}
    for op in ops:
        expected = set(EXPECTED.get(op.key, ()))
        row = observed[op.key]
        wrong = {
            role: outcome
            for role, outcome in row.items()
            if (outcome == "ok") != (role in expected) or outcome in ("error", "refused-but-changed")
        }
        if wrong:
            mismatches[op.key] = wrong
    assert mismatches == {}
