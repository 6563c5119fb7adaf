"""Operator admin for every accounts model. Invite codes are read-only: only their hash exists."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm as BaseUserChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    Building,
    Community,
    Household,
    HouseholdMember,
    InviteCode,
    JoinRequest,
    Membership,
    Notification,
    User,
)
from accounts.phone import phone_normalize
from core.errors import ApplicationError


class UserChangeForm(BaseUserChangeForm):
    """A phone typed here is stored as phone login compares it (E.164), or refused with the same message."""

    class Meta(BaseUserChangeForm.Meta):
        model = User

    def clean_phone(self) -> str:
        phone = self.cleaned_data.get("phone") or ""
        if not phone:
            return ""
        try:
            return phone_normalize(phone)
        except ApplicationError as exc:
            raise ValidationError(str(exc.message), code=exc.code) from exc


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    list_display = ("username", "display_name", "is_active", "is_staff", "date_joined")
    search_fields = ("username", "display_name", "phone")
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Jielong"), {"fields": ("display_name", "phone", "phone_verified", "preferred_language")}),
    )


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ("name", "district", "address", "created_at")
    search_fields = ("name", "district", "address")


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ("label", "community")
    list_filter = ("community",)
    search_fields = ("label", "community__name")
    list_select_related = ("community",)


class HouseholdMemberInline(admin.TabularInline):
    model = HouseholdMember
    fk_name = "household"
    extra = 0
    raw_id_fields = ("user", "created_by")


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ("label", "community", "is_vulnerable", "note")
    list_filter = ("is_vulnerable", "community")
    search_fields = ("room", "building__label", "community__name", "members__name")
    list_select_related = ("building", "community")
    raw_id_fields = ("building",)
    inlines = [HouseholdMemberInline]


@admin.register(HouseholdMember)
class HouseholdMemberAdmin(admin.ModelAdmin):
    list_display = ("name", "household", "user", "note", "created_by", "created_at")
    search_fields = ("name", "user__username", "household__room", "household__building__label")
    list_select_related = ("household__building", "user", "created_by")
    raw_id_fields = ("household", "user", "created_by")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "community",
        "household",
        "is_active",
        "is_resident",
        "is_team_leader",
        "is_building_leader",
        "led_building",
        "volunteer_group",
        "is_committee",
        "is_gate_guard",
    )
    list_filter = ("community", "is_team_leader", "is_building_leader", "volunteer_group", "is_committee")
    search_fields = ("user__username", "user__display_name", "community__name")
    list_select_related = ("user", "community", "household__building", "led_building")
    raw_id_fields = ("user", "household", "led_building", "proxy_buildings")


@admin.register(InviteCode)
class InviteCodeAdmin(admin.ModelAdmin):
    list_display = ("id", "household", "community", "created_by", "created_at", "expires_at", "used_at", "used_by")
    list_filter = ("community",)
    search_fields = ("household__room", "household__building__label", "used_by__username")
    list_select_related = ("household__building", "community", "created_by", "used_by")
    readonly_fields = ("code_hash", "created_at", "used_at", "used_by")
    raw_id_fields = ("household", "created_by")

    def has_add_permission(self, request):
        # A code made here would never be shown to anyone; committee staff issue them from their page.
        return False


@admin.register(JoinRequest)
class JoinRequestAdmin(admin.ModelAdmin):
    list_display = ("name", "label", "community", "status", "created_at", "decided_by", "decided_at")
    list_filter = ("status", "community")
    search_fields = ("name", "room", "user__username")
    list_select_related = ("building", "community", "decided_by")
    raw_id_fields = ("user", "building", "decided_by")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "community", "created_at", "read_at", "sms_state")
    list_filter = ("kind", "sms_state")
    search_fields = ("user__username", "kind", "dedupe_key")
    list_select_related = ("user", "community")
    raw_id_fields = ("user", "community")
