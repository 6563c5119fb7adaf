"""The group-buy errors, one constructor per stable code, so the page, the API and
the tests all see the same code and the same (translated) message."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.permissions import not_your_building as not_your_building
from accounts.permissions import not_your_buy as not_your_buy
from accounts.permissions import not_your_entry as not_your_entry
from accounts.permissions import wrong_community as wrong_community
from core.errors import Conflict, NotFound, PermissionRefused, ValidationFailed

# The object-level refusals (wrong_community, not_your_buy, not_your_entry, not_your_building) are the access
# rules' own, defined once next to them in accounts.permissions and re-exported here.


def group_buy_closed() -> Conflict:
    return Conflict(_("This group buy no longer takes sign-ups or changes."), code="group_buy_closed")


def deadline_passed() -> Conflict:
    return Conflict(_("The order deadline (截单时间) has passed."), code="deadline_passed")


def over_household_limit(limit: int) -> ValidationFailed:
    return ValidationFailed(
        _("A household may take at most {limit} units in this buy.").format(limit=limit),
        code="over_household_limit",
        detail={"limit": limit},
    )


def over_cap(item_id: int, remaining: int | None = None) -> Conflict:
    return Conflict(
        _("Not enough stock left for this item."),
        code="over_cap",
        detail={"item": item_id, "remaining": remaining},
    )


def invalid_quantity(detail: Any = None) -> ValidationFailed:
    return ValidationFailed(
        _("Quantities must be whole numbers between 0 and 9999, with at least one above 0."),
        code="invalid_quantity",
        detail=detail,
    )


def unknown_item(detail: Any = None) -> ValidationFailed:
    return ValidationFailed(_("This item is not part of the group buy."), code="unknown_item", detail=detail)


def already_signed_up(entry_id: int | None = None) -> Conflict:
    return Conflict(
        _("Your household is already in this list; change your entry instead."),
        code="already_signed_up",
        detail={"entry": entry_id},
    )


def forbidden() -> PermissionRefused:
    return PermissionRefused(code="forbidden")


def below_moq() -> Conflict:
    return Conflict(_("The minimum order (起送量) has not been reached yet."), code="below_moq")


def invalid_state() -> Conflict:
    return Conflict(_("This cannot be done in the group buy's current state."), code="invalid_state")


def charity_has_markup() -> ValidationFailed:
    return ValidationFailed(
        _("A charity buy (公益团) sells at supplier cost: the price must equal the cost."), code="charity_has_markup"
    )


def invalid_moq(message: Any = None) -> ValidationFailed:
    return ValidationFailed(message or _("The minimum order (起送量) must be above zero."), code="invalid_moq")


def invalid_deadline(message: Any = None) -> ValidationFailed:
    return ValidationFailed(message or _("The deadline must be in the future."), code="invalid_deadline")


def no_items() -> ValidationFailed:
    return ValidationFailed(_("Choose at least one offer for the group buy."), code="no_items")


def no_household() -> ValidationFailed:
    return ValidationFailed(_("Choose the household this sign-up is for."), code="no_household")


def invalid_member() -> ValidationFailed:
    return ValidationFailed(_("That person does not live in this household."), code="invalid_member")


def similar_buy_open(buy_ids: list[int]) -> Conflict:
    return Conflict(
        _("A group buy with this product is already running; join it or confirm to open another."),
        code="similar_buy_open",
        detail={"buys": buy_ids},
    )


def idempotency_key_reused() -> Conflict:
    return Conflict(_("This request key was already used for another household."), code="idempotency_key_reused")


def idempotency_mismatch() -> Conflict:
    """The key was already used by this household with a different request (a client bug, or a changed form
    resent with its old key): refused, 409 like its sibling idempotency_key_reused, rather than answered with an
    entry that does not match what was asked."""
    return Conflict(
        _("This request was already sent with different details; reload the page and try again."),
        code="idempotency_mismatch",
    )


def reason_required() -> ValidationFailed:
    return ValidationFailed(_("Please give a reason."), code="reason_required")


def invalid_field(field: str, message: Any = None) -> ValidationFailed:
    return ValidationFailed(message or _("This value is not valid."), code="invalid", detail={"field": field})


def not_found() -> NotFound:
    return NotFound()


def share_link_not_found() -> NotFound:
    return NotFound(
        _("This share link no longer works. Ask the leader of the buy for the current one."),
        code="share_link_not_found",
    )


# --- pools, packs (issue 6) -------------------------------------------------


def pool_formed() -> Conflict:
    return Conflict(_("The pool has already formed: members can no longer join or leave."), code="pool_formed")


def pool_member_past_cancel(buy_ids: list[int]) -> Conflict:
    return Conflict(
        _("A buy in this pool is already on its way (delivery filed or later): the pool can no longer be cancelled."),
        code="pool_member_past_cancel",
        detail={"buys": buy_ids},
    )


def pool_closed() -> Conflict:
    return Conflict(_("This pool no longer takes members."), code="pool_closed")


def already_in_pool() -> Conflict:
    return Conflict(_("Your community already has a buy in this pool."), code="already_in_pool")


def buy_already_pooled() -> Conflict:
    return Conflict(_("This buy is already part of a pool."), code="buy_already_pooled")


def not_pooled() -> Conflict:
    return Conflict(_("This buy is not part of a pool."), code="not_pooled")


def pool_deadline_later() -> ValidationFailed:
    return ValidationFailed(
        _("A member buy's deadline cannot be later than the pool's deadline."), code="pool_deadline_later"
    )


def pool_offers_differ() -> ValidationFailed:
    return ValidationFailed(_("Only buys of the same offers can be pooled."), code="pool_offers_differ")


def pool_not_invited() -> PermissionRefused:
    return PermissionRefused(
        _("This pool has not been offered to your community; ask its leader to offer it."), code="pool_not_invited"
    )


def pool_host_cannot_leave() -> Conflict:
    return Conflict(_("The buy that started the pool cannot leave it."), code="pool_host_cannot_leave")


def pool_minimum_needed() -> Conflict:
    return Conflict(
        _("The pool has formed and this change would take it below the supplier's minimum (起送量)."),
        code="pool_minimum_needed",
    )


def same_community() -> ValidationFailed:
    return ValidationFailed(_("Choose a neighbouring community, not this one."), code="same_community")


def invalid_tolerance(detail: Any = None) -> ValidationFailed:
    return ValidationFailed(
        _("The extra you would take to fill a pack must be between 0 and the pack size."),
        code="invalid_tolerance",
        detail=detail,
    )


def too_many_photos(limit: int) -> Conflict:
    return Conflict(_("An offer can have at most {n} photos.").format(n=limit), code="too_many_photos")
