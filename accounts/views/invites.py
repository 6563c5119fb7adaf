"""The committee's invite codes: issue them for buildings and print the sheet."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse

from accounts import forms, selectors
from accounts.permissions import Action
from accounts.services.invites import invite_codes_issue
from accounts.views.common import community_page
from core.pages import refusal_on, render_form
from core.qr import qr_svg


@community_page(Action.ISSUE_INVITES)
def invites(request, community):
    buildings = list(selectors.buildings_of(community_id=community.pk))
    form = forms.IssueInvitesForm(request.POST or None, buildings=buildings)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with refusal_on(form):
            issued = invite_codes_issue(
                actor=request.user,
                community_id=community.pk,
                building_ids=data["buildings"],
                valid_days=data["valid_days"],
                only_without_account=data["only_without_account"],
            )
            return invite_sheet(request, community, issued)
    recent = list(selectors.invite_summary(community_id=community.pk))
    return render_form(request, "accounts/invites.html", {"community": community, "form": form, "recent": recent}, form)


def invite_sheet(request, community, issued):
    """The printable sheet of freshly issued codes, one QR each (the only page that shows them in clear)."""
    base = request.build_absolute_uri(reverse("accounts:redeem"))
    # After "#": the browser never sends the fragment, so the code stays out of logs. `fast`: a whole
    # compound's sheet in a few seconds.
    sheets = [{"issued": item, "qr": qr_svg(f"{base}#code={item.code}", scale=3, fast=True)} for item in issued]
    response = render(
        request, "accounts/invite_sheet.html", {"community": community, "sheets": sheets, "join_url": base}
    )
    response["Cache-Control"] = "no-store"  # the codes are in clear on this page only: never cache it anywhere
    return response
