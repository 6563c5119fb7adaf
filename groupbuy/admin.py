"""Admin for operators. Buys, sign-ups and purchase orders are read-only here: their counters and
states change only through the services (conditional UPDATEs), never by editing a row."""

from django.contrib import admin

from groupbuy.models import (
    BuyItem,
    Entry,
    EntryLine,
    GroupBuy,
    Offer,
    OfferPhoto,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
)


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ("name", "community", "contact_name", "is_supply_guaranteed")
    list_filter = ("is_supply_guaranteed", "community")
    search_fields = ("name", "contact_name", "categories")
    raw_id_fields = ("community", "created_by")


class OfferPhotoInline(ReadOnlyMixin, admin.TabularInline):
    model = OfferPhoto
    fields = ("status", "error_code", "position", "created_at")
    readonly_fields = fields
    extra = 0


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ("title", "supplier", "unit", "unit_price", "supplier_cost", "pack_size", "is_active")
    list_filter = ("is_active",)
    search_fields = ("title", "supplier__name")
    raw_id_fields = ("supplier",)
    inlines = [OfferPhotoInline]


class BuyItemInline(ReadOnlyMixin, admin.TabularInline):
    model = BuyItem
    fields = ("offer", "is_main", "unit_price", "supplier_cost", "cap", "total_quantity")
    readonly_fields = fields
    extra = 0


@admin.register(GroupBuy)
class GroupBuyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("title", "community", "leader", "kind", "status", "entry_count", "total_units", "deadline")
    list_filter = ("status", "kind", "community")
    search_fields = ("title",)
    date_hierarchy = "deadline"
    list_select_related = ("community", "leader")
    inlines = [BuyItemInline]


class EntryLineInline(ReadOnlyMixin, admin.TabularInline):
    model = EntryLine
    fields = ("item", "quantity", "tolerance", "allocated")
    readonly_fields = fields
    extra = 0


@admin.register(Entry)
class EntryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("buy", "seq", "household", "status", "units", "amount", "placed_by", "created_at")
    list_filter = ("status",)
    search_fields = ("buy__title",)
    list_select_related = ("buy", "household__building", "placed_by")
    inlines = [EntryLineInline]


class PurchaseOrderLineInline(ReadOnlyMixin, admin.TabularInline):
    model = PurchaseOrderLine
    fields = ("item", "quantity", "packs", "unit_cost", "amount")
    readonly_fields = fields
    extra = 0


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("buy", "total_cost", "total_amount", "created_at")
    list_select_related = ("buy",)
    inlines = [PurchaseOrderLineInline]
