"""Leader: record arrivals (shortages) and resolve after-sales reports."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import ApplicationError, NotFound, PermissionRefused
from core.pages import page
from settlement import selectors
from settlement.forms import (
    ResolveForm,
)
from settlement.models import (
    AfterSalesReport,
)
from settlement.services import after_sales as after_sales_services
from settlement.services import shortages as shortage_services
from settlement.views.common import refused_redirect


@require_http_methods(["GET", "POST"])
@page
def arrivals(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.get_buy(user=request.user, buy_id=pk)
    if not selectors.can_manage(request.user, buy):
        raise PermissionRefused(code="not_your_buy")
    items = list(buy.items.select_related("offer", "arrival").order_by("position", "pk"))
    ordered = selectors.ordered_per_item(buy=buy)
    typed = {}
    error = None
    status = 200
    if request.method == "POST":
        typed = {
            item.pk: request.POST.get(f"item_{item.pk}", "").strip()
            for item in items
            if request.POST.get(f"item_{item.pk}", "").strip() != ""
        }
        try:
            shortage_services.arrivals_record(actor=request.user, buy=buy, arrived=typed)
        except ApplicationError as exc:
            error, status = exc, exc.status_code
        else:
            messages.success(request, _("Recorded. Shortfalls were shared out and refunds created."))
            return redirect(reverse("settlement:arrivals", kwargs={"pk": pk}))
    rows = [
        {
            "item": item,
            "ordered": ordered.get(item.pk, 0),
            "typed": typed.get(item.pk, ""),
            "arrival": getattr(item, "arrival", None) if hasattr(item, "arrival") else None,
        }
        for item in items
    ]
    return render(request, "settlement/arrivals.html", {"buy": buy, "rows": rows, "error": error}, status=status)


@require_GET
@page
def after_sales_list(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.get_buy(user=request.user, buy_id=pk)
    return render(
        request,
        "settlement/after_sales.html",
        {
            "buy": buy,
            "reports": selectors.after_sales_for(buy=buy),
            "is_leader": selectors.can_manage(request.user, buy),
            "resolve_form": ResolveForm(),
        },
    )


@require_POST
@page
def after_sales_resolve(request: HttpRequest, report_pk: int) -> HttpResponse:
    report = AfterSalesReport.objects.select_related("buy", "entry__buy").filter(pk=report_pk).first()
    if report is None:
        raise NotFound(code="not_found")
    selectors.get_buy(user=request.user, buy_id=report.buy_id)
    back = reverse("settlement:after_sales", kwargs={"pk": report.buy_id})
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a resolution."))
        return redirect(back)
    try:
        after_sales_services.after_sales_resolve(
            actor=request.user,
            report=report,
            resolution=form.cleaned_data["resolution"],
            note=form.cleaned_data["note"],
            refund_amount=form.cleaned_data["refund_amount"],
        )
    except ApplicationError as exc:
        return refused_redirect(request, exc, back + f"#r{report.pk}")
    return redirect(back)
