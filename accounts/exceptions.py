"""Accounts errors: one constructor per stable code, each with one message, the same on pages, in the API and
in tests. Keyword arguments of the plain constructors go into the error's `detail` (field name -> messages)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError, Conflict, NotFound, PermissionRefused, ValidationFailed


def _detail(detail: dict[str, Any]) -> dict[str, Any] | None:
    return detail or None


# --- input -----------------------------------------------------------------------------------------------------------


def invalid(**detail: Any) -> ValidationFailed:
    """Several fields refused at once; `detail` maps each field to its messages."""
    return ValidationFailed(_("Please correct the fields marked below."), code="invalid", detail=_detail(detail))


def username_taken() -> ValidationFailed:
    return ValidationFailed(
        _("Please correct the fields marked below."),
        code="username_taken",
        detail={"username": [str(_("This username is taken."))]},
    )


def phone_invalid() -> ValidationFailed:
    return ValidationFailed(
        _("Enter a mobile number: 11 digits, or with the country code, e.g. +852 ..."),
        code="phone_invalid",
        detail={"phone": ["invalid"]},
    )


def phone_taken() -> Conflict:
    return Conflict(_("This phone number already belongs to an account: log in with it."), code="phone_taken")


def phone_login_unavailable() -> ApplicationError:
    return ApplicationError(
        _("Logging in by phone is not available right now. Please try again in a few minutes."),
        code="phone_login_unavailable",
    )


def room_required() -> ValidationFailed:
    return ValidationFailed(_("Enter your room number, e.g. 301."), code="room_required", detail={"room": ["required"]})


def unknown_volunteer_group() -> ValidationFailed:
    return ValidationFailed(
        _("Unknown volunteer group."), code="unknown_volunteer_group", detail={"volunteer_group": ["invalid"]}
    )


def building_required() -> ValidationFailed:
    return ValidationFailed(
        _("Choose the building this building leader leads."),
        code="building_required",
        detail={"led_building": ["required"]},
    )


def proxy_needs_volunteer() -> ValidationFailed:
    return ValidationFailed(
        _("Only a volunteer can be given the proxy role: choose a volunteer group."),
        code="proxy_needs_volunteer",
        detail={"proxy_buildings": ["invalid"]},
    )


def cannot_remove_own_committee() -> ValidationFailed:
    return ValidationFailed(_("You cannot remove your own committee role."), code="cannot_remove_own_committee")


def no_token() -> ValidationFailed:
    return ValidationFailed(_("This request carries no API token."), code="no_token")


def login_failed() -> ValidationFailed:
    return ValidationFailed(_("The username or password is not correct."), code="login_failed")


def invite_bad_validity(*, max_days: int) -> ValidationFailed:
    return ValidationFailed(
        _("Codes can be valid for 1 to %(max)d days.") % {"max": max_days}, code="invite_bad_validity"
    )


def invite_nothing_selected() -> ValidationFailed:
    return ValidationFailed(_("Choose at least one building or household."), code="invite_nothing_selected")


def invite_too_many() -> ValidationFailed:
    return ValidationFailed(_("Too many households at once; choose fewer buildings."), code="invite_too_many")


def invite_invalid() -> ValidationFailed:
    return ValidationFailed(_("This invite code is not valid. Check it and try again."), code="invite_invalid")


# --- not found, not allowed ------------------------------------------------------------------------------------------


def building_not_found() -> NotFound:
    return NotFound(_("That building is not in this community."), code="building_not_found")


def household_not_found() -> NotFound:
    return NotFound(_("No such household."), code="household_not_found")


def no_households() -> NotFound:
    """The chosen buildings have no households (an invite sheet would be empty)."""
    return NotFound(_("No households in the chosen buildings."), code="no_households")


def membership_not_found() -> NotFound:
    return NotFound(_("No such member."), code="membership_not_found")


def join_request_not_found() -> NotFound:
    return NotFound(_("No such join request."), code="join_request_not_found")


def member_not_claimable() -> PermissionRefused:
    return PermissionRefused(
        _("That person is not in this household or already has an account."), code="member_not_claimable"
    )


# --- state -----------------------------------------------------------------------------------------------------------


def already_member() -> Conflict:
    return Conflict(_("You are already a member of this community."), code="already_member")


def member_already_linked() -> Conflict:
    return Conflict(_("Your account is already linked to a household member."), code="member_already_linked")


def invite_used() -> Conflict:
    return Conflict(_("This invite code has already been used."), code="invite_used")


def invite_expired() -> Conflict:
    return Conflict(_("This invite code has expired. Ask for a new one."), code="invite_expired")


def join_request_pending() -> Conflict:
    return Conflict(_("Your request is already waiting for approval."), code="join_request_pending")


def join_request_decided() -> Conflict:
    return Conflict(_("This request has already been decided."), code="join_request_decided")


def too_many_tokens() -> Conflict:
    return Conflict(
        _("Too many devices are logged in to this account. Log out on one of them first."), code="too_many_tokens"
    )
