"""Committee staff grant and revoke roles inside their own community."""

from __future__ import annotations

import hashlib
from collections.abc import Collection

from django.db import transaction

from accounts import exceptions as err
from accounts.models import Building, Membership, User, VolunteerGroup
from accounts.notifications import notification_send
from accounts.permissions import Action, require


def membership_set_roles(
    *,
    actor: User,
    membership_id: int,
    is_team_leader: bool,
    is_building_leader: bool,
    led_building_id: int | None,
    volunteer_group: str,
    is_gate_guard: bool,
    is_committee: bool,
    proxy_building_ids: Collection[int] | None = None,
) -> Membership:
    """Set the member's roles. `proxy_building_ids` is the proxy role: the buildings whose households the member
    may order for (empty: none; None: left as it is)."""
    membership = Membership.objects.select_related("community").filter(pk=membership_id).first()
    if membership is None:
        raise err.membership_not_found()
    require(actor, Action.MANAGE_ROLES, membership.community_id)
    if volunteer_group not in VolunteerGroup.values:
        raise err.unknown_volunteer_group()
    if is_building_leader:
        if led_building_id is None:
            raise err.building_required()
        if not Building.objects.filter(pk=led_building_id, community_id=membership.community_id).exists():
            raise err.building_not_found()
    else:
        led_building_id = None
    if not volunteer_group:
        if proxy_building_ids:
            raise err.proxy_needs_volunteer()
        proxy_building_ids = ()  # leaving the volunteer groups ends the proxy role too
    if proxy_building_ids is not None:
        proxy_building_ids = set(proxy_building_ids)
        found = Building.objects.filter(pk__in=proxy_building_ids, community_id=membership.community_id).count()
        if found != len(proxy_building_ids):
            raise err.building_not_found()
    if membership.user_id == actor.pk and membership.is_committee and not is_committee:
        # Otherwise the last committee member could lock everyone out of the community's settings.
        raise err.cannot_remove_own_committee()
    with transaction.atomic():
        Membership.objects.filter(pk=membership.pk).update(
            is_team_leader=is_team_leader,
            is_building_leader=is_building_leader,
            led_building_id=led_building_id,
            volunteer_group=volunteer_group,
            is_gate_guard=is_gate_guard,
            is_committee=is_committee,
        )
        if proxy_building_ids is not None:
            membership.proxy_buildings.set(proxy_building_ids)
    membership.refresh_from_db()
    proxy = sorted(membership.proxy_buildings.values_list("pk", flat=True))
    roles = (
        f"{membership.is_team_leader:d}{membership.is_building_leader:d}{membership.led_building_id}"
        f"{membership.volunteer_group}{membership.is_gate_guard:d}{membership.is_committee:d}{proxy}"
    )
    notification_send(
        user_ids=[membership.user_id],
        kind="roles_changed",
        # Hashed: the list of proxy buildings has no length bound, the key has (one notice per role set).
        dedupe_key=f"roles_changed:{membership.pk}:{hashlib.sha256(roles.encode()).hexdigest()[:32]}",
        params={"community": membership.community.name},
        link="/",
        community_id=membership.community_id,
    )
    return membership
