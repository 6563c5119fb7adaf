"""The participant's page: what they owe and pay, price changes to answer, refunds, problems to report."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import is_buy_leader
from core.http import safe_next
from core.pages import page, refusal_flashed, refusal_on, render_form
from core.qr import qr_svg
from settlement import exceptions as errors
from settlement import selectors
from settlement.forms import (
    AfterSalesForm,
    PaymentForm,
)
from settlement.models import (
    PaymentState,
    PriceChange,
    Refund,
)
from settlement.permissions import is_payment_staff, require_own_entry
from settlement.providers import PaymentRequest, get_provider
from settlement.services import after_sales as after_sales_services
from settlement.services import payments as payment_services
from settlement.services import price_changes as change_services
from settlement.views.common import entry_for, hub_url, pickup_qr_url


def _hub_context(request: HttpRequest, buy) -> dict[str, Any]:
    entry = selectors.my_entry_get(user=request.user, buy=buy)
    info = selectors.money_of(entry) if entry else None
    pickup = selectors.pickup_get(entry=entry) if entry else None
    qr_url = pickup_qr_url(request, buy.pk, pickup.code) if pickup is not None else None
    return {
        "buy": buy,
        "entry": entry,
        "money": info,
        "pay": selectors.payment_summary_of(entry) if entry else None,
        "open_changes": selectors.price_change_open_list(entry=entry) if entry else [],
        "changes": selectors.price_change_list(buy=buy),
        "refunds": list(entry.refunds.all()) if entry else [],
        "pickup": pickup,
        "qr": qr_svg(qr_url) if qr_url else None,
        "qr_url": qr_url,
        "reports": selectors.after_sale_list(buy=buy),
        "is_leader": is_buy_leader(request.user, buy),
        "is_staff": is_payment_staff(request.user, buy),
        "can_hand_over": selectors.can_hand_over(request.user, buy),
        "PaymentState": PaymentState,
    }


@require_GET
@page
def hub(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    return render(request, "settlement/hub.html", _hub_context(request, buy))


def _pay_context(request: HttpRequest, data: selectors.PayPage, *, form=None) -> dict[str, Any]:
    entry = data["entry"]
    summary = data["summary"]
    payee = data["payee"]
    instructions = ""
    if summary["can_pay"]:
        provider = get_provider(entry.payment.provider if hasattr(entry, "payment") else "manual")
        instructions = provider.start_payment(
            PaymentRequest(
                entry_id=entry.pk,
                amount=summary["still_owed"],
                payee_hint=payee.name if payee else entry.buy.leader.display_name,
            )
        ).instructions
    initial = {"amount": summary["pay_amount"], "reference": data["note"], "method": "wechat"}
    return {
        **data,
        "buy": entry.buy,
        "pay": summary,
        "pay_instructions": instructions,
        "pay_form": form or PaymentForm(initial=initial),
        "leader_name": entry.buy.leader.display_name,
    }


@require_http_methods(["GET", "POST"])
@page
def pay(request: HttpRequest, entry_pk: int) -> HttpResponse:
    """The payment page: the amount to send, the payee and their 收款码, the transfer note, then "I have paid"
    (payment_mark). After a mark it reads 待确认 with the amount; after the leader confirms, 已确认."""
    data = selectors.pay_page_get(user=request.user, entry_id=entry_pk)
    if request.method == "GET":
        return render(request, "settlement/pay.html", _pay_context(request, data))
    entry = data["entry"]
    form = PaymentForm(request.POST, request.FILES)
    if form.is_valid():
        with refusal_on(form):
            payment_services.payment_mark(
                actor=request.user,
                entry=entry,
                amount=form.cleaned_data["amount"],
                method=form.cleaned_data["method"],
                reference=form.cleaned_data["reference"],
                screenshot=form.cleaned_data.get("screenshot"),
            )
            messages.success(request, _("Thank you. The leader will confirm your payment."))
            return redirect(reverse("settlement:pay", kwargs={"entry_pk": entry.pk}))
    return render_form(request, "settlement/pay.html", _pay_context(request, data, form=form), form, invalid=400)


@require_POST
@page
def respond(request: HttpRequest, change_pk: int) -> HttpResponse:
    change = PriceChange.objects.filter(pk=change_pk).first()
    if change is None:
        raise errors.not_found()
    buy = selectors.buy_get(user=request.user, buy_id=change.buy_id)
    entry = selectors.my_entry_get(user=request.user, buy=buy)
    if entry is None:
        raise errors.not_your_entry()
    with refusal_flashed(request):
        change_services.price_change_respond(
            actor=request.user, change=change, entry=entry, choice=request.POST.get("choice", "")
        )
        messages.success(request, _("Your answer was recorded."))
    return redirect(hub_url(buy.pk))


@require_POST
@page
def refund_received(request: HttpRequest, refund_pk: int) -> HttpResponse:
    refund = Refund.objects.select_related("entry__buy", "buy").filter(pk=refund_pk).first()
    if refund is None:
        raise errors.not_found()
    selectors.buy_get(user=request.user, buy_id=refund.buy_id)
    with refusal_flashed(request):
        payment_services.refund_confirm(actor=request.user, refund=refund)
    return redirect(safe_next(request, hub_url(refund.buy_id)))


@require_http_methods(["GET", "POST"])
@page
def report_problem(request: HttpRequest, entry_pk: int) -> HttpResponse:
    entry = entry_for(request, entry_pk)
    require_own_entry(request.user, entry)
    lines = list(entry.lines.select_related("item__offer"))
    form = AfterSalesForm(request.POST or None, lines=lines)
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            after_sales_services.after_sales_report(
                actor=request.user,
                entry=entry,
                kind=form.cleaned_data["kind"],
                description=form.cleaned_data["description"],
                item_id=form.cleaned_data["item"],
                photos=request.FILES.getlist("photos"),
            )
            messages.success(request, _("Your report was sent to the leader."))
            return redirect(hub_url(entry.buy_id))
    context = {"buy": entry.buy, "entry": entry, "form": form}
    return render_form(request, "settlement/report_form.html", context, form, invalid=400)
