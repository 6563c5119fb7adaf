"""Reads for people and communities."""

from __future__ import annotations

from typing import Any

from accounts.models import Membership, User


def membership_roles(m: Membership) -> list[str]:
    roles = []
    if m.is_resident and m.household_id:
        roles.append("resident")
    if m.is_team_leader:
        roles.append("team_leader")
    if m.is_building_leader:
        roles.append("building_leader")
    if m.volunteer_group:
        roles.append(f"volunteer_{m.volunteer_group}")
    if m.is_committee:
        roles.append("committee")
    if m.is_gate_guard:
        roles.append("gate_guard")
    return roles


def memberships_of(*, user: User):
    return (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("community", "household__building", "led_building")
        .order_by("community__name")
    )


def user_profile(*, user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "memberships": [
            {
                "community_id": m.community_id,
                "community_name": m.community.name,
                "household": m.household.label if m.household else None,
                "roles": membership_roles(m),
            }
            for m in memberships_of(user=user)
        ],
    }
