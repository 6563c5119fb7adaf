"""Settlement errors: one constructor per stable code, each with one message, the same on pages, in the API
and in tests. Keyword arguments of the plain constructors go into the error's `detail` (e.g. ``field="amount"``
names the form field the message belongs to)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, NotFound, PermissionRefused, ValidationFailed


def _detail(detail: dict[str, Any]) -> dict[str, Any] | None:
    return detail or None


# --- not found, not allowed ------------------------------------------------------------------------------------------


def not_found() -> NotFound:
    return NotFound(code="not_found")


def no_entry() -> NotFound:
    """The caller has no sign-up in this buy."""
    return NotFound(code="no_entry")


def forbidden() -> PermissionRefused:
    return PermissionRefused(code="forbidden")


def not_your_buy() -> PermissionRefused:
    return PermissionRefused(_("Only the leader of this group buy can do this."), code="not_your_buy")


def not_payment_staff() -> PermissionRefused:
    return PermissionRefused(
        _("Only the leader of this buy or a data volunteer may do this."), code="not_payment_staff"
    )


def not_your_entry() -> PermissionRefused:
    return PermissionRefused(_("This sign-up belongs to another household."), code="not_your_entry")


def not_your_building() -> PermissionRefused:
    return PermissionRefused(_("This household is not in your building."), code="not_your_building")


def own_payment() -> PermissionRefused:
    return PermissionRefused(_("You cannot confirm a payment for your own household's sign-up."), code="own_payment")


def own_refund() -> PermissionRefused:
    return PermissionRefused(_("You cannot settle a refund to your own household."), code="own_refund")


def second_person_required() -> PermissionRefused:
    return PermissionRefused(
        _("Another data volunteer or the leader must do this: one person may not handle both sides of the same money."),
        code="second_person_required",
    )


# --- input -----------------------------------------------------------------------------------------------------------


def invalid_amount(**detail: Any) -> ValidationFailed:
    return ValidationFailed(_("Enter an amount in yuan."), code="invalid_amount", detail=_detail(detail))


def invalid_quantity(**detail: Any) -> ValidationFailed:
    return ValidationFailed(_("Enter a whole number."), code="invalid_quantity", detail=_detail(detail))


def over_entitled(**detail: Any) -> ValidationFailed:
    """A hand-over of more units of a line than the household gets."""
    return ValidationFailed(_("More than this household gets."), code="over_entitled", detail=_detail(detail))


def invalid_hours(*, max_hours: int) -> ValidationFailed:
    return ValidationFailed(
        _("Hours must be a whole number from 0 to %(max)d.") % {"max": max_hours},
        code="invalid_hours",
        detail={"field": "hours", "min": 0, "max": max_hours},
    )


def invalid_method(**detail: Any) -> ValidationFailed:
    return ValidationFailed(_("Choose how you paid."), code="invalid_method", detail=_detail(detail))


def invalid_choice(**detail: Any) -> ValidationFailed:
    return ValidationFailed(_("Accept or withdraw."), code="invalid_choice", detail=_detail(detail))


def invalid_deadline(**detail: Any) -> ValidationFailed:
    return ValidationFailed(
        _("The answer deadline must be in the future."), code="invalid_deadline", detail=_detail(detail)
    )


def invalid_default(**detail: Any) -> ValidationFailed:
    return ValidationFailed(_("Choose what happens without an answer."), code="invalid_default", detail=_detail(detail))


def invalid_kind(**detail: Any) -> ValidationFailed:
    return ValidationFailed(_("Choose what went wrong."), code="invalid_kind", detail=_detail(detail))


def invalid_resolution(**detail: Any) -> ValidationFailed:
    return ValidationFailed(_("Choose a resolution."), code="invalid_resolution", detail=_detail(detail))


def reason_required(**detail: Any) -> ValidationFailed:
    return ValidationFailed(_("Please give a reason."), code="reason_required", detail=_detail(detail))


def description_required(**detail: Any) -> ValidationFailed:
    return ValidationFailed(_("Describe the problem."), code="description_required", detail=_detail(detail))


def recipient_required(**detail: Any) -> ValidationFailed:
    return ValidationFailed(_("Choose a household."), code="recipient_required", detail=_detail(detail))


def no_items(**detail: Any) -> ValidationFailed:
    return ValidationFailed(_("Enter what arrived."), code="no_items", detail=_detail(detail))


def no_change(**detail: Any) -> ValidationFailed:
    return ValidationFailed(_("The new price is the same as the old one."), code="no_change", detail=_detail(detail))


def unknown_item(**detail: Any) -> ValidationFailed:
    return ValidationFailed(_("That item is not in this buy."), code="unknown_item", detail=_detail(detail))


def item_not_in_entry(**detail: Any) -> ValidationFailed:
    return ValidationFailed(_("That item is not in this sign-up."), code="item_not_in_entry", detail=_detail(detail))


def unknown_offer(**detail: Any) -> ValidationFailed:
    return ValidationFailed(_("Unknown offer."), code="unknown_offer", detail=_detail(detail))


def offer_already_in_buy(**detail: Any) -> ValidationFailed:
    return ValidationFailed(
        _("That offer is already in this buy."), code="offer_already_in_buy", detail=_detail(detail)
    )


def substitution_needs_consent(**detail: Any) -> ValidationFailed:
    return ValidationFailed(
        _("Nobody is switched to a different product without saying yes: withdraw those who do not answer instead."),
        code="substitution_needs_consent",
        detail=_detail(detail),
    )


def charity_has_markup(**detail: Any) -> ValidationFailed:
    return ValidationFailed(_("A charity buy has no markup."), code="charity_has_markup", detail=_detail(detail))


def too_many_photos(**detail: Any) -> ValidationFailed:
    return ValidationFailed(_("At most 4 photos."), code="too_many_photos", detail=_detail(detail))


def not_vulnerable(**detail: Any) -> ValidationFailed:
    return ValidationFailed(
        _("Donations go to households on the committee's list."), code="not_vulnerable", detail=_detail(detail)
    )


def payee_name_required(**detail: Any) -> ValidationFailed:
    return ValidationFailed(
        _("Enter the payee name as it shows in WeChat or Alipay."), code="payee_name_required", detail=_detail(detail)
    )


def payee_qr_required(**detail: Any) -> ValidationFailed:
    return ValidationFailed(
        _("Upload the picture of your payment QR code (收款码)."), code="payee_qr_required", detail=_detail(detail)
    )


def amount_too_high(*, most: Decimal) -> ValidationFailed:
    return ValidationFailed(
        _("That is more than is due on this sign-up (at most ¥%(max)s).") % {"max": most},
        code="amount_too_high",
        detail={"field": "amount", "max": str(most)},
    )


def answer_window_too_short(*, min_hours: int) -> ValidationFailed:
    return ValidationFailed(
        _("Give people at least %(hours)d hours to answer.") % {"hours": min_hours},
        code="answer_window_too_short",
        detail={"field": "deadline", "min_hours": min_hours},
    )


def over_donation_limit(*, limit: int, given: int) -> ValidationFailed:
    return ValidationFailed(
        _("One person may donate at most %(limit)s portions to this buy.") % {"limit": limit},
        code="over_donation_limit",
        detail={"field": "quantity", "limit": limit, "remaining": max(0, limit - given)},
    )


def refund_exceeds_paid(*, paid: Decimal) -> ValidationFailed:
    return ValidationFailed(
        _("A refund cannot be larger than what was paid (%(paid)s).") % {"paid": paid},
        code="refund_exceeds_paid",
        detail={"field": "refund_amount"},
    )


def refund_exceeds_owed(**detail: Any) -> ValidationFailed:
    return ValidationFailed(
        _("A refund cannot be larger than what the order costs."), code="refund_exceeds_owed", detail=_detail(detail)
    )


def shortage_above_ordered(*, title: str, item_id: int, ordered: int) -> ValidationFailed:
    return ValidationFailed(
        _("More arrived than was ordered for %(item)s.") % {"item": title},
        code="shortage_above_ordered",
        detail={"item": item_id, "ordered": ordered},
    )


# --- state -----------------------------------------------------------------------------------------------------------


def invalid_state() -> Conflict:
    return Conflict(_("This can only be done after the buy has closed."), code="invalid_state")


def not_payable() -> Conflict:
    return Conflict(_("This buy does not take payments."), code="not_payable")


def entry_not_active() -> Conflict:
    return Conflict(_("This sign-up is no longer active."), code="entry_not_active")


def nothing_due() -> Conflict:
    return Conflict(_("Nothing is due on this sign-up."), code="nothing_due")


def payment_not_marked() -> Conflict:
    return Conflict(_("Nobody has marked this sign-up paid yet."), code="payment_not_marked")


def payment_changed() -> Conflict:
    return Conflict(_("The amount was changed meanwhile. Check it again."), code="payment_changed")


def refund_not_paid_back() -> Conflict:
    return Conflict(_("This refund has not been paid back yet."), code="refund_not_paid_back")


def price_change_open() -> Conflict:
    return Conflict(_("A price change for this item is still waiting for answers."), code="price_change_open")


def price_change_closed() -> Conflict:
    return Conflict(_("This price change is already settled."), code="price_change_closed")


def price_change_deadline_passed() -> Conflict:
    return Conflict(_("The deadline to answer has passed."), code="price_change_deadline_passed")


def already_answered() -> Conflict:
    return Conflict(_("You have already answered."), code="already_answered")


def not_affected() -> Conflict:
    return Conflict(_("Your sign-up does not include this item."), code="not_affected")


def arrival_already_recorded() -> Conflict:
    return Conflict(_("The goods of this item have already arrived."), code="arrival_already_recorded")


def already_resolved() -> Conflict:
    return Conflict(_("This report is already resolved."), code="already_resolved")


def donation_paid() -> Conflict:
    return Conflict(_("A paid donation can no longer be withdrawn."), code="donation_paid")


def donation_withdrawn() -> Conflict:
    return Conflict(_("This donation was already withdrawn."), code="donation_withdrawn")


def no_recipient() -> Conflict:
    return Conflict(_("Choose the household first."), code="no_recipient")


def not_released() -> Conflict:
    return Conflict(_("The goods have not been released for distribution yet."), code="not_released")


def code_collision() -> Conflict:
    return Conflict(code="code_collision")


def pickup_code_used() -> Conflict:
    return Conflict(_("This pickup code was already used."), code="pickup_code_used")


def pickup_code_wrong_buy() -> Conflict:
    return Conflict(_("This pickup code belongs to another buy."), code="pickup_code_wrong_buy")


def pickup_code_unknown() -> NotFound:
    return NotFound(_("No such pickup code."), code="pickup_code_unknown")


def nothing_handed() -> ValidationFailed:
    """A hand-over in which no unit of any line goes out."""
    return ValidationFailed(_("Nothing to hand over: type how many go now."), code="nothing_handed")


def handout_no_match() -> NotFound:
    """No live order of this buy (that the volunteer may hand out) has that 接龙 number, room or phone ending."""
    return NotFound(
        _("No order of this buy matches: try a pickup code, sign-up number, room (8-201) or a phone's last 4 digits."),
        code="handout_no_match",
    )


def pickup_not_issued() -> Conflict:
    return Conflict(
        _("This order has no pickup code yet: issue the codes on the distribution page first."),
        code="pickup_not_issued",
    )
