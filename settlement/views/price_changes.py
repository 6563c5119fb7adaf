"""Leader: propose a price change (补差价)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.permissions import is_buy_leader
from core.pages import page, refusal_on, render_form
from groupbuy.models import Offer
from settlement import exceptions as errors
from settlement import selectors
from settlement.forms import (
    PriceChangeForm,
)
from settlement.services import price_changes as change_services
from settlement.views.common import hub_url


@require_http_methods(["GET", "POST"])
@page
def price_change_new(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    if not is_buy_leader(request.user, buy):
        raise errors.not_your_buy()
    items = list(buy.items.select_related("offer"))
    offers = Offer.objects.filter(supplier__community_id=buy.community_id, is_active=True).order_by("title")[:200]
    form = PriceChangeForm(request.POST or None, request.FILES or None, items=items, offers=offers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with refusal_on(form):
            change_services.price_change_propose(
                actor=request.user,
                buy=buy,
                item_id=data["item"],
                new_price=data["new_price"],
                new_cost=data["new_cost"],
                new_offer_id=data["new_offer"],
                reason=data["reason"],
                evidence=data.get("evidence"),
                deadline=data["deadline"],
                default_action=data["default_action"],
            )
            messages.success(request, _("The participants were asked to accept or withdraw."))
            return redirect(hub_url(buy.pk))
    return render_form(request, "settlement/price_change_form.html", {"buy": buy, "form": form}, form, invalid=400)
