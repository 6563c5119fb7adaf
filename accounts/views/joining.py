"""Joining a community: with a household invite code, or by asking the committee; and deciding the asks."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts import forms, selectors
from accounts.models import Community
from accounts.permissions import Action
from accounts.services.invites import format_code, invite_check, invite_redeem, normalize_code
from accounts.services.joining import join_request_create, join_request_create_with_account, join_request_decide
from accounts.utils import client_ip
from accounts.views.common import community_page
from core.errors import ApplicationError
from core.http import safe_next
from core.pages import form_refusal, public_page, refusal_flashed, refusal_on, render_form
from core.parsing import parse_int

BACKEND = "accounts.backends.ModelBackend"


@public_page
def redeem(request):
    """Redeem a household invite code. The code travels in POST bodies only, never in a URL (access logs,
    browser history): a GET shows the empty code box (the printed QR puts the code after "#", which the
    browser keeps to itself; static/js/join.js moves it into the box). Step one posts the code alone
    (`step=check`) and shows its household; step two posts the account fields too. The people of a
    household are shown only once its code is verified, and only that household's."""
    existing = request.user.is_authenticated
    if request.method != "POST":
        form = forms.RedeemForm(existing_user=existing)
        return render(request, "accounts/redeem.html", {"form": form, "checked": False, "next": _next(request)})
    code = normalize_code(request.POST.get("code") or "")
    try:
        invite = invite_check(code=code, client_ip=client_ip(request))
    except ApplicationError as exc:  # the code's refusal: shown on a form built without the people's claim
        return code_refused(request, exc, existing=existing)
    members = selectors.unclaimed_members(household_id=invite.household_id)
    context = {"invite": invite, "checked": True, "next": _next(request)}
    if request.POST.get("step") == "check":
        context["form"] = forms.RedeemForm(initial={"code": format_code(code)}, members=members, existing_user=existing)
        return render(request, "accounts/redeem.html", context)
    form = context["form"] = forms.RedeemForm(request.POST, members=members, existing_user=existing)
    if form.is_valid():
        with refusal_on(form):
            return redeemed(request, form, code=code, existing=existing)
    return render_form(request, "accounts/redeem.html", context, form, invalid=400)


def code_refused(request, exc: ApplicationError, *, existing: bool):
    """The redeem page again with the code's refusal alone (its status): nothing posted about people is looked
    at before the code is verified, so the claim is dropped and the account fields are not judged yet."""
    data = request.POST.copy()
    data.pop("claim_member", None)
    form = forms.RedeemForm(data, existing_user=existing)
    form.is_valid()
    form._errors = None  # the code's refusal only: the account fields are judged once the code is
    form_refusal(form, exc)
    context = {"form": form, "checked": request.POST.get("step") != "check", "next": _next(request)}
    return render_form(request, "accounts/redeem.html", context, form)


def redeemed(request, form, *, code: str, existing: bool):
    """Redeem the verified code with the account fields (a refusal propagates to the caller's form)."""
    data = form.cleaned_data
    membership = invite_redeem(
        code=code,
        client_ip=client_ip(request),
        user=request.user if existing else None,
        username=data.get("username", ""),
        password=data.get("password", ""),
        display_name=data.get("display_name", ""),
        claim_member_id=data.get("claim_member"),
    )
    if not existing:
        login(request, membership.user, backend=BACKEND)
    messages.success(
        request,
        _("Welcome! You are now a resident of %(label)s in %(community)s.")
        % {"label": membership.household.label, "community": membership.community.name},
    )
    return redirect(safe_next(request, reverse("home")))


def _next(request) -> str:
    """Where a visitor goes once joined (a share link they came from), if it stays on this site; else ""."""
    return safe_next(request, "")


@public_page
def join_start(request):
    """Find one's community by name to ask to join it."""
    q = (request.GET.get("q") or "").strip()
    communities = Community.objects.order_by("name")
    if q:
        communities = communities.filter(Q(name__icontains=q) | Q(district__icontains=q) | Q(address__icontains=q))
    context = {"communities": communities[:50], "q": q, "next": _next(request)}
    return render(request, "accounts/join_start.html", context)


@public_page
def join_request(request, community_id: int):
    community = get_object_or_404(Community, pk=community_id)
    existing = request.user.is_authenticated
    form = forms.JoinRequestForm(
        request.POST or None,
        buildings=list(selectors.buildings_of(community_id=community.pk)),
        existing_user=existing,
        initial={"display_name": request.user.display_name} if existing else None,
    )
    if request.method == "POST" and form.is_valid():
        with refusal_on(form):
            join_request_send(request, community, form.cleaned_data, existing=existing)
            messages.success(request, _("Your request was sent. You will get a notice when it is decided."))
            return redirect(safe_next(request, reverse("home")))
    context = {"form": form, "community": community, "next": _next(request)}
    return render_form(request, "accounts/join_request.html", context, form, invalid=400)


def join_request_send(request, community: Community, data: dict, *, existing: bool) -> None:
    """Ask to join `community`: as the logged-in user, or with a new account (then logged in)."""
    if existing:
        join_request_create(
            user=request.user,
            community_id=community.pk,
            building_id=data["building"],
            room=data["room"],
            name=data["display_name"],
            message=data["message"],
        )
        return
    created = join_request_create_with_account(
        username=data["username"],
        password=data["password"],
        display_name=data["display_name"],
        community_id=community.pk,
        building_id=data["building"],
        room=data["room"],
        message=data["message"],
        client_ip=client_ip(request),
    )
    login(request, created.user, backend=BACKEND)


@community_page(Action.APPROVE_JOIN)
def join_requests(request, community):
    if request.method == "POST":
        with refusal_flashed(request):
            join_request_decide(
                actor=request.user,
                join_request_id=parse_int(request.POST.get("request_id")) or 0,
                approve=request.POST.get("decision") == "approve",
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, _("Decision saved."))
        return redirect("accounts:join_requests", community.pk)
    pending = list(selectors.pending_join_requests(user=request.user, community_id=community.pk))
    return render(request, "accounts/join_requests.html", {"community": community, "pending": pending})
