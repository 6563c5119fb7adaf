"""Pages for pools across compounds, helper leaders (帮卖), the leaders' board and leader reputation.
Thin: read through groupbuy.selectors, write through one service in groupbuy.services.pools; a refused
action re-renders the page with the service's coded message."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Community, Membership
from accounts.permissions import Action, allowed_actions, is_buy_leader
from accounts.selectors import memberships_of
from core.errors import ApplicationError
from core.pages import page, refusal_on, refusal_status
from groupbuy import selectors
from groupbuy.models import Pool
from groupbuy.services import pools as pool_services


class MemberBuyForm(forms.Form):
    community = forms.ModelChoiceField(queryset=Community.objects.none(), label=gettext_lazy("your community"))
    drop_point = forms.CharField(label=gettext_lazy("drop point (your gate)"), max_length=120)
    deadline = forms.DateTimeField(
        label=gettext_lazy("order deadline (截单)"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    delivery_date = forms.DateField(
        label=gettext_lazy("planned delivery date"), widget=forms.DateInput(attrs={"type": "date"})
    )


class PoolCancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (told to every member community and everyone in their lists)"),
        max_length=300,
        required=False,
    )


class OfferPoolForm(forms.Form):
    community = forms.ModelChoiceField(queryset=Community.objects.none(), label=gettext_lazy("neighbouring community"))


def _led_communities(user: Any, exclude: set[int]) -> Any:
    ids = Membership.objects.filter(user=user, is_active=True, is_team_leader=True).values_list(
        "community_id", flat=True
    )
    return Community.objects.filter(pk__in=ids).exclude(pk__in=exclude).order_by("name")


def _member_form(request: HttpRequest, pool: Pool, exclude: set[int], data: Any = None) -> MemberBuyForm:
    form = MemberBuyForm(
        data,
        initial={
            "deadline": timezone.localtime(pool.deadline).strftime("%Y-%m-%dT%H:%M"),
            "delivery_date": pool.host_buy.delivery_date,
        },
    )
    form.fields["community"].queryset = _led_communities(request.user, exclude)
    return form


def _pool_forms(
    request: HttpRequest, view: Any, in_pool: set[int], *, is_host_leader: bool, extra: dict[str, Any]
) -> dict[str, Any]:
    """The pool page's forms (those in `extra` are taken from it, as posted): offering the pool to a neighbouring
    community and cancelling it (the host leader), joining it (shown while one of your communities may)."""
    offer_form = extra.pop("offer_form", None)
    if offer_form is None and is_host_leader:
        offer_form = OfferPoolForm()
    if offer_form is not None:
        offer_form.fields["community"].queryset = Community.objects.filter(
            district=view.host.community.district
        ).exclude(pk__in=in_pool)
    join_form = extra.pop("join_form", None) or _member_form(request, view.pool, in_pool)
    return {
        "offer_form": offer_form if is_host_leader else None,
        "cancel_form": (extra.pop("cancel_form", None) or PoolCancelForm()) if is_host_leader else None,
        "join_form": join_form if join_form.fields["community"].queryset.exists() else None,
    }


def _pool_page(request: HttpRequest, pool_id: int, *, status: int = 200, **extra: Any) -> HttpResponse:
    view = selectors.pool_view_get(user=request.user, pool_id=pool_id)
    pool = view.pool
    in_pool = selectors.pool_community_id_list(pool_id=pool.pk)
    is_host_leader = is_buy_leader(request.user, view.host)
    forms = _pool_forms(request, view, in_pool, is_host_leader=is_host_leader, extra=extra)
    led = selectors.buy_id_list_led_by(user=request.user, buy_ids={m.buy_id for m in view.members})
    try:
        order = selectors.pool_purchase_order_get(user=request.user, pool_id=pool.pk)
    except ApplicationError:
        order = None
    context = {
        "view": view,
        "pool": pool,
        "is_host_leader": is_host_leader,
        **forms,
        "my_buys": [m for m in view.members if m.buy_id in led],
        "order": order,
        "reputation": selectors.leader_reputation_get(leader_id=view.host.leader_id),
        **extra,
    }
    return render(request, "groupbuy/pools/pool_detail.html", context, status=status)


@require_GET
@page
def pool_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _pool_page(request, pk)


@require_POST
@page
def pool_start(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.buy_get(user=request.user, buy_id=pk, with_items=False)
    pool = pool_services.pool_create(actor=request.user, buy=buy)
    messages.success(request, _("The buy is now a pool: offer it to neighbouring communities."))
    return redirect("groupbuy:pool_detail", pk=pool.pk)


@require_POST
@page
def pool_offer(request: HttpRequest, pk: int) -> HttpResponse:
    pool = Pool.objects.select_related("host_buy__community").filter(pk=pk).first()
    view = selectors.pool_view_get(user=request.user, pool_id=pk)
    form = OfferPoolForm(request.POST)
    form.fields["community"].queryset = Community.objects.filter(district=view.host.community.district)
    if not form.is_valid():
        return _pool_page(request, pk, offer_form=form, status=400)
    with refusal_on(form):
        pool_services.pool_offer(actor=request.user, pool=pool, community=form.cleaned_data["community"])
        messages.success(request, _("Offered: its leaders are told."))
        return redirect("groupbuy:pool_detail", pk=pk)
    return _pool_page(request, pk, offer_form=form, status=refusal_status([form]))


@require_POST
@page
def pool_join(request: HttpRequest, pk: int) -> HttpResponse:
    pool = Pool.objects.select_related("host_buy").filter(pk=pk).first()
    selectors.pool_view_get(user=request.user, pool_id=pk)
    form = _member_form(request, pool, set(), request.POST)
    if not form.is_valid():
        return _pool_page(request, pk, join_form=form, status=400)
    data = form.cleaned_data
    with refusal_on(form):
        buy = pool_services.pool_join(
            actor=request.user,
            pool=pool,
            community=data["community"],
            drop_point=data["drop_point"],
            deadline=data["deadline"],
            delivery_date=data["delivery_date"],
        )
        messages.success(request, _("Your community's buy is in the pool; its residents can sign up now."))
        return redirect("groupbuy:buy_detail", pk=buy.pk)
    return _pool_page(request, pk, join_form=form, status=refusal_status([form]))


@require_POST
@page
def pool_leave(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.buy_get(user=request.user, buy_id=pk, with_items=False)
    pool = selectors.pool_get_for_buy(buy_id=buy.pk)
    try:
        pool_services.pool_leave(actor=request.user, buy=buy)
    except ApplicationError as exc:
        if pool is None:
            raise
        return _pool_page(request, pool.pk, action_error=exc, status=exc.status_code)
    messages.success(request, _("Your buy left the pool and goes on alone with its own minimum."))
    return redirect("groupbuy:buy_detail", pk=buy.pk)


@require_POST
@page
def pool_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """The host leader cancels the whole pool and every member buy in it (the supplier cannot deliver)."""
    pool = Pool.objects.filter(pk=pk).first()
    selectors.pool_view_get(user=request.user, pool_id=pk)
    form = PoolCancelForm(request.POST)
    form.is_valid()
    with refusal_on(form):
        pool_services.pool_cancel(actor=request.user, pool=pool, reason=form.cleaned_data.get("reason", ""))
        messages.success(request, _("The pool and every buy in it were cancelled; everyone in the lists is told."))
        return redirect("groupbuy:pool_detail", pk=pk)
    return _pool_page(request, pk, cancel_form=form, status=refusal_status([form]))


@require_POST
@page
def pool_share(request: HttpRequest, pk: int) -> HttpResponse:
    """帮卖: share the buy into another community the leader also leads."""
    buy = selectors.buy_get(user=request.user, buy_id=pk, with_items=False)
    form = MemberBuyForm(request.POST)
    form.fields["community"].queryset = _led_communities(request.user, {buy.community_id})
    if form.is_valid():
        data = form.cleaned_data
        try:
            member = pool_services.pool_share(
                actor=request.user,
                buy=buy,
                community=data["community"],
                drop_point=data["drop_point"],
                deadline=data["deadline"],
                delivery_date=data["delivery_date"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Shared: sign-ups there count toward this buy's minimum."))
            return redirect("groupbuy:buy_detail", pk=member.pk)
    return render(request, "groupbuy/pools/share.html", {"buy": buy, "form": form}, status=400)


@require_GET
@page
def share_form(request: HttpRequest, pk: int) -> HttpResponse:
    buy = selectors.buy_get(user=request.user, buy_id=pk, with_items=False)
    form = MemberBuyForm(
        initial={
            "deadline": timezone.localtime(buy.deadline).strftime("%Y-%m-%dT%H:%M"),
            "delivery_date": buy.delivery_date,
        }
    )
    form.fields["community"].queryset = _led_communities(request.user, {buy.community_id})
    return render(request, "groupbuy/pools/share.html", {"buy": buy, "form": form})


@require_GET
@page
def board(request: HttpRequest) -> HttpResponse:
    memberships = memberships_of(user=request.user)
    membership = selectors.membership_get_current(
        user=request.user, community_id=request.GET.get("community"), memberships=memberships
    )
    if membership is None or Action.OPEN_BUY not in allowed_actions(request.user, membership.community_id):
        return render(request, "groupbuy/pools/board.html", {"membership": membership, "rows": {}}, status=403)
    cid = membership.community_id
    context = {
        "membership": membership,
        "memberships": memberships,
        "rows": selectors.leader_board_get(user=request.user, community_id=cid),
        "notices": selectors.duplicate_notice_list(community_id=cid),
        "offered": selectors.pool_list_offered_to(community_id=cid),
        "now": timezone.now(),
        "week": datetime.timedelta(days=7),
    }
    return render(request, "groupbuy/pools/board.html", context)


@require_GET
@page
def buy_coordination(request: HttpRequest, pk: int) -> HttpResponse:
    """Per buy: its pool (own count and the pool's progress), "N more fills the next box", duplicates and the
    leader's reputation. Linked from the buy page."""
    buy = selectors.buy_get(user=request.user, buy_id=pk, with_items=False)
    return render(request, "groupbuy/pools/coordination.html", buy_panel_context(user=request.user, buy=buy))


def buy_panel_context(*, user: Any, buy: Any) -> dict[str, Any]:
    """What the buy page shows about coordination (also used by the include groupbuy/pools/_buy_panel.html)."""
    pool = selectors.pool_get_for_buy(buy_id=buy.pk)
    is_leader = is_buy_leader(user, buy)
    return {
        "buy": buy,
        "pool": pool,
        "pool_view": selectors.pool_view_get(user=user, pool_id=pool.pk) if pool else None,
        "packs": selectors.pack_status_list(buy=buy),
        "reputation": selectors.leader_reputation_get(leader_id=buy.leader_id),
        "is_leader": is_leader,
        "duplicates": selectors.duplicate_buys(
            community_id=buy.community_id,
            offer_ids=list(buy.items.values_list("offer_id", flat=True)),
            exclude_buy_id=buy.pk,
        )
        if is_leader
        else [],
    }
