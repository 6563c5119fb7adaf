"""Households: people without phones added by staff, and the committee's vulnerable list."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts import exceptions as err
from accounts.models import Building, Household, HouseholdMember, User
from accounts.permissions import Action, require, require_for_building


def household_member_add(
    *, actor: User, community_id: int, building_id: int, room: str, name: str, note: str = "", phone: str = ""
) -> HouseholdMember:
    """Add a person without an account (e.g. an elderly neighbour without a phone) to building + room.

    Committee staff anywhere in the community; a building leader only in the building they lead.
    The household can later claim this person with an invite code and keeps the history.
    """
    require_for_building(actor, Action.MANAGE_HOUSEHOLDS, community_id, building_id)
    room = (room or "").strip()
    name = (name or "").strip()
    errors = {}
    if not room or len(room) > 20:
        errors["room"] = [str(_("Enter the room number, e.g. 301."))]
    if not name or len(name) > 60:
        errors["name"] = [str(_("Enter the person's name."))]
    if len(note or "") > 200:
        errors["note"] = [str(_("The note is too long."))]
    if len(phone or "") > 20:
        errors["phone"] = [str(_("The phone number is too long."))]
    if errors:
        raise err.invalid(**errors)
    building = Building.objects.filter(pk=building_id, community_id=community_id).first()
    if building is None:
        raise err.building_not_found()
    with transaction.atomic():
        household, _created = Household.objects.get_or_create(
            building=building, room=room, defaults={"community_id": community_id}
        )
        return HouseholdMember.objects.create(
            household=household, name=name, note=(note or "").strip(), phone=(phone or "").strip(), created_by=actor
        )


def household_set_vulnerable(*, actor: User, household_id: int, is_vulnerable: bool) -> Household:
    household = Household.objects.select_related("building").filter(pk=household_id).first()
    if household is None:
        raise err.household_not_found()
    require(actor, Action.MANAGE_VULNERABLE, household.community_id)
    Household.objects.filter(pk=household.pk).update(is_vulnerable=is_vulnerable)
    household.is_vulnerable = is_vulnerable
    return household
