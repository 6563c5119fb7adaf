"""Leader and data volunteers: reconciliation, payment confirmation, reminders, refunds."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import membership_for
from core.pages import page, refusal_flashed
from core.parsing import int_param
from groupbuy.exports import csv_response, xlsx_response
from settlement import exceptions as errors
from settlement import exports, selectors
from settlement.models import (
    PaymentState,
    Refund,
)
from settlement.permissions import is_payment_staff
from settlement.services import payments as payment_services
from settlement.views.common import entry_for


@require_GET
@page
def reconcile(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    data = selectors.reconciliation_get(
        user=request.user,
        buy=buy,
        unpaid_hours=int_param(request.GET.get("hours"), 24, high=selectors.UNPAID_HOURS_MAX),
        state=request.GET.get("state", ""),
        marked_first=not request.GET.get("format"),  # the page: 待确认 first; the exports keep 接龙 order
    )
    fmt = request.GET.get("format")
    if fmt == "csv":
        return csv_response(exports.reconciliation_table(data=data))
    if fmt == "xlsx":
        return xlsx_response(exports.reconciliation_table(data=data))
    return render(
        request,
        "settlement/reconcile.html",
        {
            **data,
            "state": request.GET.get("state", ""),
            "PaymentState": PaymentState,
            # Nobody confirms their own household's payment (the service refuses it): no button for it.
            "my_household_id": getattr(membership_for(request.user, buy.community_id), "household_id", None),
        },
    )


@require_POST
@page
def confirm_payment(request: HttpRequest, entry_pk: int) -> HttpResponse:
    entry = entry_for(request, entry_pk)
    back = reverse("settlement:reconcile", kwargs={"pk": entry.buy_id}) + f"#e{entry.pk}"
    with refusal_flashed(request):
        if request.POST.get("action") == "reject":
            payment_services.payment_reject(actor=request.user, entry=entry)
        else:
            payment_services.payment_confirm(
                actor=request.user, entry=entry, expected_amount=request.POST.get("amount")
            )
    return redirect(back)


@require_POST
@page
def remind(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    with refusal_flashed(request):
        payment_services.payment_reminders_request(actor=request.user, buy=buy)
        messages.success(request, _("Reminders are on their way to everyone who has not paid."))
    return redirect(reverse("settlement:reconcile", kwargs={"pk": pk}))


@require_GET
@page
def refunds(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    return render(
        request,
        "settlement/refunds.html",
        {
            "buy": buy,
            "refunds": selectors.refund_list(user=request.user, buy=buy),
            "is_staff": is_payment_staff(request.user, buy),
        },
    )


@require_POST
@page
def refund_paid_back(request: HttpRequest, refund_pk: int) -> HttpResponse:
    refund = Refund.objects.select_related("buy").filter(pk=refund_pk).first()
    if refund is None:
        raise errors.not_found()
    selectors.buy_get(user=request.user, buy_id=refund.buy_id)
    back = reverse("settlement:refunds", kwargs={"pk": refund.buy_id})
    with refusal_flashed(request):
        payment_services.refund_mark_paid_back(actor=request.user, refund=refund)
    return redirect(back)
