"""The one place that answers "may this user do this in this community".

Pages, API views and services all ask here. Roles are per community: staff
of community A have no power in community B.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from config.errors import PermissionRefused

if TYPE_CHECKING:
    from accounts.models import Community, Membership, User


class Action(StrEnum):
    VIEW = "view"  # see the community's buys and public lists
    SIGN_UP = "sign_up"  # join a buy for one's own household
    PROXY_ORDER = "proxy_order"  # place an entry for another household
    OPEN_BUY = "open_buy"
    MANAGE_SUPPLIERS = "manage_suppliers"
    VIEW_CONTACTS = "view_contacts"  # full names and phones on sign-up lists
    CONFIRM_PAYMENT = "confirm_payment"
    HAND_OVER = "hand_over"  # mark pickup codes / pick lists handed over
    RECEIVE_GOODS = "receive_goods"  # arrival, disinfection evidence, release
    REVIEW_FILING = "review_filing"
    EDIT_POLICY = "edit_policy"
    ISSUE_INVITES = "issue_invites"
    APPROVE_JOIN = "approve_join"
    MANAGE_HOUSEHOLDS = "manage_households"
    VERIFY_SLIP = "verify_slip"
    VIEW_AUDIT = "view_audit"
    FILE_DELIVERY = "file_delivery"  # file a delivery (报备) for a buy one leads
    MANAGE_ROLES = "manage_roles"  # grant/revoke roles in the community
    MANAGE_VULNERABLE = "manage_vulnerable"  # keep the vulnerable-household list


def _rules(m: Membership) -> set[Action]:
    allowed: set[Action] = {Action.VIEW}
    if m.household_id and m.is_resident:
        allowed.add(Action.SIGN_UP)
    if m.is_team_leader:
        allowed |= {
            Action.OPEN_BUY,
            Action.MANAGE_SUPPLIERS,
            Action.VIEW_CONTACTS,
            Action.CONFIRM_PAYMENT,
            Action.PROXY_ORDER,
            Action.HAND_OVER,
            Action.FILE_DELIVERY,
        }
    if m.is_building_leader:
        allowed |= {Action.PROXY_ORDER, Action.HAND_OVER, Action.APPROVE_JOIN, Action.MANAGE_HOUSEHOLDS}
    if m.volunteer_group:
        allowed |= {Action.PROXY_ORDER, Action.HAND_OVER}
        if m.volunteer_group == "data":
            allowed |= {Action.CONFIRM_PAYMENT, Action.VIEW_CONTACTS}
        if m.volunteer_group == "procurement":
            allowed.add(Action.MANAGE_SUPPLIERS)
        if m.volunteer_group == "receiving":
            allowed.add(Action.RECEIVE_GOODS)
    if m.is_committee:
        allowed |= {
            Action.REVIEW_FILING,
            Action.EDIT_POLICY,
            Action.ISSUE_INVITES,
            Action.APPROVE_JOIN,
            Action.MANAGE_HOUSEHOLDS,
            Action.VIEW_AUDIT,
            Action.VERIFY_SLIP,
            Action.RECEIVE_GOODS,
            Action.MANAGE_ROLES,
            Action.MANAGE_VULNERABLE,
        }
    if m.is_gate_guard:
        allowed.add(Action.VERIFY_SLIP)
    return allowed


def membership_for(user: User | None, community: Community | int) -> Membership | None:
    """The user's active membership in the community, cached on the user object for the request."""
    if user is None or not user.is_authenticated:
        return None
    from accounts.models import Membership

    community_id = community if isinstance(community, int) else community.pk
    cache: dict[int, Membership | None] = user.__dict__.setdefault("_membership_cache", {})
    if community_id not in cache:
        cache[community_id] = (
            # The household and its building are shown with most answers (the 12-301 label); the led
            # building is not (permission rules use led_building_id), so it is not joined here.
            Membership.objects.select_related("household__building")
            .filter(user=user, community_id=community_id, is_active=True)
            .first()
        )
    return cache[community_id]


def can(user: User | None, action: Action, community: Community | int) -> bool:
    membership = membership_for(user, community)
    return membership is not None and action in _rules(membership)


def require(user: User | None, action: Action, community: Community | int) -> Membership:
    """Return the membership that allows `action`, or raise PermissionRefused."""
    membership = membership_for(user, community)
    if membership is None or action not in _rules(membership):
        raise PermissionRefused(code="forbidden")
    return membership


def allowed_actions(user: User | None, community: Community | int) -> set[Action]:
    membership = membership_for(user, community)
    return _rules(membership) if membership else set()


# Actions a building leader holds only for the building they lead; committee staff hold them community-wide.
_BUILDING_SCOPED = {Action.APPROVE_JOIN, Action.MANAGE_HOUSEHOLDS}


def require_for_building(user: User | None, action: Action, community: Community | int, building_id: int) -> Membership:
    """Like require(), and a building leader (not committee) may act only in the building they lead."""
    membership = require(user, action, community)
    if action in _BUILDING_SCOPED and not membership.is_committee and membership.led_building_id != building_id:
        raise PermissionRefused(code="forbidden")
    return membership
