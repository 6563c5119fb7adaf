"""The participant's page: what they owe and pay, price changes to answer, refunds, problems to report."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import ApplicationError, NotFound, PermissionRefused
from core.http import safe_next
from core.pages import page
from core.qr import qr_svg
from settlement import selectors
from settlement.forms import (
    AfterSalesForm,
    PaymentForm,
    add_error,
)
from settlement.models import (
    PaymentState,
    PriceChange,
    Refund,
)
from settlement.providers import PaymentRequest, get_provider
from settlement.services import after_sales as after_sales_services
from settlement.services import payments as payment_services
from settlement.services import price_changes as change_services
from settlement.services.common import is_payment_staff, require_own_entry
from settlement.views.common import entry_for, hub_url, refused_redirect


def _hub_context(request: HttpRequest, buy, *, pay_form=None) -> dict[str, Any]:
    entry = selectors.my_entry(user=request.user, buy=buy)
    info = selectors.money_of(entry) if entry else None
    pickup = selectors.pickup_for(entry=entry) if entry else None
    qr = qr_url = None
    if pickup is not None:
        # The code rides in the fragment, which browsers never send: it stays out of access logs, and the
        # hand-out page's script removes it from the address and history and looks it up by POST.
        qr_url = (
            request.build_absolute_uri(reverse("settlement:handover", kwargs={"pk": buy.pk})) + f"#code={pickup.code}"
        )
        qr = qr_svg(qr_url)
    instructions = ""
    if info and info["due"] > 0:
        provider = get_provider(info["payment"].provider if info["payment"] else "manual")
        instructions = provider.start_payment(
            PaymentRequest(entry_id=entry.pk, amount=info["due"], payee_hint=buy.leader.display_name)
        ).instructions
    return {
        "buy": buy,
        "entry": entry,
        "money": info,
        "pay_instructions": instructions,
        "pay_form": pay_form or PaymentForm(initial={"amount": info["due"] if info and info["due"] > 0 else ""}),
        "open_changes": selectors.open_price_changes_for_entry(entry=entry) if entry else [],
        "changes": selectors.price_changes(buy=buy),
        "refunds": list(entry.refunds.all()) if entry else [],
        "pickup": pickup,
        "qr": qr,
        "qr_url": qr_url,
        "reports": selectors.after_sales_for(buy=buy),
        "is_leader": selectors.can_manage(request.user, buy),
        "is_staff": is_payment_staff(request.user, buy),
        "can_hand_over": selectors.can_hand_over(request.user, buy),
        "PaymentState": PaymentState,
    }


@require_GET
@page
def hub(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.get_buy(user=request.user, buy_id=pk)
    return render(request, "settlement/hub.html", _hub_context(request, buy))


@require_POST
@page
def pay(request: HttpRequest, entry_pk: int) -> HttpResponse:
    entry = entry_for(request, entry_pk)
    form = PaymentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            payment_services.payment_mark(
                actor=request.user,
                entry=entry,
                amount=form.cleaned_data["amount"],
                method=form.cleaned_data["method"],
                reference=form.cleaned_data["reference"],
                screenshot=form.cleaned_data.get("screenshot"),
            )
        except ApplicationError as exc:
            add_error(form, exc)
            context = _hub_context(request, entry.buy, pay_form=form)
            return render(request, "settlement/hub.html", context, status=exc.status_code)
        messages.success(request, _("Thank you. The leader will confirm your payment."))
        return redirect(hub_url(entry.buy_id))
    return render(request, "settlement/hub.html", _hub_context(request, entry.buy, pay_form=form), status=400)


@require_POST
@page
def respond(request: HttpRequest, change_pk: int) -> HttpResponse:
    change = PriceChange.objects.filter(pk=change_pk).first()
    if change is None:
        raise NotFound(code="not_found")
    buy = selectors.get_buy(user=request.user, buy_id=change.buy_id)
    entry = selectors.my_entry(user=request.user, buy=buy)
    if entry is None:
        raise PermissionRefused(code="not_your_entry")
    try:
        change_services.price_change_respond(
            actor=request.user, change=change, entry=entry, choice=request.POST.get("choice", "")
        )
    except ApplicationError as exc:
        return refused_redirect(request, exc, hub_url(buy.pk))
    messages.success(request, _("Your answer was recorded."))
    return redirect(hub_url(buy.pk))


@require_POST
@page
def refund_received(request: HttpRequest, refund_pk: int) -> HttpResponse:
    refund = Refund.objects.select_related("entry__buy", "buy").filter(pk=refund_pk).first()
    if refund is None:
        raise NotFound(code="not_found")
    selectors.get_buy(user=request.user, buy_id=refund.buy_id)
    try:
        payment_services.refund_confirm(actor=request.user, refund=refund)
    except ApplicationError as exc:
        return refused_redirect(request, exc, safe_next(request, hub_url(refund.buy_id)))
    return redirect(safe_next(request, hub_url(refund.buy_id)))


@require_http_methods(["GET", "POST"])
@page
def report_problem(request: HttpRequest, entry_pk: int) -> HttpResponse:
    entry = entry_for(request, entry_pk)
    require_own_entry(request.user, entry)
    lines = list(entry.lines.select_related("item__offer"))
    form = AfterSalesForm(request.POST or None, lines=lines)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            after_sales_services.after_sales_report(
                actor=request.user,
                entry=entry,
                kind=form.cleaned_data["kind"],
                description=form.cleaned_data["description"],
                item_id=form.cleaned_data["item"],
                photos=request.FILES.getlist("photos"),
            )
        except ApplicationError as exc:
            add_error(form, exc)
            status = exc.status_code
        else:
            messages.success(request, _("Your report was sent to the leader."))
            return redirect(hub_url(entry.buy_id))
    elif request.method == "POST":
        status = 400
    return render(
        request, "settlement/report_form.html", {"buy": entry.buy, "entry": entry, "form": form}, status=status
    )
