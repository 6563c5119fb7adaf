"""Committee staff grant and revoke roles inside their own community."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import Building, Membership, User, VolunteerGroup
from accounts.notifications import notification_send, register
from accounts.permissions import Action, require
from config.errors import NotFound, ValidationFailed

register("roles_changed", _("Your roles in {community} were updated."))


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
) -> Membership:
    membership = Membership.objects.select_related("community").filter(pk=membership_id).first()
    if membership is None:
        raise NotFound(_("No such member."), code="membership_not_found")
    require(actor, Action.MANAGE_ROLES, membership.community_id)
    if volunteer_group not in VolunteerGroup.values:
        raise ValidationFailed(_("Unknown volunteer group."), code="invalid", detail={"volunteer_group": ["invalid"]})
    if is_building_leader:
        if led_building_id is None:
            raise ValidationFailed(
                _("Choose the building this building leader leads."),
                code="building_required",
                detail={"led_building": ["required"]},
            )
        if not Building.objects.filter(pk=led_building_id, community_id=membership.community_id).exists():
            raise NotFound(_("That building is not in this community."), code="building_not_found")
    else:
        led_building_id = None
    if membership.user_id == actor.pk and membership.is_committee and not is_committee:
        # Otherwise the last committee member could lock everyone out of the community's settings.
        raise ValidationFailed(_("You cannot remove your own committee role."), code="cannot_remove_own_committee")
    with transaction.atomic():
        Membership.objects.filter(pk=membership.pk).update(
            is_team_leader=is_team_leader,
            is_building_leader=is_building_leader,
            led_building_id=led_building_id,
            volunteer_group=volunteer_group,
            is_gate_guard=is_gate_guard,
            is_committee=is_committee,
        )
    membership.refresh_from_db()
    notification_send(
        user_ids=[membership.user_id],
        kind="roles_changed",
        dedupe_key=f"roles_changed:{membership.pk}:{membership.is_team_leader:d}{membership.is_building_leader:d}"
        f"{membership.led_building_id}{membership.volunteer_group}{membership.is_gate_guard:d}{membership.is_committee:d}",
        params={"community": membership.community.name},
        link="/",
        community_id=membership.community_id,
    )
    return membership
