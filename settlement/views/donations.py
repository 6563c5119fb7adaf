"""Donations for vulnerable households."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import is_buy_leader
from accounts.selectors import vulnerable_households
from core.pages import page, refusal_flashed, refusal_on, render_form
from settlement import exceptions as errors
from settlement import selectors
from settlement.forms import (
    DonationForm,
)
from settlement.models import (
    Donation,
)
from settlement.permissions import is_payment_staff
from settlement.services import distribution as distribution_services
from settlement.services import donations as donation_services


@require_http_methods(["GET", "POST"])
@page
def donations(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    items = list(buy.items.select_related("offer"))
    form = DonationForm(request.POST or None, items=items)
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            donation_services.donation_add(
                actor=request.user, buy=buy, item_id=form.cleaned_data["item"], quantity=form.cleaned_data["quantity"]
            )
            messages.success(request, _("Thank you for your donation."))
            return redirect(reverse("settlement:donations", kwargs={"pk": pk}))
    # Recipients reveal the committee-only vulnerable list: the leader and the committee only.
    may_assign = selectors.can_see_donation_recipients(request.user, buy)
    return render_form(
        request,
        "settlement/donations.html",
        {
            "buy": buy,
            "form": form,
            "donations": selectors.donation_list(buy=buy),
            "may_assign": may_assign,
            "is_leader": is_buy_leader(request.user, buy),
            "donation_limit": donation_services.donation_limit(buy),
            "vulnerable": vulnerable_households(community_id=buy.community_id) if may_assign else [],
            "is_staff": is_payment_staff(request.user, buy),
            "can_hand_over": selectors.can_hand_over(request.user, buy),
        },
        form,
        invalid=400,
    )


@require_POST
@page
def donation_action(request: HttpRequest, donation_pk: int) -> HttpResponse:
    donation = Donation.objects.select_related("buy").filter(pk=donation_pk).first()
    if donation is None:
        raise errors.not_found()
    selectors.buy_get(user=request.user, buy_id=donation.buy_id)
    back = reverse("settlement:donations", kwargs={"pk": donation.buy_id})
    action = request.POST.get("action")
    with refusal_flashed(request):
        if action == "assign":
            donation_services.donation_assign(
                actor=request.user, donation=donation, recipient_id=request.POST.get("recipient")
            )
        elif action == "paid":
            donation_services.donation_mark_paid(actor=request.user, donation=donation)
        elif action == "delivered":
            distribution_services.donation_hand_over(actor=request.user, donation=donation)
        elif action == "withdraw":
            donation_services.donation_withdraw(actor=request.user, donation=donation)
            messages.success(request, _("The donation was withdrawn."))
    return redirect(back)
