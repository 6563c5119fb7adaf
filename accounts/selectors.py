"""Reads for people and communities."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Q

from accounts.models import (
    Building,
    Community,
    Household,
    HouseholdMember,
    InviteCode,
    JoinRequest,
    JoinRequestStatus,
    Membership,
    Notification,
    User,
)
from accounts.permissions import membership_for
from accounts.phone import phone_normalize
from core import rows
from core.errors import ApplicationError


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


def memberships_of(*, user: User) -> list[Membership]:
    """The user's active memberships, by community name (the first is the one a page works in by default), each
    with its community, household (and the household's building) and led building attached — what
    `select_related` would attach, read in one plain SELECT (core.rows): it runs on every list and home page, and
    the ORM's compiler cost several times the query (docs/PERFORMANCE.md, issue 17)."""
    qn = connection.ops.quote_name
    table = {model: qn(model._meta.db_table) for model in (Membership, Community, Household, Building)}
    sql = (
        f"SELECT {rows.columns(Membership, 'm')}, {rows.columns(Community, 'c')}, {rows.columns(Household, 'h')}, "
        f"{rows.columns(Building, 'hb')}, {rows.columns(Building, 'lb')} "
        f"FROM {table[Membership]} m JOIN {table[Community]} c ON c.{qn('id')} = m.{qn('community_id')} "
        f"LEFT JOIN {table[Household]} h ON h.{qn('id')} = m.{qn('household_id')} "
        f"LEFT JOIN {table[Building]} hb ON hb.{qn('id')} = h.{qn('building_id')} "
        f"LEFT JOIN {table[Building]} lb ON lb.{qn('id')} = m.{qn('led_building_id')} "
        f"WHERE m.{qn('user_id')} = %s AND m.{qn('is_active')} = %s ORDER BY c.{qn('name')}, c.{qn('id')}"
    )
    starts = [0]
    for model in (Membership, Community, Household, Building):
        starts.append(starts[-1] + rows.width(model))
    found = []
    for row in rows.fetch_all(sql, [user.pk, True]):
        membership, community = rows.instance(Membership, row, starts[0]), rows.instance(Community, row, starts[1])
        assert membership is not None  # inner joins: never NULL
        assert community is not None
        membership.community = community
        household = rows.instance(Household, row, starts[2])
        if household is not None:
            building = rows.instance(Building, row, starts[3])
            assert building is not None  # a household always has its building
            household.building = building
        membership.household = household
        membership.led_building = rows.instance(Building, row, starts[4])
        found.append(membership)
    return found


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


def unread_count(*, user: User) -> int:
    """How many notices the user has not read (the header's badge): one plain SELECT (core.rows), as it is counted
    on every page a signed-in person opens."""
    qn = connection.ops.quote_name
    sql = (
        f"SELECT COUNT(*) FROM {qn(Notification._meta.db_table)} WHERE {qn('user_id')} = %s AND {qn('read_at')} IS NULL"
    )
    row = rows.fetch_one(sql, [user.pk])
    return int(row[0]) if row else 0


def notifications_for(*, user: User, limit: int = 50):

    return Notification.objects.filter(user=user).order_by("-created_at", "-id")[:limit]


def community_memberships(*, community_id: int, search: str = ""):
    """Everyone in a community with their household and roles (committee page).

    `search` matches a name or username, or an address such as `12-301` / `12`.
    """

    rows = Membership.objects.filter(community_id=community_id, is_active=True)
    if search:
        building, sep, room = search.partition("-")
        match = Q(user__display_name__icontains=search) | Q(user__username__icontains=search)
        if sep:
            match |= Q(household__building__label=building.strip(), household__room=room.strip())
        else:
            match |= Q(household__building__label=search)
        rows = rows.filter(match)
    return (
        rows.select_related("user", "household__building", "led_building")
        .prefetch_related("proxy_buildings")
        .order_by("household__building__sort_key", "household__building__label", "household__room", "user__username")
    )


def pending_join_requests(*, user: User, community_id: int):
    """Requests this user may decide: all for committee staff, their building's for a building leader."""

    m = membership_for(user, community_id)
    requests = JoinRequest.objects.filter(community_id=community_id, status=JoinRequestStatus.PENDING).select_related(
        "building"
    )
    if m is None:
        return requests.none()
    if m.is_committee:
        return requests
    # The led building is set for every building leader (a check constraint); the test narrows the type.
    if m.is_building_leader and m.led_building_id is not None:
        return requests.filter(building_id=m.led_building_id)
    return requests.none()


def vulnerable_households(*, community_id: int):

    return (
        Household.objects.filter(community_id=community_id, is_vulnerable=True)
        .select_related("building")
        .prefetch_related("members")
    )


def household_by_label(*, community_id: int, label: str):
    """`12-301` -> the household, or None."""

    building, sep, room = (label or "").strip().partition("-")
    if not sep:
        return None
    return (
        Household.objects.filter(community_id=community_id, building__label=building.strip(), room=room.strip())
        .select_related("building")
        .first()
    )


def buildings_of(*, community_id: int):

    return Building.objects.filter(community_id=community_id).order_by("sort_key", "label")


def members_added_by_staff(*, community_id: int, building_id: int | None = None):
    """People added by leaders/committee (many without an account), newest first."""

    members = HouseholdMember.objects.filter(household__community_id=community_id, created_by__isnull=False)
    if building_id is not None:
        members = members.filter(household__building_id=building_id)
    return members.select_related("household__building", "created_by", "user").order_by("-created_at", "-id")


def invite_summary(*, community_id: int, limit: int = 200):
    """Recent codes with their state (never the code itself: only its hash is stored)."""

    return (
        InviteCode.objects.filter(community_id=community_id)
        .select_related("household__building", "used_by")
        .order_by("-created_at", "-id")[:limit]
    )


def unclaimed_members(*, household_id: int):

    return HouseholdMember.objects.filter(household_id=household_id, user__isnull=True).order_by("created_at", "id")


def user_get_by_phone(*, phone: str) -> User | None:
    """The account whose phone is `phone` (any spelling phone_normalize accepts), or None."""
    try:
        phone = phone_normalize(phone)
    except ApplicationError:
        return None
    return User.objects.filter(phone=phone).first()
