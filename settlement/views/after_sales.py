"""Leader: record arrivals (shortages) and resolve after-sales reports."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import is_buy_leader
from core.errors import ApplicationError
from core.pages import page, refusal_flashed
from settlement import exceptions as errors
from settlement import selectors
from settlement.forms import (
    ResolveForm,
)
from settlement.models import (
    AfterSalesReport,
)
from settlement.services import after_sales as after_sales_services
from settlement.services import shortages as shortage_services


@require_http_methods(["GET", "POST"])
@page
def arrivals(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    if not is_buy_leader(request.user, buy):
        raise errors.not_your_buy()
    items = list(buy.items.select_related("offer", "arrival").order_by("position", "pk"))
    ordered = selectors.ordered_per_item_get(buy=buy)
    typed: dict[int, str] = {}
    error = None
    if request.method == "POST":
        typed = {
            pk_: value for pk_, value in ((i.pk, request.POST.get(f"item_{i.pk}", "").strip()) for i in items) if value
        }
        # The arrival sheet is not a Django form: the refusal is shown above the table, with its status.
        try:
            shortage_services.arrivals_record(actor=request.user, buy=buy, arrived=typed)
        except ApplicationError as exc:
            error = exc
        else:
            messages.success(request, _("Recorded. Shortfalls were shared out and refunds created."))
            return redirect(reverse("settlement:arrivals", kwargs={"pk": pk}))
    context = {"buy": buy, "rows": _arrival_rows(items, ordered, typed), "error": error}
    return render(request, "settlement/arrivals.html", context, status=error.status_code if error else 200)


def _arrival_rows(items: list, ordered: dict[int, int], typed: dict[int, str]) -> list[dict[str, Any]]:
    return [
        {
            "item": item,
            "ordered": ordered.get(item.pk, 0),
            "typed": typed.get(item.pk, ""),
            "arrival": getattr(item, "arrival", None) if hasattr(item, "arrival") else None,
        }
        for item in items
    ]


@require_GET
@page
def after_sales_list(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    return render(
        request,
        "settlement/after_sales.html",
        {
            "buy": buy,
            "reports": selectors.after_sale_list(buy=buy),
            "is_leader": is_buy_leader(request.user, buy),
            "resolve_form": ResolveForm(),
        },
    )


@require_POST
@page
def after_sales_resolve(request: HttpRequest, report_pk: int) -> HttpResponse:
    report = AfterSalesReport.objects.select_related("buy", "entry__buy").filter(pk=report_pk).first()
    if report is None:
        raise errors.not_found()
    selectors.buy_get(user=request.user, buy_id=report.buy_id)
    back = reverse("settlement:after_sales", kwargs={"pk": report.buy_id})
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a resolution."))
        return redirect(back)
    with refusal_flashed(request) as outcome:
        after_sales_services.after_sales_resolve(
            actor=request.user,
            report=report,
            resolution=form.cleaned_data["resolution"],
            note=form.cleaned_data["note"],
            refund_amount=form.cleaned_data["refund_amount"],
        )
    return redirect(back + f"#r{report.pk}" if outcome.refusal else back)
