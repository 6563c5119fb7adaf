"""Delivery policy, the filing rules it implies, and suspensions (which hold and restore deliveries)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Community, User
from accounts.notifications import notification_send
from accounts.permissions import Action, require
from compliance import exceptions as errors
from compliance.models import MAX_LEAD_HOURS, DeliveryPolicy, Filing, FilingStatus, Suspension
from compliance.notifications import filing_link
from compliance.selectors import suspension_overlapping_list
from compliance.services.audit import audit_append
from groupbuy.models import BuyStatus
from groupbuy.services.transitions import buy_transition

TEST_REPORT_MAX_AGE = timedelta(hours=24)
assert timedelta(hours=MAX_LEAD_HOURS) < TEST_REPORT_MAX_AGE  # else a policy could ask for the impossible

# Sent when a suspension ends (lifted or run out) after the held delivery's arrival window: see _release_held.


def local(dt: datetime) -> datetime:
    return timezone.localtime(dt, timezone.get_default_timezone())


def policy_lock(*, community_id: int) -> DeliveryPolicy:
    """Lock (creating if needed) the community's policy row: serialises filing, review and suspension decisions.

    Call inside a transaction, before locking any filing.
    """
    DeliveryPolicy.objects.bulk_create([DeliveryPolicy(community_id=community_id)], ignore_conflicts=True)
    return DeliveryPolicy.objects.select_for_update().get(community_id=community_id)


def filing_rule_violations(
    *,
    policy: DeliveryPolicy,
    arrival_start: datetime,
    arrival_end: datetime,
    test_sampled_at: datetime,
    now: datetime,
) -> list[dict[str, str]]:
    """Every policy rule the proposed delivery breaks, as [{"code", "message"}]; empty when it may be filed."""
    out: list[dict[str, str]] = []
    if arrival_end <= arrival_start:
        return [errors.rule_violation("invalid_window")]
    if arrival_start <= now:
        out.append(errors.rule_violation("arrival_in_past"))
    start, end = local(arrival_start), local(arrival_end)
    if start.weekday() not in policy.weekday_set:
        out.append(errors.rule_violation("weekday_not_allowed", weekdays=", ".join(policy.weekday_labels) or "—"))
    if start.date() != end.date() or start.time() < policy.gate_opens or end.time() > policy.gate_closes:
        out.append(
            errors.rule_violation(
                "outside_gate_hours",
                opens=policy.gate_opens.strftime("%H:%M"),
                closes=policy.gate_closes.strftime("%H:%M"),
            )
        )
    suspension = suspension_overlapping_list(
        community_id=policy.community_id, start=arrival_start, end=arrival_end
    ).first()
    if suspension is not None:
        out.append(errors.rule_violation("inside_suspension", reason=suspension.reason))
    # Counted in hours from this (re)submission to the window's start, not in calendar days.
    if arrival_start - now < timedelta(hours=policy.lead_hours):
        out.append(errors.rule_violation("lead_time_too_short", hours=policy.lead_hours))
    if test_sampled_at > now:
        out.append(errors.rule_violation("test_report_in_future"))
    elif test_sampled_at > arrival_start or arrival_start - test_sampled_at > TEST_REPORT_MAX_AGE:
        out.append(errors.rule_violation("test_report_stale"))
    return out


def _policy_snapshot(policy: DeliveryPolicy) -> dict[str, Any]:
    return {
        "weekdays": policy.weekdays,
        "lead_hours": policy.lead_hours,
        "gate_opens": policy.gate_opens.strftime("%H:%M"),
        "gate_closes": policy.gate_closes.strftime("%H:%M"),
        "public_previews": policy.public_previews,
    }


def policy_update(
    *,
    actor: User,
    community: Community,
    weekdays: list[int] | set[int],
    lead_hours: int,
    gate_opens: time,
    gate_closes: time,
    public_previews: bool | None = None,
) -> DeliveryPolicy:
    """Set the community's delivery policy. It applies to filings made from now on.

    A lead time over MAX_LEAD_HOURS is refused: the driver's test is sampled no later than the filing and at
    most TEST_REPORT_MAX_AGE before arrival, so no filing could meet it. `public_previews` (None: unchanged)
    turns on or off the public preview of shared buys' short links.
    """
    require(actor, Action.EDIT_POLICY, community)
    days = sorted({int(d) for d in weekdays})
    if not days or any(d < 0 or d > 6 for d in days):
        raise errors.weekdays_required()
    if not 0 <= int(lead_hours) <= MAX_LEAD_HOURS:
        raise errors.lead_time_out_of_range(MAX_LEAD_HOURS)
    if gate_closes <= gate_opens:
        raise errors.gate_closes_before_opens()
    with transaction.atomic():
        policy = policy_lock(community_id=community.pk)
        before = _policy_snapshot(policy)
        policy.weekdays = "".join(str(d) for d in days)
        policy.lead_hours = int(lead_hours)
        policy.gate_opens = gate_opens
        policy.gate_closes = gate_closes
        if public_previews is not None:
            policy.public_previews = bool(public_previews)
        policy.updated_by = actor
        policy.save()
        audit_append(
            community_id=community.pk,
            kind="policy_changed",
            actor=actor,
            subject=f"policy:{community.pk}",
            data={"before": before, "after": _policy_snapshot(policy)},
        )
    return policy


def _notify_leader(filing: Filing, kind: str, dedupe_key: str, **params: Any) -> None:
    notification_send(
        user_ids=[filing.buy.leader_id],
        kind=kind,
        dedupe_key=dedupe_key,
        params={"title": filing.buy.title, **params},
        link=filing_link(filing.pk),
        community_id=filing.community_id,
    )


def suspension_create(
    *,
    actor: User,
    community: Community,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    now: datetime | None = None,
) -> Suspension:
    """Suspend deliveries; every approved delivery whose window overlaps goes on hold and its leader is told."""
    require(actor, Action.EDIT_POLICY, community)
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise errors.reason_required()
    if len(reason) > 300:
        raise errors.invalid_field("reason")
    if ends_at <= starts_at:
        raise errors.suspension_ends_before_start()
    if ends_at <= now:
        raise errors.suspension_already_over()
    with transaction.atomic():
        policy_lock(community_id=community.pk)
        suspension = Suspension.objects.create(
            community=community, starts_at=starts_at, ends_at=ends_at, reason=reason, created_by=actor
        )
        affected = list(
            Filing.objects.select_for_update(of=("self",))
            .select_related("buy")
            .filter(
                community=community,
                status=FilingStatus.APPROVED,
                arrival_start__lt=ends_at,
                arrival_end__gt=starts_at,
            )
            .order_by("pk")
        )
        held = []
        for filing in affected:
            # Goods already at the gate are not held back; only deliveries still to come.
            if not buy_transition(buy_id=filing.buy_id, from_states=[BuyStatus.APPROVED], to_state=BuyStatus.ON_HOLD):
                continue
            Filing.objects.filter(pk=filing.pk, status=FilingStatus.APPROVED).update(
                status=FilingStatus.ON_HOLD, held_by=suspension
            )
            held.append(filing)
            _notify_leader(filing, "delivery_on_hold", f"suspension:{suspension.pk}:hold:{filing.pk}", reason=reason)
        audit_append(
            community_id=community.pk,
            kind="suspension_placed",
            actor=actor,
            subject=f"suspension:{suspension.pk}",
            data={
                "starts_at": starts_at,
                "ends_at": ends_at,
                "reason": reason,
                "held_filings": [f.pk for f in held],
            },
            now=now,
        )
    return suspension


def _release_held(*, suspension: Suspension, now: datetime) -> dict[str, list[int]]:
    """Release the deliveries `suspension` held, now that it no longer applies (lifted, or run out).

    Call inside the transaction that holds the community's policy lock and that has already marked the
    suspension lifted or expired (compare-and-swap), so each suspension is released exactly once. Filings are
    locked in pk order; each buy moves by compare-and-swap. For each held filing, in this order:

    - Its arrival window has passed (`arrival_end <= now`): it stays on hold (still pointing at this
      suspension, so its page says why) and the leader is told to re-file. Restoring it would amount to
      approving a delivery whose window is over, which `filing_approve` refuses (`arrival_in_past`); its slip
      would only read "expired" at the gate anyway. A held filing may be fixed and resubmitted
      (`filing_resubmit` accepts on_hold): the leader's existing path to a new day. For a
      suspension that runs out this is the usual case: it can only have held windows that began before it
      ended, so only a window still open when it ends can be restored.
    - Another suspension still in force (not lifted, not yet over) covers its window: it moves to that one
      and stays on hold; that suspension releases it in turn. One already over is not used: it is released
      (or about to be) and would never release the filing again.
    - Otherwise it is approved again (its slip works again) and the leader is told.

    Notices are deduplicated per suspension and filing, so a repeat sends nothing twice.
    Returns the filing ids by outcome, for the audit record.
    """
    held = list(
        Filing.objects.select_for_update(of=("self",))
        .select_related("buy")
        .filter(held_by=suspension, status=FilingStatus.ON_HOLD)
        .order_by("pk")
    )
    restored, still_held, window_passed = [], [], []
    for filing in held:
        if filing.arrival_end <= now:
            window_passed.append(filing.pk)
            _notify_leader(filing, "delivery_refile", f"suspension:{suspension.pk}:refile:{filing.pk}")
            continue
        other = (
            suspension_overlapping_list(
                community_id=filing.community_id, start=filing.arrival_start, end=filing.arrival_end
            )
            .exclude(pk=suspension.pk)
            .filter(ends_at__gt=now, expired_at__isnull=True)
            .first()
        )
        if other is not None:
            Filing.objects.filter(pk=filing.pk).update(held_by=other)
            still_held.append(filing.pk)
            continue
        buy_transition(buy_id=filing.buy_id, from_states=[BuyStatus.ON_HOLD], to_state=BuyStatus.APPROVED)
        Filing.objects.filter(pk=filing.pk, status=FilingStatus.ON_HOLD).update(
            status=FilingStatus.APPROVED, held_by=None
        )
        restored.append(filing.pk)
        _notify_leader(filing, "delivery_restored", f"suspension:{suspension.pk}:restore:{filing.pk}")
    return {"restored_filings": restored, "still_held_filings": still_held, "window_passed_filings": window_passed}


def suspension_lift(*, actor: User, suspension: Suspension, now: datetime | None = None) -> Suspension:
    """Lift a suspension early; deliveries it held are released (see _release_held).

    A suspension already lifted, or already run out and released by the sweep, is refused (`already_lifted`).
    """
    require(actor, Action.EDIT_POLICY, suspension.community_id)
    now = now or timezone.now()
    with transaction.atomic():
        policy_lock(community_id=suspension.community_id)
        if not Suspension.objects.filter(pk=suspension.pk, lifted_at__isnull=True, expired_at__isnull=True).update(
            lifted_at=now, lifted_by=actor
        ):
            raise errors.already_lifted()
        audit_append(
            community_id=suspension.community_id,
            kind="suspension_lifted",
            actor=actor,
            subject=f"suspension:{suspension.pk}",
            data=_release_held(suspension=suspension, now=now),
            now=now,
        )
    suspension.refresh_from_db()
    return suspension


def suspensions_expire(*, now: datetime | None = None) -> int:
    """Beat sweep: release what each suspension that ran out (`ends_at <= now`) without being lifted held.

    Each suspension is handled in its own short transaction under its community's policy lock (the lock
    `suspension_lift` takes), and is claimed by a compare-and-swap on `expired_at`: a second beat, a
    redelivered task or a concurrent lift finds nothing to claim and changes nothing. The audit record
    ("suspension_expired", no actor) carries the same data as a lift's. Returns the suspensions released.
    """
    now = now or timezone.now()
    due = list(
        Suspension.objects.filter(ends_at__lte=now, lifted_at__isnull=True, expired_at__isnull=True)
        .order_by("ends_at", "pk")
        .values_list("pk", "community_id")
    )
    released = 0
    for suspension_id, community_id in due:
        with transaction.atomic():
            policy_lock(community_id=community_id)
            if not Suspension.objects.filter(
                pk=suspension_id, ends_at__lte=now, lifted_at__isnull=True, expired_at__isnull=True
            ).update(expired_at=now):
                continue  # lifted, or released by another sweep, while we waited for the lock
            suspension = Suspension.objects.get(pk=suspension_id)
            audit_append(
                community_id=community_id,
                kind="suspension_expired",
                subject=f"suspension:{suspension_id}",
                data=_release_held(suspension=suspension, now=now),
                now=now,
            )
        released += 1
    return released
