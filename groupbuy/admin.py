"""Admin for operators. Buys, sign-ups, pools and purchase orders are read-only here: their counters and
states change only through the services (conditional UPDATEs), never by editing a row."""

from django.contrib import admin

from core.admin import ReadOnlyAdminMixin
from groupbuy.models import (
    BuyItem,
    DuplicateBuyNotice,
    Entry,
    EntryLine,
    GroupBuy,
    Offer,
    OfferPhoto,
    Pool,
    PoolInvitation,
    PoolMember,
    PurchaseOrder,
    PurchaseOrderLine,
    ShareLink,
    Supplier,
)


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ("name", "community", "contact_name", "is_supply_guaranteed")
    list_filter = ("is_supply_guaranteed", "community")
    search_fields = ("name", "contact_name", "categories")
    raw_id_fields = ("community", "created_by")


class OfferPhotoInline(ReadOnlyAdminMixin, admin.TabularInline):
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


class BuyItemInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = BuyItem
    fields = ("offer", "is_main", "unit_price", "supplier_cost", "cap", "total_quantity")
    readonly_fields = fields
    extra = 0


@admin.register(GroupBuy)
class GroupBuyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("title", "community", "leader", "kind", "status", "entry_count", "total_units", "deadline")
    list_filter = ("status", "kind", "community")
    search_fields = ("title",)
    date_hierarchy = "deadline"
    list_select_related = ("community", "leader")
    inlines = [BuyItemInline]


class EntryLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = EntryLine
    fields = ("item", "quantity", "tolerance", "allocated")
    readonly_fields = fields
    extra = 0


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("buy", "seq", "household", "status", "units", "amount", "placed_by", "created_at")
    list_filter = ("status",)
    search_fields = ("buy__title",)
    list_select_related = ("buy", "household__building", "placed_by")
    inlines = [EntryLineInline]


class PurchaseOrderLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PurchaseOrderLine
    fields = ("item", "quantity", "packs", "unit_cost", "amount")
    readonly_fields = fields
    extra = 0


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("buy", "total_cost", "total_amount", "created_at")
    list_select_related = ("buy",)
    inlines = [PurchaseOrderLineInline]


class PoolMemberInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PoolMember
    fields = ("buy", "community", "status", "is_helper", "added_by", "joined_at", "left_at")
    readonly_fields = fields
    extra = 0


class PoolInvitationInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PoolInvitation
    fields = ("community", "invited_by", "created_at")
    readonly_fields = fields
    extra = 0


@admin.register(Pool)
class PoolAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "__str__",
        "host_buy",
        "status",
        "moq_kind",
        "moq",
        "main_units",
        "total_amount",
        "member_count",
        "deadline",
    )
    list_filter = ("status", "moq_kind")
    search_fields = ("host_buy__title",)
    date_hierarchy = "deadline"
    list_select_related = ("host_buy",)
    inlines = [PoolMemberInline, PoolInvitationInline]


@admin.register(PoolMember)
class PoolMemberAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("pool", "buy", "community", "status", "is_helper", "joined_at", "left_at")
    list_filter = ("status", "is_helper")
    search_fields = ("buy__title", "community__name")
    list_select_related = ("pool", "buy", "community")


@admin.register(PoolInvitation)
class PoolInvitationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("pool", "community", "invited_by", "created_at")
    search_fields = ("community__name",)
    list_select_related = ("pool", "community", "invited_by")


@admin.register(DuplicateBuyNotice)
class DuplicateBuyNoticeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("buy", "other_buy", "community", "opened_by", "reason", "created_at")
    list_filter = ("reason",)
    search_fields = ("buy__title", "other_buy__title", "community__name")
    list_select_related = ("buy", "other_buy", "community", "opened_by")


# Rows otherwise shown only inline, registered on their own so operators can search across buys.
@admin.register(OfferPhoto)
class OfferPhotoAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("offer", "status", "error_code", "position", "created_at")
    list_filter = ("status",)
    list_select_related = ("offer",)
    exclude = ("source", "image", "thumbnail")


@admin.register(BuyItem)
class BuyItemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("buy", "offer", "is_main", "unit_price", "supplier_cost", "cap", "total_quantity")
    search_fields = ("buy__title", "offer__title")
    list_select_related = ("buy", "offer")


@admin.register(EntryLine)
class EntryLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("entry", "item", "quantity", "tolerance", "allocated")
    list_select_related = ("entry__buy", "item__offer")


@admin.register(PurchaseOrderLine)
class PurchaseOrderLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("order", "item", "quantity", "packs", "unit_cost", "amount")
    list_select_related = ("order__buy", "item__offer")


@admin.register(ShareLink)
class ShareLinkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Made with each buy and reset by its leader (groupbuy.services.share); looked at here, never edited."""

    list_display = ("buy", "created_at", "revoked_at")
    list_filter = ("revoked_at",)
    raw_id_fields = ("buy", "created_by")
    exclude = ("token",)  # the token is the public link's secret
