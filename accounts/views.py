"""Pages for joining, logging in, notices and the committee's people pages. Thin: parse, permit, call one
service, render. Refusals show the service's coded message in the form and keep what was typed."""

from __future__ import annotations

from functools import wraps

import segno
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.forms.utils import ErrorDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts import forms, selectors
from accounts.login_protection import locked_out_error
from accounts.models import Community
from accounts.notifications import render as render_notice
from accounts.permissions import Action, allowed_actions, can, membership_for
from accounts.services.households import household_member_add, household_set_vulnerable
from accounts.services.inbox import notification_mark_read
from accounts.services.invites import format_code, invite_check, invite_codes_issue, invite_redeem, normalize_code
from accounts.services.joining import join_request_create, join_request_create_with_account, join_request_decide
from accounts.services.roles import membership_set_roles
from accounts.utils import client_ip
from core.errors import ApplicationError


def _show_error(form, exc: ApplicationError) -> None:
    """Put a service refusal into the form: per-field messages where the detail names a field, else on top."""
    if form._errors is None:  # not validated (a GET, or refused before validation): start with no errors
        form._errors = ErrorDict()
        form.cleaned_data = {}
    placed = False
    if isinstance(exc.detail, dict):
        for field, msgs in exc.detail.items():
            if field in form.fields and isinstance(msgs, list):
                for msg in msgs:
                    form.add_error(field, str(msg))
                placed = True
    if not placed or exc.code != "invalid":  # a plain "fix the fields" summary adds nothing to field messages
        form.add_error(None, str(exc.message))
    form.error_code = exc.code


def community_page(action: Action):
    """Load the community from the URL and refuse (403) anyone who may not do `action` there."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, community_id: int, *args, **kwargs):
            community = get_object_or_404(Community, pk=community_id)
            if not can(request.user, action, community):
                raise PermissionDenied
            return view(request, community, *args, **kwargs)

        return wrapper

    return decorator


# --- home, login, password -------------------------------------------------


@login_required
def home(request):
    memberships = list(selectors.memberships_of(user=request.user))
    rows = []
    for m in memberships:
        actions = allowed_actions(request.user, m.community)
        rows.append(
            {
                "membership": m,
                "roles": selectors.membership_roles(m),
                "can": {a.name.lower(): True for a in actions},
            }
        )
    return render(request, "home.html", {"rows": rows})


class LoginView(auth_views.LoginView):
    """The login page. The lockout is the one every login surface shares (accounts/login_protection.py):
    it acts inside authenticate(), so here it only words the refusal."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):
        if not getattr(self.request, "axes_locked_out", False):
            return super().form_invalid(form)
        exc = locked_out_error()
        form._errors = None  # the lockout's message only, not "wrong password"
        _show_error(form, exc)
        response = self.render_to_response(self.get_context_data(form=form))
        response.status_code = exc.status_code
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


# --- joining ---------------------------------------------------------------


def redeem(request):
    """Redeem a household invite code. The code travels in POST bodies only, never in a URL (access logs,
    browser history): a GET shows the empty code box (the printed QR puts the code after "#", which the
    browser keeps to itself; static/js/join.js moves it into the box). Step one posts the code alone
    (`step=check`) and shows its household; step two posts the account fields too. The people of a
    household are shown only once its code is verified, and only that household's."""
    existing = request.user.is_authenticated
    if request.method != "POST":
        form = forms.RedeemForm(existing_user=existing)
        return render(request, "accounts/redeem.html", {"form": form, "checked": False})
    code = normalize_code(request.POST.get("code") or "")
    try:
        invite = invite_check(code=code, client_ip=client_ip(request))
    except ApplicationError as exc:
        # Nothing posted about people is looked at before the code is verified: the claim is dropped.
        data = request.POST.copy()
        data.pop("claim_member", None)
        form = forms.RedeemForm(data, existing_user=existing)
        form.is_valid()
        form._errors = None  # the code's refusal only: the account fields are judged once the code is
        _show_error(form, exc)
        checked = request.POST.get("step") != "check"
        return render(request, "accounts/redeem.html", {"form": form, "checked": checked}, status=exc.status_code)
    members = selectors.unclaimed_members(household_id=invite.household_id)
    context = {"invite": invite, "checked": True}
    if request.POST.get("step") == "check":
        context["form"] = forms.RedeemForm(initial={"code": format_code(code)}, members=members, existing_user=existing)
        return render(request, "accounts/redeem.html", context)
    form = forms.RedeemForm(request.POST, members=members, existing_user=existing)
    context["form"] = form
    if not form.is_valid():
        return render(request, "accounts/redeem.html", context, status=400)
    data = form.cleaned_data
    try:
        membership = invite_redeem(
            code=code,
            client_ip=client_ip(request),
            user=request.user if existing else None,
            username=data.get("username", ""),
            password=data.get("password", ""),
            display_name=data.get("display_name", ""),
            claim_member_id=data.get("claim_member"),
        )
    except ApplicationError as exc:
        _show_error(form, exc)
        return render(request, "accounts/redeem.html", context, status=exc.status_code)
    if not existing:
        login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(
        request,
        _("Welcome! You are now a resident of %(label)s in %(community)s.")
        % {"label": membership.household.label, "community": membership.community.name},
    )
    return redirect("home")


def join_start(request):
    """Find one's community by name to ask to join it."""
    q = (request.GET.get("q") or "").strip()
    communities = Community.objects.order_by("name")
    if q:
        communities = communities.filter(Q(name__icontains=q) | Q(district__icontains=q) | Q(address__icontains=q))
    return render(request, "accounts/join_start.html", {"communities": communities[:50], "q": q})


def join_request(request, community_id: int):
    community = get_object_or_404(Community, pk=community_id)
    existing = request.user.is_authenticated
    buildings = list(selectors.buildings_of(community_id=community.pk))
    form = forms.JoinRequestForm(
        request.POST or None,
        buildings=buildings,
        existing_user=existing,
        initial={"display_name": request.user.display_name} if existing else None,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if existing:
                join_request_create(
                    user=request.user,
                    community_id=community.pk,
                    building_id=data["building"],
                    room=data["room"],
                    name=data["display_name"],
                    message=data["message"],
                )
            else:
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
                login(request, created.user, backend="django.contrib.auth.backends.ModelBackend")
        except ApplicationError as exc:
            _show_error(form, exc)
            return render(
                request, "accounts/join_request.html", {"form": form, "community": community}, status=exc.status_code
            )
        messages.success(request, _("Your request was sent. You will get a notice when it is decided."))
        return redirect("home")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/join_request.html", {"form": form, "community": community}, status=status)


@community_page(Action.APPROVE_JOIN)
def join_requests(request, community):
    if request.method == "POST":
        try:
            join_request_decide(
                actor=request.user,
                join_request_id=int(request.POST.get("request_id") or 0),
                approve=request.POST.get("decision") == "approve",
                reason=request.POST.get("reason", ""),
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Decision saved."))
        return redirect("accounts:join_requests", community.pk)
    pending = list(selectors.pending_join_requests(user=request.user, community_id=community.pk))
    return render(request, "accounts/join_requests.html", {"community": community, "pending": pending})


# --- notifications ---------------------------------------------------------


@login_required
def notifications(request):
    notices = list(selectors.notifications_for(user=request.user))
    rows = [{"notice": n, "text": render_notice(n)} for n in notices]
    return render(request, "accounts/notifications.html", {"rows": rows})


@login_required
@require_POST
def notifications_read(request):
    notice_id = request.POST.get("id")
    notification_mark_read(user=request.user, notification_id=int(notice_id) if notice_id else None)
    return redirect("accounts:notifications")


# --- committee pages -------------------------------------------------------


@community_page(Action.ISSUE_INVITES)
def invites(request, community):
    buildings = list(selectors.buildings_of(community_id=community.pk))
    form = forms.IssueInvitesForm(request.POST or None, buildings=buildings)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issued = invite_codes_issue(
                actor=request.user,
                community_id=community.pk,
                building_ids=data["buildings"],
                valid_days=data["valid_days"],
                only_without_account=data["only_without_account"],
            )
        except ApplicationError as exc:
            _show_error(form, exc)
        else:
            base = request.build_absolute_uri(reverse("accounts:redeem"))
            # A fixed mask skips segno's search over all eight (5x faster: a whole compound's sheet in a few
            # seconds); any mask is valid QR and scans fine when printed.
            sheets = [
                {
                    "issued": item,
                    # After "#": the browser never sends the fragment, so the code stays out of logs.
                    "qr": segno.make(f"{base}#code={item.code}", error="m", mask=0).svg_inline(scale=3, border=2),
                }
                for item in issued
            ]
            response = render(
                request, "accounts/invite_sheet.html", {"community": community, "sheets": sheets, "join_url": base}
            )
            # The codes are in clear on this page only: never cache it anywhere.
            response["Cache-Control"] = "no-store"
            return response
    recent = list(selectors.invite_summary(community_id=community.pk))
    return render(request, "accounts/invites.html", {"community": community, "form": form, "recent": recent})


MEMBERS_PER_PAGE = 100


@community_page(Action.MANAGE_ROLES)
def members(request, community):
    q = (request.GET.get("q") or "").strip()
    rows = selectors.community_memberships(community_id=community.pk, search=q)
    page = Paginator(rows, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "accounts/members.html", {"community": community, "page": page, "rows": page, "q": q})


@community_page(Action.MANAGE_ROLES)
def member_roles(request, community, membership_id: int):
    membership = get_object_or_404(selectors.community_memberships(community_id=community.pk), pk=membership_id)
    buildings = list(selectors.buildings_of(community_id=community.pk))
    initial = {
        "is_team_leader": membership.is_team_leader,
        "is_building_leader": membership.is_building_leader,
        "led_building": membership.led_building_id,
        "volunteer_group": membership.volunteer_group,
        "is_gate_guard": membership.is_gate_guard,
        "is_committee": membership.is_committee,
        "proxy_buildings": [b.pk for b in membership.proxy_buildings.all()],
    }
    form = forms.RolesForm(request.POST or None, buildings=buildings, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                membership_set_roles(
                    actor=request.user,
                    membership_id=membership.pk,
                    is_team_leader=data["is_team_leader"],
                    is_building_leader=data["is_building_leader"],
                    led_building_id=data["led_building"],
                    volunteer_group=data["volunteer_group"] or "",
                    is_gate_guard=data["is_gate_guard"],
                    is_committee=data["is_committee"],
                    proxy_building_ids=data["proxy_buildings"],
                )
            except ApplicationError as exc:
                _show_error(form, exc)
                status = exc.status_code
            else:
                messages.success(request, _("Roles saved."))
                return redirect("accounts:members", community.pk)
        else:
            status = 400
    return render(
        request,
        "accounts/member_roles.html",
        {"community": community, "membership": membership, "form": form},
        status=status,
    )


@community_page(Action.MANAGE_VULNERABLE)
def vulnerable(request, community):
    form = forms.VulnerableAddForm(request.POST or None)
    status = 200
    if request.method == "POST":
        household_id = request.POST.get("household_id")
        if household_id:
            # Removing from (or re-adding to) the list by id; the service checks the community.
            try:
                household_set_vulnerable(
                    actor=request.user,
                    household_id=int(household_id),
                    is_vulnerable=request.POST.get("is_vulnerable") == "1",
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
            return redirect("accounts:vulnerable", community.pk)
        if form.is_valid():
            household = selectors.household_by_label(community_id=community.pk, label=form.cleaned_data["label"])
            if household is None:
                form.add_error("label", _("No such household in this community."))
                status = 404
            else:
                household_set_vulnerable(actor=request.user, household_id=household.pk, is_vulnerable=True)
                messages.success(request, _("%(label)s is on the list.") % {"label": household.label})
                return redirect("accounts:vulnerable", community.pk)
        else:
            status = 400
    rows = list(selectors.vulnerable_households(community_id=community.pk))
    return render(
        request, "accounts/vulnerable.html", {"community": community, "rows": rows, "form": form}, status=status
    )


@community_page(Action.MANAGE_HOUSEHOLDS)
def household_members(request, community):
    membership = membership_for(request.user, community)
    buildings = list(selectors.buildings_of(community_id=community.pk))
    scoped_building = None
    if not membership.is_committee:
        # A building leader works in their own building only.
        buildings = [b for b in buildings if b.pk == membership.led_building_id]
        scoped_building = membership.led_building_id
    form = forms.MemberAddForm(request.POST or None, buildings=buildings)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                person = household_member_add(
                    actor=request.user,
                    community_id=community.pk,
                    building_id=data["building"],
                    room=data["room"],
                    name=data["name"],
                    note=data["note"],
                    phone=data["phone"],
                )
            except ApplicationError as exc:
                _show_error(form, exc)
                status = exc.status_code
            else:
                messages.success(
                    request, _("%(name)s was added to %(label)s.") % {"name": person.name, "label": person.household}
                )
                return redirect("accounts:household_members", community.pk)
        else:
            status = 400
    added = list(selectors.members_added_by_staff(community_id=community.pk, building_id=scoped_building)[:100])
    return render(
        request,
        "accounts/household_members.html",
        {"community": community, "form": form, "added": added},
        status=status,
    )
