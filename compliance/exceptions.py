"""Compliance errors: one stable code each, the same on pages, in the API and in tests."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, NotFound, PayloadTooLarge, PermissionRefused, ValidationFailed

# Filing refusal rules: code -> message. A refused filing lists every rule it breaks.
RULE_MESSAGES: dict[str, Any] = {
    "weekday_not_allowed": _("Deliveries may not enter on that weekday. Allowed: {weekdays}."),
    "outside_gate_hours": _("The arrival window must lie within the gate hours ({opens}–{closes}) of one day."),
    "inside_suspension": _("Deliveries are suspended then ({reason})."),
    "lead_time_too_short": _("File at least {hours} hour(s) before the arrival window starts."),
    "test_report_stale": _("The driver's test must be sampled within 24 hours before the arrival window."),
    "test_report_in_future": _("The test sampling time is in the future."),
    "arrival_in_past": _("The arrival window has already started or passed."),
    "invalid_window": _("The arrival window must end after it starts."),
}


def rule_violation(code: str, **params: Any) -> dict[str, str]:
    return {"code": code, "message": str(RULE_MESSAGES[code]).format(**params)}


def filing_refused(violations: list[dict[str, str]]) -> ValidationFailed:
    """All broken rules in `detail`; the first one is the error's code and message."""
    first = violations[0]
    return ValidationFailed(first["message"], code=first["code"], detail={"violations": violations})


def documents_missing(kinds: list[str]) -> ValidationFailed:
    return ValidationFailed(
        _("Attach all three documents: qualification, vehicle pass and the driver's test report."),
        code="documents_missing",
        detail={"missing": kinds},
    )


def unsupported_document() -> ValidationFailed:
    return ValidationFailed(
        _("Documents must be photos (JPEG, PNG, WebP) or PDF files."),
        code="unsupported_file",
    )


def evidence_format_not_allowed() -> ValidationFailed:
    return ValidationFailed(
        _("Only photos (JPEG, PNG, WebP) and videos (MP4, WebM) are accepted."),
        code="evidence_format_not_allowed",
    )


def document_too_large(limit_mb: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        _("The document is larger than {mb} MB.").format(mb=limit_mb), code="too_large", detail={"limit_mb": limit_mb}
    )


def own_filing() -> PermissionRefused:
    return PermissionRefused(_("You cannot review a filing for your own group buy."), code="own_filing")


def forbidden() -> PermissionRefused:
    return PermissionRefused(code="forbidden")


def wrong_community() -> PermissionRefused:
    return PermissionRefused(_("This belongs to another community."), code="wrong_community")


def buy_not_ready() -> Conflict:
    return Conflict(
        _("Only a closed or ordered group buy without a filing can be filed."),
        code="buy_not_ready",
    )


def no_purchase_order() -> Conflict:
    return Conflict(_("The group buy has no purchase order yet."), code="no_purchase_order")


def already_filed() -> Conflict:
    return Conflict(_("This group buy already has a delivery filing."), code="already_filed")


def invalid_state() -> Conflict:
    return Conflict(_("This cannot be done in the delivery's current state."), code="invalid_state")


def reason_required() -> ValidationFailed:
    return ValidationFailed(_("Please give a reason."), code="reason_required")


def suspended_now(reason: str) -> Conflict:
    return Conflict(
        _("Deliveries are suspended for that window ({reason}).").format(reason=reason), code="inside_suspension"
    )


def arrival_passed() -> Conflict:
    return Conflict(_("The arrival window has already passed."), code="arrival_in_past")


def slip_already_used(arrived_at: str) -> Conflict:
    return Conflict(
        _("This slip was already used: its goods arrived at {time}. It does not let another vehicle in.").format(
            time=arrived_at
        ),
        code="slip_already_used",
        detail={"arrived_at": arrived_at},
    )


def outside_arrival_window(valid_from: str, valid_until: str) -> Conflict:
    return Conflict(
        _("Arrival can be recorded only while the slip is valid ({start} – {end}).").format(
            start=valid_from, end=valid_until
        ),
        code="outside_arrival_window",
        detail={"valid_from": valid_from, "valid_until": valid_until},
    )


def delivery_on_hold() -> Conflict:
    return Conflict(_("The delivery is on hold while deliveries are suspended."), code="delivery_on_hold")


def release_too_early(earliest: str) -> Conflict:
    return Conflict(
        _("Goods may enter only 30 minutes after disinfection finished (from {time}).").format(time=earliest),
        code="release_too_early",
        detail={"earliest": earliest},
    )


def evidence_required() -> Conflict:
    return Conflict(_("Upload at least one photo or video of the disinfection first."), code="evidence_required")


def weekdays_required() -> ValidationFailed:
    return ValidationFailed(_("Choose at least one weekday."), code="weekdays_required")


def lead_time_out_of_range(max_hours: int) -> ValidationFailed:
    return ValidationFailed(
        _(
            "The lead time must be between 0 and {max} hours: the driver's test must be sampled before filing "
            "and within 24 hours before arrival, so no filing could meet a longer one."
        ).format(max=max_hours),
        code="lead_time_out_of_range",
        detail={"max_hours": max_hours},
    )


def gate_closes_before_opens() -> ValidationFailed:
    return ValidationFailed(_("The gate must close after it opens."), code="gate_closes_before_opens")


def suspension_ends_before_start() -> ValidationFailed:
    return ValidationFailed(
        _("The suspension must end after it starts."), code="suspension_ends_before_start", detail={"field": "ends_at"}
    )


def suspension_already_over() -> ValidationFailed:
    return ValidationFailed(
        _("The suspension would already be over."), code="suspension_already_over", detail={"field": "ends_at"}
    )


def disinfection_time_out_of_range(earliest: str) -> ValidationFailed:
    return ValidationFailed(
        _("Disinfection must finish between {start} (arrival and its first evidence) and now.").format(start=earliest),
        code="disinfection_time_out_of_range",
        detail={"field": "finished_at", "earliest": earliest},
    )


def already_lifted() -> Conflict:
    return Conflict(_("This suspension was already lifted."), code="already_lifted")


def not_found() -> NotFound:
    return NotFound()


def invalid_field(field: str) -> ValidationFailed:
    """A value the form or API should not have sent (too long, unknown key); the field is in `detail`."""
    return ValidationFailed(_("This value is not valid."), code="invalid", detail={"field": field})


def vehicle_plate_invalid() -> ValidationFailed:
    return ValidationFailed(
        _("Enter the vehicle plate, e.g. 沪A12345."), code="invalid_vehicle_plate", detail={"field": "vehicle_plate"}
    )


def driver_name_invalid() -> ValidationFailed:
    return ValidationFailed(_("Enter the driver's name."), code="invalid_driver_name", detail={"field": "driver_name"})


def evidence_file_required() -> ValidationFailed:
    return ValidationFailed(_("Choose a photo or video."), code="evidence_file_required", detail={"field": "file"})
