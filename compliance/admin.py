from django.contrib import admin

from compliance.models import (
    AuditEvent,
    AuditHead,
    DeliveryPolicy,
    Evidence,
    Filing,
    FilingDocument,
    FilingLine,
    PendingDocument,
    Slip,
    SupplierQualification,
    Suspension,
    VehiclePass,
)
from core.admin import ReadOnlyAdminMixin


@admin.register(DeliveryPolicy)
class DeliveryPolicyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["community", "weekdays", "lead_hours", "gate_opens", "gate_closes", "updated_at"]
    readonly_fields = ["community", "weekdays", "lead_hours", "gate_opens", "gate_closes", "updated_at", "updated_by"]

    # Changes go through the committee page (policy_update) so they are audited.
    allow_delete = True  # as before: no add or change here, deleting allowed


@admin.register(Suspension)
class SuspensionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["community", "starts_at", "ends_at", "reason", "lifted_at"]
    list_filter = ["community"]


class FilingLineInline(admin.TabularInline):
    model = FilingLine
    extra = 0
    can_delete = False
    readonly_fields = ["item", "title", "unit", "quantity"]


class FilingDocumentInline(admin.TabularInline):
    model = FilingDocument
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "content_type", "uploaded_at"]
    exclude = ["file", "thumbnail"]


@admin.register(Filing)
class FilingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pk", "community", "buy", "status", "arrival_start", "vehicle_plate", "submitted_at"]
    list_filter = ["status", "community"]
    list_select_related = ["community", "buy"]
    inlines = [FilingLineInline, FilingDocumentInline]
    allow_delete = True  # as before: no add or change here, deleting allowed


@admin.register(Slip)
class SlipAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["filing", "community", "valid_from", "valid_until", "issued_at"]
    exclude = ["code"]  # a bearer secret
    allow_delete = True  # as before: no add or change here, deleting allowed


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pk", "filing", "kind", "status", "created_at"]
    exclude = ["source", "file", "thumbnail"]
    allow_delete = True  # as before: no add or change here, deleting allowed


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the audit trail is append-only."""

    list_display = ["community", "seq", "created_at", "kind", "actor_label", "subject"]
    list_filter = ["kind", "community"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]


# Filing parts and the chain heads change only through the services (the heads under a row lock).
@admin.register(FilingLine)
class FilingLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["filing", "item", "title", "unit", "quantity"]
    list_select_related = ["filing"]


@admin.register(FilingDocument)
class FilingDocumentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["filing", "kind", "content_type", "uploaded_at"]
    list_filter = ["kind"]
    exclude = ["file", "thumbnail"]
    list_select_related = ["filing"]


@admin.register(AuditHead)
class AuditHeadAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["community", "seq", "last_hash"]
    list_select_related = ["community"]


@admin.register(PendingDocument)
class PendingDocumentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Uploads kept across a refused filing (compliance.services.pending); swept after a day."""

    list_display = ("buy", "user", "kind", "uploaded_at")
    raw_id_fields = ("buy", "user")


@admin.register(SupplierQualification)
class SupplierQualificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """One per supplier, reused by later filings while valid (compliance.services.qualifications)."""

    list_display = ("supplier", "expires_on", "uploaded_at")
    raw_id_fields = ("supplier", "uploaded_by")


@admin.register(VehiclePass)
class VehiclePassAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("vehicle_plate", "community", "expires_on", "uploaded_at")
    raw_id_fields = ("community", "uploaded_by")
