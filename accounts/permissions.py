"""The one place that answers "may this user do this in this community".

Pages, API views and services all ask here. Roles are per community: staff
of community A have no power in community B.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from django.db import connection
from django.utils.translation import gettext_lazy as _

from accounts.models import Building, Community, Household, Membership, User
from core import rows
from core.errors import PermissionRefused


class Action(StrEnum):
    VIEW = "view"  # see the community's buys and public lists
    SIGN_UP = "sign_up"  # join a buy for one's own household
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
            Action.HAND_OVER,
            Action.FILE_DELIVERY,
        }
    if m.is_building_leader:
        allowed |= {Action.HAND_OVER, Action.APPROVE_JOIN, Action.MANAGE_HOUSEHOLDS}
    # Ordering for other households is not an Action: its scope is per building and per buy (proxy_scope).
    if m.volunteer_group == "data":
        allowed |= {Action.HAND_OVER, Action.CONFIRM_PAYMENT, Action.VIEW_CONTACTS}
    if m.volunteer_group == "procurement":
        # Buying from suppliers; handing out goods is the receiving group's (DESIGN "Who may do what").
        allowed.add(Action.MANAGE_SUPPLIERS)
    if m.volunteer_group == "receiving":
        allowed |= {Action.HAND_OVER, Action.RECEIVE_GOODS}
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
    community_id = community if isinstance(community, int) else community.pk
    cache: dict[int, Membership | None] = user.__dict__.setdefault("_membership_cache", {})
    if community_id not in cache:
        cache[community_id] = _membership_read(user, community_id)
    return cache[community_id]


def membership_sql(community_column: str) -> tuple[str, str]:
    """(select list, LEFT JOINs) that add to a query the user's active membership in the community whose id is
    `community_column`, with its household and the household's building (the 12-301 label shown with most answers;
    not the led building: the rules use led_building_id). The joins take the params [user id, True]; read the
    columns with `membership_from_row`. One plain SQL text (core.rows) because it is read on nearly every request
    and the ORM's compiler cost several times the query (docs/PERFORMANCE.md)."""
    qn = connection.ops.quote_name
    select = f"{rows.columns(Membership, 'm')}, {rows.columns(Household, 'h')}, {rows.columns(Building, 'hb')}"
    joins = (
        f"LEFT JOIN {qn(Membership._meta.db_table)} m ON m.{qn('community_id')} = {community_column} "
        f"AND m.{qn('user_id')} = %s AND m.{qn('is_active')} = %s "
        f"LEFT JOIN {qn(Household._meta.db_table)} h ON h.{qn('id')} = m.{qn('household_id')} "
        f"LEFT JOIN {qn(Building._meta.db_table)} hb ON hb.{qn('id')} = h.{qn('building_id')}"
    )
    return select, joins


def membership_sql_width() -> int:
    """How many columns `membership_sql` selects (for what a query selects after them)."""
    return rows.width(Membership) + rows.width(Household) + rows.width(Building)


def membership_from_row(user: User, community_id: int, row: Sequence[Any], start: int) -> Membership | None:
    """The membership `membership_sql` selected, from `row[start:]` (None: not an active member), kept for the
    request as `membership_for` keeps what it reads. At most one: (user, community) is unique."""
    membership = rows.instance(Membership, row, start)
    if isinstance(membership, Membership):
        household = rows.instance(Household, row, start + rows.width(Membership))
        if isinstance(household, Household):
            household.building = rows.instance(Building, row, start + rows.width(Membership) + rows.width(Household))
        membership.household = household
    else:
        membership = None
    user.__dict__.setdefault("_membership_cache", {})[community_id] = membership
    return membership


def _membership_read(user: User, community_id: int) -> Membership | None:
    qn = connection.ops.quote_name
    select, joins = membership_sql(f"c.{qn('id')}")
    sql = f"SELECT {select} FROM {qn(Community._meta.db_table)} c {joins} WHERE c.{qn('id')} = %s"
    row = rows.fetch_one(sql, [user.pk, True, community_id])
    return None if row is None else membership_from_row(user, community_id, row, 0)


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


# --- ordering on behalf of another household (proxy) ---------------------------------------------------------------


class LedBuy(Protocol):
    """What the proxy rule needs of a group buy (accounts does not import groupbuy)."""

    @property
    def community_id(self) -> int: ...

    @property
    def leader_id(self) -> int | None: ...


@dataclass(frozen=True)
class ProxyScope:
    """The households a person may order for in one buy: every household of the community (the buy's own
    leader), or those of some buildings (a building leader: the one they lead; the proxy role: the buildings
    it names). An empty scope means no proxy ordering at all."""

    everywhere: bool = False
    building_ids: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return self.everywhere or bool(self.building_ids)

    def covers(self, building_id: int) -> bool:
        return self.everywhere or building_id in self.building_ids


def proxy_building_ids(membership: Membership) -> frozenset[int]:
    """The buildings the membership's proxy role names (one query, remembered on the membership object).
    The role is a volunteer's: without a volunteer group there is none (and no query)."""
    if not membership.volunteer_group:
        return frozenset()
    cached = membership.__dict__.get("_proxy_building_ids")
    if cached is None:
        cached = frozenset(membership.proxy_buildings.values_list("pk", flat=True))
        membership.__dict__["_proxy_building_ids"] = cached
    return cached


def proxy_scope(user: User | None, buy: LedBuy) -> ProxyScope:
    """Whose households `user` may place entries for in `buy`. The one rule for proxy ordering:
    - the buy's own leader (a team leader): every household of the community, for that buy only;
    - a building leader: households of the building they lead;
    - a member given the proxy role (a volunteer): households of the buildings the role names.
    Other team leaders, committee staff and volunteers without the role may not order for anyone else."""
    membership = membership_for(user, buy.community_id)
    if membership is None:
        return ProxyScope()
    if membership.is_team_leader and user is not None and buy.leader_id == user.pk:
        return ProxyScope(everywhere=True)
    buildings = set(proxy_building_ids(membership))
    if membership.is_building_leader and membership.led_building_id is not None:
        buildings.add(membership.led_building_id)
    return ProxyScope(building_ids=frozenset(buildings))


def require_proxy(user: User | None, buy: LedBuy) -> ProxyScope:
    """The proxy scope, or PermissionRefused when the user may not order for any other household."""
    scope = proxy_scope(user, buy)
    if not scope:
        raise PermissionRefused(code="forbidden")
    return scope


def may_order_for(user: User | None, buy: LedBuy, household: Household) -> bool:
    """May `user` place an entry in `buy` for `household`: their own household (as a resident), or one in
    their proxy scope. A household of another community never."""
    membership = membership_for(user, buy.community_id)
    if membership is None or household.community_id != buy.community_id:
        return False
    if membership.household_id == household.pk and Action.SIGN_UP in _rules(membership):
        return True
    return proxy_scope(user, buy).covers(household.building_id)


def require_order_for(user: User | None, buy: LedBuy, household: Household) -> None:
    """Refuse (coded `not_your_building`) an entry for a household outside the user's proxy scope."""
    if not may_order_for(user, buy, household):
        raise not_your_building()


# --- object-level rules: the leader of a buy, the owner of an entry -------------------------------------------------


# Their refusals, one constructor per code (apps' exception modules re-export them).
def wrong_community() -> PermissionRefused:
    return PermissionRefused(_("This belongs to another community."), code="wrong_community")


def not_your_buy() -> PermissionRefused:
    return PermissionRefused(_("Only the leader of this group buy can do this."), code="not_your_buy")


def not_your_building() -> PermissionRefused:
    return PermissionRefused(_("This household is not in your building."), code="not_your_building")


def not_your_entry() -> PermissionRefused:
    return PermissionRefused(_("This sign-up belongs to another household."), code="not_your_entry")


def is_buy_leader(user: User | None, buy: LedBuy) -> bool:
    """The one rule for "the leader of this buy": the team leader who runs it (may open buys in its community
    and is its `leader`). Other leaders of the community are not."""
    if user is None or buy.leader_id != user.pk:
        return False
    return can(user, Action.OPEN_BUY, buy.community_id)


def require_buy_leader(user: User | None, buy: LedBuy) -> Membership:
    """Refuse anyone but the leader of this buy: `wrong_community` for a non-member, `forbidden` for a member
    who may not lead buys, `not_your_buy` for another leader. Returns the leader's membership."""
    membership = membership_for(user, buy.community_id)
    if membership is None:
        raise wrong_community()
    if Action.OPEN_BUY not in _rules(membership):
        raise PermissionRefused(code="forbidden")
    if user is None or buy.leader_id != user.pk:
        raise not_your_buy()
    return membership


class OwnedEntry(Protocol):
    """What the entry-owner rule needs of a sign-up (accounts does not import groupbuy)."""

    @property
    def buy(self) -> LedBuy: ...

    @property
    def household(self) -> Household: ...

    @property
    def household_id(self) -> int: ...

    @property
    def placed_by_id(self) -> int | None: ...


def _entry_owner_membership(user: User | None, entry: OwnedEntry) -> tuple[Membership | None, bool]:
    membership = membership_for(user, entry.buy.community_id)
    if membership is None or user is None:
        return membership, False
    if membership.household_id is not None and membership.household_id == entry.household_id:
        return membership, True
    return membership, entry.placed_by_id == user.pk and may_order_for(user, entry.buy, entry.household)


def is_entry_owner(user: User | None, entry: OwnedEntry) -> bool:
    """The one rule for "their own entry" (sign-up, payment, after-sales, price-change answer):
    - a member of the entry's household: the household's entry is theirs to change, pay and report on, whether or
      not they may sign up themselves;
    - whoever placed it for the household (a building leader or proxy), only while they may still order for that
      household: a proxy whose role was taken back (or moved to another building) can do nothing more with it."""
    return _entry_owner_membership(user, entry)[1]


def require_entry_owner(user: User | None, entry: OwnedEntry) -> Membership:
    """Refuse anyone but the entry's owner (see `is_entry_owner`): `wrong_community` for a non-member,
    `not_your_entry` for anyone else. Returns the owner's membership."""
    membership, owner = _entry_owner_membership(user, entry)
    if membership is None:
        raise wrong_community()
    if not owner:
        raise not_your_entry()
    return membership
