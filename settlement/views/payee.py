"""The leader's 收款码 (payee name and payment QR image), for one buy or as their default, and the image itself,
served to who may pay into it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.pages import page, refusal_on, render_form
from settlement import exceptions as errors
from settlement import selectors
from settlement.forms import PayeeForm
from settlement.permissions import require_buy_leader
from settlement.services import payee as payee_services
from settlement.views.files import serve_photo


@require_http_methods(["GET", "POST"])
@page
def payee_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """`pk`: the buy's own payee (its leader only); none: the user's default for every buy they lead."""
    buy = selectors.buy_get(user=request.user, buy_id=pk) if pk is not None else None
    if buy is not None:
        require_buy_leader(request.user, buy)
    own = selectors.payee_own_get(user=request.user, buy=buy)
    form = PayeeForm(request.POST or None, request.FILES or None, initial={"name": own.name if own else ""})
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            payee_services.payee_set(
                actor=request.user, buy=buy, name=form.cleaned_data["name"], qr_image=form.cleaned_data["qr_image"]
            )
            messages.success(request, _("Saved. Residents see this payee and QR code when they pay."))
            here = reverse("settlement:payee", kwargs={"pk": buy.pk}) if buy else reverse("settlement:payee_default")
            return redirect(here)
    effective = selectors.payee_for_buy(buy=buy) if buy is not None else own
    context = {
        "buy": buy,
        "own": own,
        "payee": effective,
        "payee_qr_ready": selectors.payee_qr_ready(effective),
        "uses_default": buy is not None and effective is not None and effective.buy_id is None,
        "form": form,
    }
    return render_form(request, "settlement/payee.html", context, form, invalid=400)


@require_GET
@page
def payee_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The 收款码 residents of this buy pay into: its leader, payment staff, the committee and households with a
    live sign-up (selectors.can_see_payee)."""
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    if not selectors.can_see_payee(request.user, buy):
        raise errors.not_your_entry()
    account = selectors.payee_for_buy(buy=buy)
    if account is None or not account.qr_image:
        raise errors.not_found()
    return serve_photo(request, account.qr_image)


@require_GET
@page
def payee_default_qr(request: HttpRequest) -> HttpResponse:
    """The user's own default 收款码."""
    account = selectors.payee_own_get(user=request.user)
    if account is None or not account.qr_image:
        raise errors.not_found()
    return serve_photo(request, account.qr_image)
