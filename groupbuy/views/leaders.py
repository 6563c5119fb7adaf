"""The buy's leader's pages: open a buy, the dashboard, close / mark ordered / cancel, the purchase order
and exports. Thin: read through selectors, write through one service."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Membership
from accounts.permissions import Action, is_buy_leader, require, require_buy_leader
from core.errors import ApplicationError
from core.pages import confirm_first, form_refusal, page
from groupbuy import exceptions as err
from groupbuy import exports, selectors
from groupbuy.forms import (
    BuyCreateForm,
    CancelForm,
)
from groupbuy.models import GroupBuy
from groupbuy.services import buys as buy_services
from groupbuy.services.lifecycle import CANCELLABLE


def _buy_form_page(
    request: HttpRequest, membership: Membership, form: BuyCreateForm, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """The form again (a refusal, a preview). Next to a similar running buy the warning stays on top, with the
    tick to open anyway, whatever else is wrong: a tick given once is not lost to another error."""
    chosen = [o.pk for o in form.chosen_offers()]
    context["duplicates"] = selectors.duplicate_buys(community_id=membership.community_id, offer_ids=chosen)
    context["ask_confirm"] = bool(context["duplicates"])
    return render(request, "groupbuy/buy_form.html", context, status=status)


def _buy_open(
    request: HttpRequest, membership: Membership, form: BuyCreateForm, context: dict[str, Any]
) -> HttpResponse:
    """The form is valid: open the buy and go to its dashboard. Next to a similar running buy the form comes back
    with the warning on top, asking to confirm; any other refusal goes on the form. Either way with its status."""
    try:
        buy = buy_services.group_buy_open(actor=request.user, community=membership.community, **form.service_kwargs())
    except ApplicationError as exc:
        # Two buys of the same product split demand and both may fail: the service asks before a second one.
        if exc.code != "similar_buy_open":
            form_refusal(form, exc)
        return _buy_form_page(request, membership, form, context, status=exc.status_code)
    messages.success(request, _("The group buy is open for sign-up."))
    return redirect("groupbuy:dashboard", pk=buy.pk)


def _buy_initial(offers: list[Any], wanted: str | None) -> dict[str, Any]:
    """The form's starting values from the chosen offer (`?offer=`, or the only one): it is ticked and names the
    buy; the deadline defaults to tomorrow 20:00 and delivery to the day after (both can be changed)."""
    offer = next((o for o in offers if str(o.pk) == wanted), None)
    if offer is None and len(offers) == 1:
        offer = offers[0]
    if offer is None:
        return {}
    deadline = (timezone.localtime() + datetime.timedelta(days=1)).replace(hour=20, minute=0, second=0, microsecond=0)
    return {
        "offers": [str(offer.pk)],
        "title": offer.title,
        "deadline": deadline,
        "delivery_date": deadline.date() + datetime.timedelta(days=1),
    }


@require_http_methods(["GET", "POST"])
@page
def buy_create(request: HttpRequest) -> HttpResponse:
    """Open a buy in one pass: choose the offer (a list; `?offer=` from an offer page skips it), fill in what is
    not prefilled, publish. 预览 (`preview=1`) shows what residents will see without writing anything."""
    membership = selectors.membership_get_current(user=request.user, community_id=request.GET.get("community"))
    if membership is None:
        raise err.forbidden()
    require(request.user, Action.OPEN_BUY, membership.community_id)
    offers = list(selectors.offer_list(community_id=membership.community_id, active_only=True))
    initial = {} if request.GET.get("choose") else _buy_initial(offers, request.GET.get("offer"))
    form = BuyCreateForm(request.POST or None, offers=offers, initial=initial)
    context: dict[str, Any] = {"form": form, "membership": membership, "offers": offers}
    if request.method == "GET":
        context["choose"] = not initial
        context["duplicates"] = selectors.duplicate_buys(
            community_id=membership.community_id, offer_ids=[o.pk for o in form.chosen_offers()]
        )
        return render(request, "groupbuy/buy_form.html", context)
    if not form.is_valid():
        return _buy_form_page(request, membership, form, context, status=400)
    if request.POST.get("preview"):
        context["preview"] = form.preview()
        return _buy_form_page(request, membership, form, context)
    return _buy_open(request, membership, form, context)


def _dashboard(
    request: HttpRequest,
    buy: GroupBuy,
    *,
    cancel_form: CancelForm | None = None,
    action_error: ApplicationError | None = None,
    status: int = 200,
) -> HttpResponse:
    selectors.require_contacts(user=request.user, buy=buy)
    context = {
        "buy": buy,
        "rows": selectors.signup_list(buy=buy, contacts=True),
        "order": selectors.purchase_order_get(buy=buy),
        "is_leader": is_buy_leader(request.user, buy),
        "cancel_form": cancel_form or CancelForm(),
        "action_error": action_error,
        "cancellable": buy.status in CANCELLABLE,
    }
    return render(request, "groupbuy/dashboard.html", context, status=status)


@require_GET
@page
def dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    return _dashboard(request, selectors.buy_get(user=request.user, buy_id=pk))


def _leader_action(request: HttpRequest, pk: int, act: Callable[[GroupBuy], Any], done: str) -> HttpResponse:
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    try:
        act(buy)
    except ApplicationError as exc:
        # Leaders see the dashboard with the message; anyone else gets the plain coded refusal.
        if selectors.may_see_contacts(user=request.user, buy=buy):
            return _dashboard(request, buy, action_error=exc, status=exc.status_code)
        raise
    messages.success(request, done)
    return redirect("groupbuy:dashboard", pk=buy.pk)


@require_POST
@page
def buy_close_now(request: HttpRequest, pk: int) -> HttpResponse:
    """Closing early cannot be undone: the leader confirms first (core.pages.confirm_first)."""
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    require_buy_leader(request.user, buy)
    asked = confirm_first(
        request,
        title=_("Close “%(title)s” now?") % {"title": buy.title},
        consequence=_(
            "Sign-ups stop now, before the deadline, and the purchase order is made from the list as it stands. "
            "Nobody can join or change an order afterwards. This cannot be undone."
        ),
        confirm_label=_("Close the list now"),
        back_url=reverse("groupbuy:dashboard", args=[buy.pk]),
    )
    if asked:
        return asked
    return _leader_action(
        request,
        pk,
        lambda buy: buy_services.group_buy_close_now(actor=request.user, buy=buy),
        _("The list is closed and the purchase order is ready."),
    )


@require_POST
@page
def buy_mark_ordered(request: HttpRequest, pk: int) -> HttpResponse:
    return _leader_action(
        request,
        pk,
        lambda buy: buy_services.group_buy_mark_ordered(actor=request.user, buy=buy),
        _("Marked as ordered from the supplier."),
    )


@require_POST
@page
def buy_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancelling cannot be undone: the leader confirms first (core.pages.confirm_first), the reason carried over."""
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    require_buy_leader(request.user, buy)
    form = CancelForm(request.POST)
    form.is_valid()
    asked = confirm_first(
        request,
        title=_("Cancel “%(title)s”?") % {"title": buy.title},
        consequence=_(
            "Every order in the list is released and everyone in it is told, with your reason: “%(reason)s”. "
            "Payments already made are refunded. This cannot be undone."
        )
        % {"reason": form.cleaned_data.get("reason", "").strip() or "—"},
        confirm_label=_("Cancel the buy"),
        back_url=reverse("groupbuy:dashboard", args=[buy.pk]),
        back_label=_("Keep the buy"),
    )
    if asked:
        return asked
    try:
        buy_services.group_buy_cancel(actor=request.user, buy=buy, reason=form.cleaned_data.get("reason", ""))
    except ApplicationError as exc:
        if selectors.may_see_contacts(user=request.user, buy=buy):
            form_refusal(form, exc)
            return _dashboard(request, buy, cancel_form=form, action_error=exc, status=exc.status_code)
        raise
    messages.success(request, _("The group buy was cancelled; everyone in the list is told."))
    return redirect("groupbuy:dashboard", pk=buy.pk)


@require_GET
@page
def purchase_order(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    selectors.require_contacts(user=request.user, buy=buy)
    return render(request, "groupbuy/purchase_order.html", {"buy": buy, "order": selectors.purchase_order_get(buy=buy)})


@require_GET
@page
def export(request: HttpRequest, pk: int, what: str, fmt: str) -> HttpResponse:
    """Sign-up list or purchase order as CSV or XLSX (the buy's leader and data volunteers)."""
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    selectors.require_contacts(user=request.user, buy=buy)
    table = exports.signup_table(buy=buy) if what == "signups" else exports.order_table(buy=buy)
    return exports.csv_response(table) if fmt == "csv" else exports.xlsx_response(table)
