"""The audit trail in words (issue 16, item 7), in the reader's language.

A record stores a kind ("slip_refused"), a subject ("filing:1") and its data, and is hashed as stored: its words
are made when it is read, as a notice's are (accounts.notifications). Each kind that `audit_append` is called
with registers one sentence here, with {named} placeholders filled from the record's data and from what is
worked out below (an arrival window, a gate result, the policy fields that changed); {subject} is what the
record is about, as a link ("filing #1 “Vegetable box”"). The CSV export keeps the codes; the page shows the
code small beside the sentence. tests/compliance/test_audit_words.py fails when a kind has no sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from compliance.models import WEEKDAY_NAMES, AuditEvent, DeliveryPolicy, EvidenceKind

# kind -> sentence; kind -> sentence for a record without a subject (a code that matched no slip).
SENTENCES: dict[str, Any] = {}
WITHOUT_SUBJECT: dict[str, Any] = {}


def register(kind: str, message: Any, *, without_subject: Any = None) -> None:
    """Register `kind`'s sentence (and the one used when its record has no subject)."""
    SENTENCES[kind] = message
    if without_subject is not None:
        WITHOUT_SUBJECT[kind] = without_subject


# Filings (compliance.services.filings, review, delivery).
register("filing_submitted", _("Filed {subject}: arriving {arrival} at {gate}, vehicle {vehicle_plate}."))
register(
    "filing_resubmitted",
    _("Resubmitted {subject} (revision {revision}): arriving {arrival} at {gate}, vehicle {vehicle_plate}."),
)
register("filing_approved", _("Approved {subject}; its slip is valid {valid}."))
register("filing_rejected", _("Rejected {subject}: {reason}"))
register("filing_goods_changed", _("Sent {subject} back for re-filing: its goods changed after it was filed."))
register("goods_arrived", _("Recorded the goods of {subject} as arrived at the gate."))
register("evidence_added", _("Added a disinfection {evidence} to {subject}."))
register("disinfection_finished", _("Recorded the disinfection of {subject} as finished at {finished_at}."))
register("goods_released", _("Released the goods of {subject} into the compound."))
# The gate (compliance.services.gate).
register("slip_verified", _("Let a delivery in at the gate: the slip of {subject} is valid."))
register(
    "slip_refused",
    _("Refused the slip of {subject} at the gate: {result}."),
    without_subject=_("Refused a code at the gate: {result}."),
)
# The committee's policy and suspensions (compliance.services.policy).
register("policy_changed", _("Changed {subject}: {changes}."))
register("suspension_placed", _("Suspended deliveries {window} ({subject}): {reason}. Deliveries put on hold: {held}."))
register(
    "suspension_lifted",
    _(
        "Lifted {subject}. Held deliveries: {restored} approved again, {still_held} still on hold, "
        "{window_passed} to be re-filed."
    ),
)
register(
    "suspension_expired",
    _(
        "Ended {subject} at its planned time. Held deliveries: {restored} approved again, {still_held} still on hold, "
        "{window_passed} to be re-filed."
    ),
)

# What a gate check answered, short enough for a sentence (the guard's page says more: services.gate).
GATE_RESULTS: dict[str, Any] = {
    "valid": _("valid"),
    "invalid": _("no such slip"),
    "expired": _("expired"),
    "not_yet_valid": _("not yet valid"),
    "on_hold": _("on hold"),
    "already_used": _("already used"),
}

# What audit_chain_verify reports, in words.
CHAIN_PROBLEMS: dict[str, Any] = {
    "missing_records": _("records are missing before this one"),
    "broken_link": _("it does not link to the record before it"),
    "content_changed": _("its content was changed"),
    "tail_mismatch": _("the newest records were removed"),
}


def chain_problem_text(problem: str) -> str:
    return str(CHAIN_PROBLEMS.get(problem, problem))


def subject_parts(subject: str) -> tuple[str, int | None]:
    """ "filing:12" -> ("filing", 12); anything else -> (subject, None)."""
    kind, _sep, pk = (subject or "").partition(":")
    return (kind, int(pk)) if pk.isdigit() else (subject or "", None)


def subject_html(subject: str, *, community_id: int, titles: Mapping[int, str]) -> SafeString:
    """What a record is about, as a link: 报备 #1《title》 (titles: filing id -> its buy's title)."""
    kind, pk = subject_parts(subject)
    if kind == "filing" and pk is not None:
        title = titles.get(pk)
        if title:
            label = gettext("filing #%(id)s “%(title)s”") % {"id": pk, "title": title}
        else:  # a filing of another community, or gone
            label = gettext("filing #%(id)s") % {"id": pk}
        return format_html('<a href="{}">{}</a>', reverse("compliance:filing_detail", kwargs={"pk": pk}), label)
    if kind == "suspension" and pk is not None:
        url = reverse("compliance:suspensions", kwargs={"community_id": community_id})
        return format_html('<a href="{}">{}</a>', url, gettext("suspension #%(id)s") % {"id": pk})
    if kind == "policy":
        url = reverse("compliance:policy", kwargs={"community_id": community_id})
        return format_html('<a href="{}">{}</a>', url, gettext("the delivery policy"))
    return conditional_escape(subject)


def _when(value: Any) -> datetime | None:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    return timezone.localtime(parsed) if parsed is not None and timezone.is_aware(parsed) else None


def _time(value: Any) -> str:
    when = _when(value)
    return dateformat.format(when, "m-d H:i") if when else str(value)


def _window(start: Any, end: Any) -> str:
    """ "11-25 10:00–12:00", or "11-25 10:00 – 11-26 08:00" across midnight."""
    a, b = _when(start), _when(end)
    if a is None or b is None:
        return f"{_time(start)} – {_time(end)}"
    if a.date() == b.date():
        return f"{dateformat.format(a, 'm-d H:i')}–{dateformat.format(b, 'H:i')}"
    return f"{dateformat.format(a, 'm-d H:i')} – {dateformat.format(b, 'm-d H:i')}"


def _policy_value(field: str, value: Any) -> str:
    if value is None:
        return "—"
    if field == "weekdays":
        days = sorted({int(c) for c in str(value) if c.isdigit() and int(c) < len(WEEKDAY_NAMES)})
        return ", ".join(str(WEEKDAY_NAMES[d]) for d in days) or "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    return str(value)


def _policy_changes(before: Any, after: Any) -> str:
    """ "gate opens: 07:00 → 08:00; …" for each field whose value changed."""
    before, after = before or {}, after or {}
    changes = []
    for field in sorted(set(before) | set(after)):
        if before.get(field) == after.get(field):
            continue
        try:
            label = str(DeliveryPolicy._meta.get_field(field).verbose_name)
        except FieldDoesNotExist:  # a field recorded by an older version
            label = field
        changes.append(f"{label}: {_policy_value(field, before.get(field))} → {_policy_value(field, after.get(field))}")
    return "; ".join(changes) or gettext("nothing changed")


def _params(event: AuditEvent) -> dict[str, Any]:
    """The record's data as text (times in the site's time zone), plus the values its sentences read."""
    data = event.data if isinstance(event.data, dict) else {}
    params: dict[str, Any] = {
        key: _time(value) if _when(value) else value
        for key, value in data.items()
        if isinstance(value, str | int | float) and not isinstance(value, bool)
    }
    for name, start, end in (
        ("arrival", "arrival_start", "arrival_end"),
        ("valid", "valid_from", "valid_until"),
        ("window", "starts_at", "ends_at"),
    ):
        if start in data and end in data:
            params[name] = _window(data[start], data[end])
    if "result" in data:
        params["result"] = GATE_RESULTS.get(data["result"], data["result"])
    if "kind" in data:
        params["evidence"] = dict(EvidenceKind.choices).get(data["kind"], data["kind"])
    if "before" in data or "after" in data:
        params["changes"] = _policy_changes(data.get("before"), data.get("after"))
    for name, key in (
        ("held", "held_filings"),
        ("restored", "restored_filings"),
        ("still_held", "still_held_filings"),
        ("window_passed", "window_passed_filings"),
    ):
        if isinstance(data.get(key), list):
            params[name] = len(data[key])
    return params


class _Blank(dict):
    """A placeholder the record's data lacks (an older record) reads as a dash rather than failing."""

    def __missing__(self, key: str) -> str:
        return "—"


def audit_sentence(event: AuditEvent, *, subject: SafeString) -> SafeString | None:
    """The record in words, or None for a kind with no sentence (the page then shows only its code)."""
    message = (WITHOUT_SUBJECT.get(event.kind) if not event.subject else None) or SENTENCES.get(event.kind)
    if message is None:
        return None
    values = _Blank({k: conditional_escape(v) for k, v in _params(event).items()})
    values["subject"] = subject
    try:
        # The sentence is our translated text; every value in it was escaped above.
        return mark_safe(str(message).format_map(values))
    except (IndexError, ValueError):  # a translation with a broken placeholder: show the code instead
        return None
