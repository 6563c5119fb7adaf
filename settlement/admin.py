from django.contrib import admin

from core.admin import ReadOnlyAdminMixin
from settlement.models import (
    Adjustment,
    AfterSalesPhoto,
    AfterSalesReport,
    Donation,
    Handover,
    HandoverLine,
    ItemArrival,
    PayeeAccount,
    Payment,
    PickupCode,
    PriceChange,
    PriceChangeResponse,
    Refund,
)

# Money and hand-over records change only through the services; operators look, they do not edit.


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["entry", "buy", "state", "method", "marked_amount", "paid", "confirmed_at"]
    list_filter = ["state", "method"]
    list_select_related = ["entry", "buy"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["entry", "buy", "amount", "reason", "state", "created_at"]
    list_filter = ["reason", "state"]
    list_select_related = ["entry", "buy"]


class ResponseInline(admin.TabularInline):
    model = PriceChangeResponse
    extra = 0
    can_delete = False
    readonly_fields = ["entry", "choice", "quantity", "amount_delta", "by_default", "created_at"]


@admin.register(PriceChange)
class PriceChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["buy", "item", "old_price", "new_price", "status", "deadline"]
    list_filter = ["status"]
    inlines = [ResponseInline]


@admin.register(ItemArrival)
class ItemArrivalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["buy", "item", "ordered", "arrived", "rule", "recorded_at"]


@admin.register(PickupCode)
class PickupCodeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["entry", "buy", "state", "handed_over_at"]
    list_filter = ["state"]


@admin.register(AfterSalesReport)
class AfterSalesReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["entry", "buy", "kind", "state", "resolution", "created_at"]
    list_filter = ["state", "kind"]


@admin.register(Donation)
class DonationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["buy", "item", "quantity", "amount", "recipient", "state"]
    list_filter = ["state"]


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["entry", "buy", "amount", "reason", "source_key", "created_at"]
    list_filter = ["reason"]
    list_select_related = ["entry", "buy"]


@admin.register(PriceChangeResponse)
class PriceChangeResponseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["change", "entry", "choice", "quantity", "amount_delta", "by_default", "created_at"]
    list_filter = ["choice", "by_default"]
    list_select_related = ["change", "entry"]


@admin.register(HandoverLine)
class HandoverLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pickup", "line", "expected", "handed"]
    list_select_related = ["pickup", "line"]


@admin.register(AfterSalesPhoto)
class AfterSalesPhotoAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["report", "path"]
    list_select_related = ["report"]


@admin.register(PayeeAccount)
class PayeeAccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Set by the leader through settlement.services.payee (the QR goes through the photo pipeline)."""

    list_display = ("owner", "buy", "name", "updated_at")
    raw_id_fields = ("owner", "buy")


@admin.register(Handover)
class HandoverAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Each visit at the hand-out table (settlement.services.distribution): who handed what, and when."""

    list_display = ("pickup", "by", "at")
    raw_id_fields = ("pickup", "by")
