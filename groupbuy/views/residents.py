"""Residents' pages: the buy list, a buy and its 接龙, joining, changing and leaving it, one's own entries, and
signing up a neighbour (proxy). Thin: read through selectors, write through one service call; a refused action
re-renders the page with the service's coded message (and what was typed), with the error's HTTP status."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import parse_etags
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Household, HouseholdMember
from accounts.permissions import (
    Action,
    allowed_actions,
    is_buy_leader,
    proxy_scope,
    require_entry_owner,
    require_order_for,
    require_proxy,
)
from accounts.selectors import memberships_of
from core.errors import ApplicationError
from core.pages import page, refusal_on, refusal_status, render_form
from groupbuy import exceptions as err
from groupbuy import selectors
from groupbuy.forms import (
    ProxyHouseholdForm,
    ProxyMemberForm,
    QuantitiesForm,
    signup_initial,
)
from groupbuy.models import Entry, GroupBuy
from groupbuy.services import share as share_services
from groupbuy.services import signup as signup_services
from groupbuy.services.signup_input import LineBounds, line_bounds
from groupbuy.views import page_cache


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
    community_id, language = membership.community_id, get_language()
    listed = selectors.buy_list_versions(community_id=community_id)
    led = (
        list(selectors.buy_list_led_by(user=request.user, community_id=community_id))
        if Action.OPEN_BUY in actions
        else []
    )
    # The whole list as kept for this viewer (page_cache.buy_list_body_key); the membership was checked above.
    key, overrides = page_cache.buy_list_body_key(request, community_id, language, listed, led)
    if (kept := page_cache.body_get(key)) is not None:
        return page_cache.body_serve(request, kept)
    context = {
        "membership": membership,
        "memberships": memberships,
        "cards": mark_safe(page_cache.buy_cards(request, community_id, language, listed)),  # escaped
        "led_buys": led,
        "can_open": Action.OPEN_BUY in actions,
        "can_manage_suppliers": Action.MANAGE_SUPPLIERS in actions,
        **overrides,
    }
    return page_cache.body_keep(request, key, render(request, "groupbuy/buy_list.html", context), overrides)


def _bounds(buy: GroupBuy, held: dict[int, int]) -> dict[int, LineBounds]:
    """Each item's stepper bounds, from the sign-up checks (`held`: what the household's entry already takes)."""
    return {item.pk: line_bounds(buy, item, held=held.get(item.pk, 0)) for item in buy.item_list}


def join_form_get(request: HttpRequest, buy: GroupBuy) -> QuantitiesForm:
    """The join form: bound to what was sent (a POST), else starting from 1 of the main item or from the share
    link's `?item<ID>=<N>`, within the bounds."""
    bounds = _bounds(buy, {})
    if request.method == "POST":
        return QuantitiesForm(request.POST, items=buy.item_list, bounds=bounds)
    main_id = buy.main_item.pk if buy.main_item is not None else None
    initial = signup_initial(buy.item_list, bounds, request.GET, main_id=main_id)
    return QuantitiesForm(items=buy.item_list, bounds=bounds, initial=initial)


def change_form_get(request: HttpRequest, buy: GroupBuy, entry_id: int) -> QuantitiesForm:
    """The change form of the household's entry: what was sent (a POST), else what was saved (quantities and
    extra units to fill a pack); the bounds count what the entry already holds."""
    saved = selectors.entry_lines_get(entry_id=entry_id)
    bounds = _bounds(buy, {item_id: quantity for item_id, (quantity, _t) in saved.items()})
    if request.method == "POST":
        return QuantitiesForm(request.POST, items=buy.item_list, with_note=False, bounds=bounds)
    initial: dict[str, int] = {}
    for item in buy.item_list:
        quantity, tolerance = saved.get(item.pk, (0, 0))
        initial[f"q_{item.pk}"] = quantity
        if bounds[item.pk].tolerance_max:
            initial[f"t_{item.pk}"] = tolerance
    return QuantitiesForm(items=buy.item_list, with_note=False, bounds=bounds, initial=initial)


def _detail_forms(
    request: HttpRequest,
    buy: GroupBuy,
    *,
    my_entry: Any,
    can_join: bool,
    join_form: QuantitiesForm | None,
    change_form: QuantitiesForm | None,
    action_error: ApplicationError | None,
) -> dict[str, Any]:
    """The buy page's join and change forms (built when the caller passed none) and the refusal shown on top."""
    if my_entry is None and join_form is None:
        join_form = join_form_get(request, buy)
    if my_entry is not None and change_form is None:
        change_form = change_form_get(request, buy, my_entry.pk)
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
    listed = page_cache.signup_list_part(buy, get_language())
    my_entry = page_cache.own_entry(listed, membership.household_id)
    can_join = membership.household_id is not None and Action.SIGN_UP in allowed_actions(request.user, buy.community_id)
    forms = _detail_forms(
        request,
        buy,
        my_entry=my_entry,
        can_join=can_join,
        join_form=join_form,
        change_form=change_form,
        action_error=action_error,
    )
    return {"listed": listed, "my_entry": my_entry, "can_join": can_join, **forms}


def _share_text(request: HttpRequest, buy: GroupBuy, list_lines: list[str]) -> str | None:
    """The 复制接龙 text for whoever may share this buy (None for the others), from the page's own list lines."""
    if not selectors.share_allowed(user=request.user, buy=buy):
        return None
    link = share_services.share_link_for(buy, request)
    return selectors.share_text_get(buy=buy, list_lines=list_lines, link=link, language=get_language())


def _detail(
    request: HttpRequest,
    buy: GroupBuy,
    *,
    join_form: QuantitiesForm | None = None,
    change_form: QuantitiesForm | None = None,
    action_error: ApplicationError | None = None,
    status: int = 200,
    etag: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> HttpResponse:
    """The buy page; `overrides` (from page_cache.buy_page_body_key) put sentinels in place of the per-serve values
    of a page rendered to be kept."""
    state = _signup_state(request, buy, join_form=join_form, change_form=change_form, action_error=action_error)
    panel = selectors.buy_panel_get(buy=buy)  # pool progress (the page's one progress when pooled), next-box fill
    listed = state["listed"]
    context = {
        "buy": buy,
        **state,
        "signup_list_html": mark_safe(listed["html"]),  # rendered from escaped values (page_cache, jl_list)
        "etag": etag,
        "share_text": _share_text(request, buy, listed["share_lines"]),
        "meta_description": selectors.share_description_get(buy=buy),
        "can_proxy": bool(proxy_scope(request.user, buy)),
        "is_leader": is_buy_leader(request.user, buy),
        "may_see_contacts": selectors.may_see_contacts(user=request.user, buy=buy),
        "idempotency_key": _new_key(),
        "panel": panel,
        **(overrides or {}),
    }
    response = render(request, "groupbuy/buy_detail.html", context, status=status)
    if etag is not None:
        response["ETag"] = etag
    return response


def _not_modified(etag: str) -> HttpResponse:
    response = HttpResponseNotModified()
    response["ETag"] = etag
    return response


def _buy_url(buy: GroupBuy, anchor: str) -> str:
    return f"{resolve_url('groupbuy:buy_detail', pk=buy.pk)}#{anchor}"


@require_http_methods(["GET", "POST"])
@page
def buy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The buy page. Its forms post here (`action` join / change / withdraw): a refusal is shown in place, next
    to the control, with its status, at an address a reload or a language switch can GET again."""
    if request.method == "GET":
        asked = request.headers.get("If-None-Match")
        if asked:  # the live refresh (or a browser revalidating): one small read, and no rendering if unchanged
            etag = page_cache.buy_page_etag(request, pk, get_language())
            # weak comparison (RFC 9110 13.1.2): gzip turns the ETag sent with a 200 into W/"..."
            if etag is not None and etag in {tag.removeprefix("W/") for tag in parse_etags(asked)}:
                return _not_modified(etag)
        # The whole page as kept for this viewer, after the membership check (page_cache.buy_page_body_key).
        key, overrides = page_cache.buy_page_body_key(request, pk, get_language())
        if (kept := page_cache.body_get(key)) is not None:
            return page_cache.body_serve(request, kept)
        buy = selectors.buy_get(user=request.user, buy_id=pk)
        etag = page_cache.buy_page_etag(request, pk, get_language(), buy=buy)
        response = _detail(request, buy, etag=etag, overrides=overrides)
        return page_cache.body_keep(request, key, response, overrides)
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    action = request.POST.get("action")
    if action == "join":
        return _join(request, buy)
    if action == "change":
        return _change(request, buy, selectors.entry_get(buy=buy, entry_id=request.POST.get("entry")))
    if action == "withdraw":
        return _withdraw(request, buy, selectors.entry_get(buy=buy, entry_id=request.POST.get("entry")))
    raise err.invalid_field("action")


def _join(request: HttpRequest, buy: GroupBuy) -> HttpResponse:
    membership = selectors.require_member(user=request.user, community_id=buy.community_id)
    form = join_form_get(request, buy)
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
        return redirect(_buy_url(buy, "mine"))
    return _detail(request, buy, join_form=form, status=refusal_status([form]))


def _change(request: HttpRequest, buy: GroupBuy, entry: Entry) -> HttpResponse:
    form = change_form_get(request, buy, entry.pk)
    if not form.is_valid():
        return _detail(request, buy, change_form=form, status=400)
    with refusal_on(form):
        signup_services.signup_change(
            actor=request.user, entry=entry, quantities=form.quantities(), tolerances=form.tolerances()
        )
        messages.success(request, _("Your sign-up was changed."))
        return redirect(_buy_url(buy, "mine"))
    if request.POST.get("next") == "mine":  # refused from "my entries": back there with the message
        messages.error(request, str(form.refusal.message))
        return redirect("groupbuy:my_entries")
    return _detail(request, buy, change_form=form, status=refusal_status([form]))


def _withdraw(request: HttpRequest, buy: GroupBuy, entry: Entry) -> HttpResponse:
    """Withdraw only once confirmed (`confirm` sent by the confirmation's button): the number is given up for
    good, so an unconfirmed request shows the confirmation (with the number) instead."""
    if request.POST.get("confirm") != "yes":
        return _withdraw_confirmation(request, buy, entry)
    try:
        signup_services.signup_withdraw(actor=request.user, entry=entry)
    except ApplicationError as exc:
        return _detail(request, buy, action_error=exc, status=exc.status_code)
    messages.success(request, _("You left the list. Number #%(seq)s is not reused.") % {"seq": entry.seq})
    if request.POST.get("next") == "mine":
        return redirect("groupbuy:my_entries")
    return redirect(_buy_url(buy, "signup"))


def _withdraw_confirmation(request: HttpRequest, buy: GroupBuy, entry: Entry) -> HttpResponse:
    """The confirmation step (a page of its own, no script needed): who may withdraw is the service's rule, so
    someone else's entry is refused here as the withdrawal itself would refuse it."""
    require_entry_owner(request.user, entry)
    next_page = "mine" if request.GET.get("next", request.POST.get("next")) == "mine" else ""
    context = {"buy": buy, "entry": entry, "next": next_page}
    return render(request, "groupbuy/withdraw_confirm.html", context)


@require_http_methods(["GET", "POST"])
@page
def buy_join(request: HttpRequest, pk: int) -> HttpResponse:
    """The join form's former address: a POST still joins; a GET (an old tab, a reload) goes to the buy page."""
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    if request.method == "GET":
        return redirect(_buy_url(buy, "signup"))
    return _join(request, buy)


@require_http_methods(["GET", "POST"])
@page
def entry_change(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    """Change an entry (the buy page and "my entries" post here or to the buy page); a GET goes to the buy page."""
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    entry = selectors.entry_get(buy=buy, entry_id=entry_pk)
    if request.method == "GET":
        return redirect(_buy_url(buy, "mine"))
    return _change(request, buy, entry)


@require_http_methods(["GET", "POST"])
@page
def entry_withdraw(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    """Withdraw: a GET, or a POST without the confirmation, shows the confirmation step; a confirmed POST
    withdraws."""
    buy = selectors.buy_get(user=request.user, buy_id=pk)
    entry = selectors.entry_get(buy=buy, entry_id=entry_pk)
    if request.method == "GET":
        return _withdraw_confirmation(request, buy, entry)
    return _withdraw(request, buy, entry)


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
