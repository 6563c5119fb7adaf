"""The home page: for each community the person belongs to, the next thing to do in each role they hold.

It only composes: each block is read by the selector of the app that owns the data (the leader's buys:
groupbuy.selectors.homes; the committee's queue: compliance.selectors; the resident's open buys: the buy list's
own selector). The guard's code box posts to the gate check page, which runs the one check.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts import selectors
from accounts.models import Membership
from accounts.permissions import allowed_actions
from compliance.selectors import committee_home_get
from core.pages import page
from groupbuy.models import SIGNUP_STATES
from groupbuy.selectors import buy_list
from groupbuy.selectors.homes import leader_home_buy_list

RESIDENT_BUYS_SHOWN = 5

# Most urgent first. A block with nothing to do sinks below the ones that have (QUIET).
GATE, COMMITTEE, LEADER, RESIDENT, QUIET = range(5)


def _blocks(request: HttpRequest, m: Membership) -> list[dict[str, Any]]:
    user, community = request.user, m.community
    blocks: list[dict[str, Any]] = []
    if m.is_gate_guard:
        blocks.append({"kind": "gate", "rank": GATE})
    if m.is_committee:
        committee = committee_home_get(community=community, now=timezone.now())
        rank = COMMITTEE if committee.pending_count else QUIET
        blocks.append({"kind": "committee", "rank": rank, "data": committee})
    if m.is_team_leader:
        buys = leader_home_buy_list(user=user, community_id=community.pk)
        rank = LEADER if buys else QUIET  # the buys waiting on the leader come first inside the block
        blocks.append({"kind": "leader", "rank": rank, "buys": buys})
    if m.is_resident and m.household_id:
        open_buys = buy_list(user=user, community_id=community.pk, states=SIGNUP_STATES)
        blocks.append(
            {
                "kind": "resident",
                "rank": RESIDENT if open_buys else QUIET,
                "buys": open_buys[:RESIDENT_BUYS_SHOWN],
                "more": len(open_buys) > RESIDENT_BUYS_SHOWN,
            }
        )
    blocks.sort(key=lambda block: block["rank"])  # stable: role order kept among equals
    return blocks


@page
def home(request: HttpRequest) -> HttpResponse:
    rows = []
    for m in selectors.memberships_of(user=request.user):
        actions = allowed_actions(request.user, m.community)
        rows.append(
            {
                "membership": m,
                "roles": selectors.membership_roles(m),
                "can": {a.name.lower(): True for a in actions},
                "blocks": _blocks(request, m),
            }
        )
    return render(request, "home.html", {"rows": rows})
