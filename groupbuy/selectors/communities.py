"""Reads about the user's place: the membership a page works in, households, and ids from requests."""

from __future__ import annotations

from typing import Any

from accounts.models import Household, HouseholdMember, Membership, User
from accounts.permissions import membership_for
from accounts.selectors import household_by_label as accounts_household_by_label
from accounts.selectors import memberships_of
from core.parsing import parse_int
from groupbuy import exceptions as err


def id_param(value: Any) -> int | None:
    """An id from a request (path, query or body): None when absent (None, ""); a positive whole number, else
    a coded not_found (a malformed id finds nothing, whatever it looks like)."""
    if value in (None, ""):
        return None
    number = parse_int(value)
    if number is None or number <= 0:
        raise err.not_found()
    return number


def lookup_id(value: Any) -> int:
    """An id for a primary-key lookup: as id_param, and an absent one (None, "") matches no row."""
    return id_param(value) or 0


def membership_get_current(
    *, user: User, community_id: Any = None, memberships: list[Membership] | None = None
) -> Membership | None:
    """The membership a page works in: the one asked for (`?community=`), else the user's first.
    Primes the permission cache so later `can()` calls in the request cost no query."""
    if memberships is None:
        memberships = memberships_of(user=user)
    chosen = None
    wanted = id_param(community_id)
    if wanted is not None:
        chosen = next((m for m in memberships if m.community_id == wanted), None)
        if chosen is None:
            raise err.wrong_community()
    elif memberships:
        chosen = memberships[0]
    cache: dict[int, Membership | None] = user.__dict__.setdefault("_membership_cache", {})
    for m in memberships:
        cache.setdefault(m.community_id, m)
    return chosen


def require_member(*, user: User, community_id: int) -> Membership:
    """The user's membership in the community, or a coded refusal (wrong_community)."""
    membership = membership_for(user, community_id)
    if membership is None:
        raise err.wrong_community()
    return membership


_FULLWIDTH = str.maketrans("０１２３４５６７８９－—", "0123456789--")


def household_by_label(*, community_id: int, label: str) -> Household | None:
    """`12-301` -> the household of this community (proxy ordering), with its members."""
    # Typed on a phone with a Chinese IME: full-width digits and dash (１２－３０１).
    label = (label or "").translate(_FULLWIDTH).replace(" ", "")
    return accounts_household_by_label(community_id=community_id, label=label)


def household_get(*, community_id: int, household_id: Any) -> Household:
    household = (
        Household.objects.select_related("building")
        .filter(pk=lookup_id(household_id), community_id=community_id)
        .first()
    )
    if household is None:
        raise err.not_found()
    return household


def household_member_get(*, household: Household, member_id: Any) -> HouseholdMember:
    """A person of this household (proxy ordering names whom the entry is for)."""
    member = HouseholdMember.objects.filter(pk=lookup_id(member_id), household_id=household.pk).first()
    if member is None:
        raise err.invalid_member()
    return member
