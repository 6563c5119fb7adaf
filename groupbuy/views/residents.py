"""Residents' pages: the buy list, a buy and its 接龙, joining, changing and leaving it, one's own entries, and
signing up a neighbour (proxy). Thin: read through selectors, write through one service call; a refused action
re-renders the page with the service's coded message (and what was typed), with the error's HTTP status."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Household, HouseholdMember
from accounts.permissions import Action, allowed_actions, is_buy_leader, proxy_scope, require_order_for, require_proxy
from accounts.selectors import memberships_of
from core.errors import ApplicationError
from core.pages import page, refusal_on, refusal_status, render_form
from groupbuy import exceptions as err
from groupbuy import selectors
from groupbuy.forms import (
    ProxyHouseholdForm,
    ProxyMemberForm,
    QuantitiesForm,
)
from groupbuy.models import GroupBuy
from groupbuy.services import share as share_services
from groupbuy.services import signup as signup_services


def _new_key() -> str:
    return uuid.uuid4().hex


@require_GET
@page
def buy_list(request: HttpRequest) -> HttpResponse:
    memberships = memberships_of(user=request.user)
    membership = selectors.membership_get_current(
        user=request.user, community_id=request.GET.get("community"), memberships=memberships
    )
    if membership is None:
        return render(request, "groupbuy/buy_list.html", {"membership": None, "buys": []})
    actions = allowed_actions(request.user, membership.community_id)
    context = {
        "membership": membership,
        "memberships": memberships,
        "buys": selectors.buy_list(user=request.user, community_id=membership.community_id),
        "led_buys": selectors.buy_list_led_by(user=request.user, community_id=membership.community_id)
        if Action.OPEN_BUY in actions
        else [],
        "can_open": Action.OPEN_BUY in actions,
        "can_manage_suppliers": Action.MANAGE_SUPPLIERS in actions,
    }
    return render(request, "groupbuy/buy_list.html", context)


def _detail_forms(
    buy: GroupBuy,
    *,
    rows: list[Any],
    my_entry: Any,
    can_join: bool,
    join_form: QuantitiesForm | None,
    change_form: QuantitiesForm | None,
    action_error: ApplicationError | None,
) -> dict[str, Any]:
    """The buy page's join and change forms (built when the caller passed none) and the refusal shown on top."""
    if my_entry is None and join_form is None:
        join_form = QuantitiesForm(items=buy.item_list)
    if my_entry is not None and change_form is None:
        my_row = next((r for r in rows if r.entry.pk == my_entry.pk), None)
        initial = {f"q_{item.pk}": q for item, q in my_row.lines} if my_row else {}
        change_form = QuantitiesForm(items=buy.item_list, with_note=False, initial=initial)
    shown = change_form if my_entry is not None and buy.signup_open else None
    if my_entry is None and buy.signup_open and can_join:
        shown = join_form
    for form in (join_form, change_form):
        # A refusal for a form this page no longer shows (the buy closed meanwhile, not your entry) goes on top.
        if form is not None and form is not shown and action_error is None:
            action_error = getattr(form, "application_error", None)
    return {"join_form": join_form, "change_form": change_form, "action_error": action_error}


def _signup_state(
    request: HttpRequest,
    buy: GroupBuy,
    *,
    join_form: QuantitiesForm | None,
    change_form: QuantitiesForm | None,
    action_error: ApplicationError | None,
) -> dict[str, Any]:
    """The buy page's list and the viewer's place in it: rows, own entry, may join, the forms, the refusal."""
    membership = selectors.require_member(user=request.user, community_id=buy.community_id)
    rows = selectors.signup_list(buy=buy)
    my_entry = selectors.entry_get_live(buy=buy, household_id=membership.household_id, rows=rows)
    can_join = membership.household_id is not None and Action.SIGN_UP in allowed_actions(request.user, buy.community_id)
    forms = _detail_forms(
        buy,
        rows=rows,
        my_entry=my_entry,
        can_join=can_join,
        join_form=join_form,
        change_form=change_form,
        action_error=action_error,
    )
    return {"rows": rows, "my_entry": my_entry, "can_join": can_join, **forms}


def _share_text(request: HttpRequest, buy: GroupBuy, rows: list[Any]) -> str | None:
    """The 复制接龙 text for whoever may share this buy (None for the others), from the page's own list rows."""
    if not selectors.share_allowed(user=request.user, buy=buy):
        return None
    link = share_services.share_link_for(buy, request)
    return selectors.share_text_get(buy=buy, rows=rows, link=link, language=get_language())


def _detail(
    request: HttpRequest,
    buy: GroupBuy,
    *,
    join_form: QuantitiesForm | None = None,
    change_form: QuantitiesForm | None = None,
    action_error: ApplicationError | None = None,
    status: int = 200,
) -> HttpResponse:
    state = _signup_state(request, buy, join_form=join_form, change_form=change_form, action_error=action_error)
    context = {
        "buy": buy,
        **state,
        "share_text": _share_text(request, buy, state["rows"]),
        "meta_description": selectors.share_description_get(buy=buy),
        "can_proxy": bool(proxy_scope(request.user, buy)),
        "is_leader": is_buy_leader(request.user, buy),
        "may_see_contacts": selectors.may_see_contacts(user=request.user, buy=buy),
        "idempotency_key": _new_key(),
        "panel": selectors.buy_panel_get(buy=buy),  # pool progress, next-box fill (issue 6)
    }
    return render(request, "groupbuy/buy_detail.html", context, status=status)


@require_GET
@page
def buy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, selectors.buy_get(user=request.user, buy_id=pk))


@require_POST
@page
def buy_join(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    membership = selectors.require_member(user=request.user, community_id=buy.community_id)
    form = QuantitiesForm(request.POST, items=buy.item_list)
    if not form.is_valid():
        return _detail(request, buy, join_form=form, status=400)
    with refusal_on(form):
        if membership.household is None:
            raise err.forbidden()
        signup_services.signup_throttle(actor=request.user)
        entry = signup_services.signup_create(
            actor=request.user,
            buy=buy,
            household=membership.household,
            quantities=form.quantities(),
            tolerances=form.tolerances(),
            idempotency_key=request.POST.get("idempotency_key", ""),
            note=form.cleaned_data.get("note", ""),
        )
        messages.success(request, _("You are #%(seq)s in the list.") % {"seq": entry.seq})
        return redirect("groupbuy:buy_detail", pk=buy.pk)
    return _detail(request, buy, join_form=form, status=refusal_status([form]))


@require_POST
@page
def entry_change(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    entry = selectors.entry_get(buy=buy, entry_id=entry_pk)
    form = QuantitiesForm(request.POST, items=buy.item_list, with_note=False)
    if not form.is_valid():
        return _detail(request, buy, change_form=form, status=400)
    with refusal_on(form):
        signup_services.signup_change(
            actor=request.user, entry=entry, quantities=form.quantities(), tolerances=form.tolerances()
        )
        messages.success(request, _("Your sign-up was changed."))
        return redirect("groupbuy:buy_detail", pk=buy.pk)
    if request.POST.get("next") == "mine":  # refused from "my entries": back there with the message
        messages.error(request, str(form.refusal.message))
        return redirect("groupbuy:my_entries")
    return _detail(request, buy, change_form=form, status=refusal_status([form]))


@require_POST
@page
def entry_withdraw(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    entry = selectors.entry_get(buy=buy, entry_id=entry_pk)
    try:
        signup_services.signup_withdraw(actor=request.user, entry=entry)
    except ApplicationError as exc:
        return _detail(request, buy, action_error=exc, status=exc.status_code)
    messages.success(request, _("You left the list. Number #%(seq)s is not reused.") % {"seq": entry.seq})
    if request.POST.get("next") == "mine":
        return redirect("groupbuy:my_entries")
    return redirect("groupbuy:buy_detail", pk=buy.pk)


def _proxy_household(
    request: HttpRequest, buy: GroupBuy, pick: ProxyHouseholdForm
) -> tuple[Household | None, ApplicationError | None]:
    """The household `pick` names, if the actor may order for it (checked before its members' names are shown).

    Otherwise None, with the reason on `pick`, and the refusal when it was one (its status answers the page)."""
    if not (pick.is_bound and pick.is_valid()):
        return None, None
    household = selectors.household_by_label(community_id=buy.community_id, label=pick.cleaned_data["label"])
    if household is None:
        pick.add_error("label", _("There is no such household in this community."))
        return None, None
    try:
        require_order_for(request.user, buy, household)
    except ApplicationError as exc:
        pick.add_error("label", str(exc.message))
        return None, exc
    return household, None


def _proxy_signup_create(
    request: HttpRequest,
    buy: GroupBuy,
    household: Household,
    members: list[HouseholdMember],
    *,
    member_form: ProxyMemberForm,
    form: QuantitiesForm,
    context: dict[str, Any],
) -> HttpResponse:
    """Both forms valid: sign the household up and go to the buy; a refusal re-renders the form with its status."""
    placed_for = next((m for m in members if str(m.pk) == member_form.cleaned_data["placed_for"]), None)
    with refusal_on(form):
        signup_services.signup_throttle(actor=request.user)
        entry = signup_services.signup_create(
            actor=request.user,
            buy=buy,
            household=household,
            quantities=form.quantities(),
            tolerances=form.tolerances(),
            idempotency_key=request.POST.get("idempotency_key", ""),
            placed_for=placed_for,
            note=form.cleaned_data.get("note", ""),
        )
        messages.success(
            request, _("%(household)s is #%(seq)s in the list.") % {"household": household.label, "seq": entry.seq}
        )
        return redirect("groupbuy:buy_detail", pk=buy.pk)
    return render_form(request, "groupbuy/proxy.html", context, form)


@require_http_methods(["GET", "POST"])
@page
def proxy_signup(request: HttpRequest, pk: int) -> HttpResponse:
    """A building leader (their building), a volunteer with the proxy role (its buildings) or the buy's leader
    signs up a household (e.g. an elderly neighbour)."""
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    require_proxy(request.user, buy)
    source = request.POST if request.method == "POST" else request.GET
    pick = ProxyHouseholdForm(source if "label" in source else None)
    household, refused = _proxy_household(request, buy, pick)
    context: dict[str, Any] = {"buy": buy, "pick": pick, "household": household}
    if household is None:
        status = refused.status_code if refused else 400 if pick.is_bound else 200
        return render(request, "groupbuy/proxy.html", context, status=status)
    members = list(household.members.all())
    member_form = ProxyMemberForm(request.POST or None, members=members)
    form = QuantitiesForm(request.POST or None, items=buy.item_list)
    existing = selectors.entry_get_live(buy=buy, household_id=household.pk)
    context.update({"member_form": member_form, "form": form, "existing": existing, "idempotency_key": _new_key()})
    if request.method == "GET":
        return render(request, "groupbuy/proxy.html", context)
    if not (member_form.is_valid() and form.is_valid()):
        return render(request, "groupbuy/proxy.html", context, status=400)
    return _proxy_signup_create(request, buy, household, members, member_form=member_form, form=form, context=context)
