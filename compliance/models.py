"""Delivery policy, filings (报备), approval slips (批条), disinfection evidence and the audit trail.

The delivery state itself lives on GroupBuy.status (ordered → filed → approved →
arrived → disinfected → released, on_hold during a suspension); a Filing holds
the review outcome and the timestamps of each step.
"""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Community
from groupbuy.models import BuyItem, GroupBuy, Supplier

# The driver's nucleic-acid test is sampled no later than the filing and at most 24 h before arrival
# (compliance.services.policy.TEST_REPORT_MAX_AGE), so arrival - filing <= 24 h, with equality only for a test
# sampled at the very second of filing: the longest lead time a filing can really meet is 23 h.
MAX_LEAD_HOURS = 23

WEEKDAY_NAMES = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


class DeliveryPolicy(models.Model):
    """The committee's rules for group-buy deliveries entering the compound.

    The row is also the per-community lock that serialises policy decisions
    (filing, approval, suspension), so a suspension cannot slip between a
    check and an approval.
    """

    community = models.OneToOneField(Community, on_delete=models.CASCADE, related_name="delivery_policy")
    # Digits 0 (Monday) … 6 (Sunday) on which deliveries may enter, e.g. "024" = Mon/Wed/Fri.
    weekdays = models.CharField(_("delivery weekdays"), max_length=7, default="0123456")
    # Hours from submission to the start of the arrival window. At most MAX_LEAD_HOURS: the driver's test must be
    # sampled before filing and within 24 h of arrival, so a longer lead time is a policy no filing can meet.
    lead_hours = models.PositiveSmallIntegerField(
        _("filing lead time (hours)"),
        default=12,
        help_text=_("File at least this many hours before the arrival window starts."),
    )
    gate_opens = models.TimeField(_("gate opens"), default=time(7, 0))
    gate_closes = models.TimeField(_("gate closes"), default=time(19, 0))
    # Whether a buy's public short link (/s/<token>/) shows the buy to visitors who are not logged in.
    public_previews = models.BooleanField(_("public previews of shared buys"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = _("delivery policy")
        verbose_name_plural = _("delivery policies")
        constraints = [
            models.CheckConstraint(condition=Q(gate_closes__gt=F("gate_opens")), name="policy_gate_hours_order"),
            models.CheckConstraint(condition=Q(lead_hours__lte=MAX_LEAD_HOURS), name="policy_lead_time_meetable"),
        ]

    def __str__(self) -> str:
        return f"policy of {self.community_id}"

    @property
    def weekday_set(self) -> set[int]:
        return {int(c) for c in self.weekdays if c.isdigit()}

    @property
    def weekday_labels(self) -> list[str]:
        return [str(WEEKDAY_NAMES[d]) for d in sorted(self.weekday_set)]


class Suspension(models.Model):
    """ "No group-buy deliveries from … to …" (e.g. after an infection)."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="suspensions")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=300)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set (compare-and-swap) by the beat sweep that releases what a suspension held once it ran out unlifted.
    expired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("suspension")
        verbose_name_plural = _("suspensions")
        ordering = ["-starts_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="suspension_order")]
        indexes = [
            models.Index(fields=["community", "ends_at"]),
            # The expiry sweep reads suspensions still running (neither lifted nor expired), not the history.
            models.Index(
                fields=["ends_at"],
                condition=Q(lifted_at__isnull=True, expired_at__isnull=True),
                name="suspension_running",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} – {self.ends_at:%Y-%m-%d %H:%M}"


class FilingStatus(models.TextChoices):
    SUBMITTED = "submitted", _("waiting for review")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    ON_HOLD = "on_hold", _("on hold (deliveries suspended)")


class Filing(models.Model):
    """A delivery filing (报备): one delivery of one buy to one gate."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="filings")
    buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="filings")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=FilingStatus.choices, default=FilingStatus.SUBMITTED)
    revision = models.PositiveIntegerField(default=1)  # +1 on each resubmission
    gate = models.CharField(_("gate"), max_length=60)
    arrival_start = models.DateTimeField(_("arrival from"))
    arrival_end = models.DateTimeField(_("arrival until"))
    vehicle_plate = models.CharField(_("vehicle plate"), max_length=20)
    driver_name = models.CharField(_("driver name"), max_length=40)
    test_sampled_at = models.DateTimeField(_("driver's test sampled at"))
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField()  # last (re)submission: the queue's order
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reject_reason = models.CharField(_("reason"), max_length=300, blank=True)
    held_by = models.ForeignKey(Suspension, null=True, blank=True, on_delete=models.SET_NULL, related_name="held")
    arrived_at = models.DateTimeField(null=True, blank=True)
    arrived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    receivers = models.CharField(_("received by"), max_length=200, blank=True)
    disinfected_at = models.DateTimeField(null=True, blank=True)  # when disinfection finished
    disinfected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("delivery filing")
        verbose_name_plural = _("delivery filings")
        ordering = ["submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["buy"], name="filing_one_per_buy"),
            models.CheckConstraint(condition=Q(arrival_end__gt=F("arrival_start")), name="filing_window_order"),
        ]
        indexes = [
            models.Index(fields=["community", "status", "submitted_at"]),
            # The reminder sweep reads submitted filings arriving within a day, not every filing ever approved.
            models.Index(fields=["arrival_start"], condition=Q(status="submitted"), name="filing_submitted_arrival"),
        ]

    def __str__(self) -> str:
        return f"filing {self.pk} for buy {self.buy_id}"


class FilingLine(models.Model):
    """Goods on the filing, copied from the buy's purchase order at (re)submission."""

    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(BuyItem, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=120)
    unit = models.CharField(max_length=10)
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.title} x{self.quantity}"


class DocumentKind(models.TextChoices):
    QUALIFICATION = "qualification", _("supply-guarantee qualification (保供企业资质)")
    VEHICLE_PASS = "vehicle_pass", _("vehicle delivery pass (运输车辆配送证明)")
    TEST_REPORT = "test_report", _("driver's nucleic-acid test report")


class FilingDocument(models.Model):
    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    file = models.FileField(max_length=200)
    thumbnail = models.FileField(max_length=200, blank=True)
    content_type = models.CharField(max_length=40)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["filing_id", "kind"]
        constraints = [models.UniqueConstraint(fields=["filing", "kind"], name="document_one_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind} of filing {self.filing_id}"

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf"


class PendingDocument(models.Model):
    """A filing document uploaded on a form that was then refused: kept for the next submit of the same person
    for the same buy (one per kind; a new upload replaces it), so a refusal never asks for the files again.

    Used (its file handed to the filing's document) by a successful submit; removed with its file by the
    compliance sweep when abandoned (compliance.services.pending.PENDING_DOCUMENT_TTL).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    file = models.FileField(max_length=200)
    content_type = models.CharField(max_length=40)
    original_name = models.CharField(max_length=120, blank=True)  # shown back to its uploader only
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "buy", "kind"], name="pending_document_one_per_kind")]
        indexes = [models.Index(fields=["uploaded_at"])]

    def __str__(self) -> str:
        return f"pending {self.kind} of buy {self.buy_id} by {self.user_id}"


class SupplierQualification(models.Model):
    """A supplier's supply-guarantee qualification (保供企业资质), stored once and reused by every filing of
    its buys until it expires; a new upload replaces it."""

    supplier = models.OneToOneField(Supplier, on_delete=models.CASCADE, related_name="qualification")
    file = models.FileField(max_length=200)
    content_type = models.CharField(max_length=40)
    expires_on = models.DateField(_("valid until"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("supplier qualification")
        verbose_name_plural = _("supplier qualifications")
        indexes = [models.Index(fields=["expires_on"])]

    def __str__(self) -> str:
        return f"qualification of supplier {self.supplier_id} until {self.expires_on}"


class VehiclePass(models.Model):
    """A vehicle's delivery pass (运输车辆配送证明), stored once per plate in a community with an expiry date and
    reused by later filings naming that plate; a new upload replaces it."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    vehicle_plate = models.CharField(_("vehicle plate"), max_length=20)  # as filings store it (no spaces, upper)
    file = models.FileField(max_length=200)
    content_type = models.CharField(max_length=40)
    expires_on = models.DateField(_("valid until"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("vehicle pass")
        verbose_name_plural = _("vehicle passes")
        constraints = [
            models.UniqueConstraint(fields=["community", "vehicle_plate"], name="vehicle_pass_one_per_plate")
        ]

    def __str__(self) -> str:
        return f"pass of {self.vehicle_plate} until {self.expires_on}"


class Slip(models.Model):
    """An approval slip (批条). Only the server's answer for its code counts."""

    filing = models.OneToOneField(Filing, on_delete=models.CASCADE, related_name="slip")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=16, unique=True)
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Set (compare-and-swap) when the goods are recorded as arrived: one slip lets one vehicle in, once.
    consumed_at = models.DateTimeField(null=True, blank=True)
    consumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("approval slip")
        verbose_name_plural = _("approval slips")

    def __str__(self) -> str:
        return self.display_code

    @property
    def display_code(self) -> str:
        return f"{self.code[:4]}-{self.code[4:]}"


class EvidenceKind(models.TextChoices):
    PHOTO = "photo", _("photo")
    VIDEO = "video", _("video")


class EvidenceStatus(models.TextChoices):
    PENDING = "pending", _("processing")
    READY = "ready", _("ready")
    FAILED = "failed", _("could not be processed")


class Evidence(models.Model):
    """A disinfection photo or short video. Photos are re-encoded by a task after commit."""

    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(max_length=10, choices=EvidenceKind.choices)
    status = models.CharField(max_length=10, choices=EvidenceStatus.choices, default=EvidenceStatus.PENDING)
    source = models.FileField(max_length=200, blank=True)  # raw photo until processed
    file = models.FileField(max_length=200, blank=True)
    thumbnail = models.FileField(max_length=200, blank=True)
    content_type = models.CharField(max_length=40, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Set by evidence_add from its clock: disinfection cannot be recorded as finished before its evidence.
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("disinfection evidence")
        verbose_name_plural = _("disinfection evidence")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} of filing {self.filing_id}"


class AppendOnlyError(Exception):
    pass


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit events are append-only")

    def delete(self):
        raise AppendOnlyError("audit events are append-only")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("audit events are append-only")


class AuditEvent(models.Model):
    """One compliance event. Each row carries the hash of the previous row of its
    community's chain; the hash covers a canonical serialization of the row.

    Rows are never updated or deleted: the model and queryset refuse it, and on
    PostgreSQL a trigger refuses UPDATE/DELETE at the database.
    """

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    kind = models.CharField(max_length=40)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=80, blank=True)
    subject = models.CharField(max_length=60, blank=True)  # e.g. "filing:12"
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["community_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["community", "seq"], name="audit_unique_seq")]

    def __str__(self) -> str:
        return f"{self.community_id}#{self.seq} {self.kind}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events are append-only")


class AuditHead(models.Model):
    """The head of one community's chain; locked (FOR UPDATE) for each append so the chain stays linear."""

    community = models.OneToOneField(Community, on_delete=models.PROTECT, primary_key=True, related_name="+")
    seq = models.PositiveIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"head {self.community_id}#{self.seq}"
