"""我的订单: one's own entries across buys, the resident's hub (payment, delivery, pickup code, after-sales)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.pages import page
from groupbuy import selectors as groupbuy_selectors


@require_GET
@page
def my_entries(request: HttpRequest) -> HttpResponse:
    return render(
        request, "groupbuy/my_entries.html", {"entries": groupbuy_selectors.entry_list_mine(user=request.user)}
    )
