"""我的订单 (/buys/mine/, groupbuy:my_entries): the resident's hub. One card per entry of their households (and
those they placed for a neighbour) with payment, delivery, pickup code and after-sales, in four tabs."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.pages import page
from core.qr import qr_svg
from settlement.selectors.orders import order_hub_get
from settlement.views.common import pickup_qr_url


@require_GET
@page
def my_entries(request: HttpRequest) -> HttpResponse:
    hub = order_hub_get(
        user=request.user,
        tab=request.GET.get("tab", ""),
        entry_id=request.GET.get("entry"),
        buy_id=request.GET.get("buy"),
    )
    cards = [
        # Scale 6: about 220 px, for a volunteer's phone to read off the resident's screen.
        (card, qr_svg(pickup_qr_url(request, card.entry.buy_id, card.pickup.code), scale=6) if card.pickup else "")
        for card in hub.cards
    ]
    return render(request, "settlement/orders.html", {"hub": hub, "cards": cards, "here": request.get_full_path()})
