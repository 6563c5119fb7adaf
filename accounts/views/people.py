"""The committee's people pages: members and their roles, the vulnerable-household list, household members."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _

from accounts import forms, selectors
from accounts.permissions import Action, membership_for
from accounts.services.households import household_member_add, household_set_vulnerable
from accounts.services.roles import membership_set_roles
from accounts.views.common import community_page
from core.errors import NotFound
from core.pages import form_refusal, refusal_flashed, refusal_on, render_form
from core.parsing import parse_int

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
    form = forms.RolesForm(request.POST or None, buildings=buildings, initial=roles_initial(membership))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with refusal_on(form):
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
            messages.success(request, _("Roles saved."))
            return redirect("accounts:members", community.pk)
    context = {"community": community, "membership": membership, "form": form}
    return render_form(request, "accounts/member_roles.html", context, form, invalid=400)


def roles_initial(membership) -> dict:
    return {
        "is_team_leader": membership.is_team_leader,
        "is_building_leader": membership.is_building_leader,
        "led_building": membership.led_building_id,
        "volunteer_group": membership.volunteer_group,
        "is_gate_guard": membership.is_gate_guard,
        "is_committee": membership.is_committee,
        "proxy_buildings": [b.pk for b in membership.proxy_buildings.all()],
    }


@community_page(Action.MANAGE_VULNERABLE)
def vulnerable(request, community):
    form = forms.VulnerableAddForm(request.POST or None)
    if request.method == "POST" and request.POST.get("household_id"):
        # Removing from (or re-adding to) the list by id; the service checks the community.
        with refusal_flashed(request):
            household_set_vulnerable(
                actor=request.user,
                household_id=parse_int(request.POST["household_id"]) or 0,
                is_vulnerable=request.POST.get("is_vulnerable") == "1",
            )
        return redirect("accounts:vulnerable", community.pk)
    if request.method == "POST" and form.is_valid():
        household = selectors.household_by_label(community_id=community.pk, label=form.cleaned_data["label"])
        if household is not None:
            household_set_vulnerable(actor=request.user, household_id=household.pk, is_vulnerable=True)
            messages.success(request, _("%(label)s is on the list.") % {"label": household.label})
            return redirect("accounts:vulnerable", community.pk)
        no_such = NotFound(
            _("No such household in this community."), code="household_not_found", detail={"field": "label"}
        )
        form_refusal(form, no_such)
    rows = list(selectors.vulnerable_households(community_id=community.pk))
    context = {"community": community, "rows": rows, "form": form}
    return render_form(request, "accounts/vulnerable.html", context, form, invalid=400)


@community_page(Action.MANAGE_HOUSEHOLDS)
def household_members(request, community):
    membership = membership_for(request.user, community)
    buildings = list(selectors.buildings_of(community_id=community.pk))
    if not membership.is_committee:  # a building leader works in their own building only
        buildings = [b for b in buildings if b.pk == membership.led_building_id]
    form = forms.MemberAddForm(request.POST or None, buildings=buildings)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with refusal_on(form):
            person = household_member_add(
                actor=request.user,
                community_id=community.pk,
                building_id=data["building"],
                room=data["room"],
                name=data["name"],
                note=data["note"],
                phone=data["phone"],
            )
            messages.success(
                request, _("%(name)s was added to %(label)s.") % {"name": person.name, "label": person.household}
            )
            return redirect("accounts:household_members", community.pk)
    scoped_building = None if membership.is_committee else membership.led_building_id
    added = list(selectors.members_added_by_staff(community_id=community.pk, building_id=scoped_building)[:100])
    context = {"community": community, "form": form, "added": added}
    return render_form(request, "accounts/household_members.html", context, form, invalid=400)
