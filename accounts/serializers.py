"""API shapes for accounts. Input serializers check field shapes; the services hold the rules."""

from __future__ import annotations

from rest_framework import serializers

from accounts.notifications import render


class RedeemInSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    username = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    password = serializers.CharField(max_length=128, required=False, allow_blank=True, default="", write_only=True)
    display_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    claim_member_id = serializers.IntegerField(required=False, allow_null=True, default=None)


class MembershipBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    community_id = serializers.IntegerField()
    household = serializers.CharField(source="household.label", allow_null=True)
    username = serializers.CharField(source="user.username")


class RedeemOutSerializer(serializers.Serializer):
    membership = MembershipBriefSerializer()
    token = serializers.CharField(allow_null=True)


class JoinRequestInSerializer(serializers.Serializer):
    community_id = serializers.IntegerField()
    building_id = serializers.IntegerField()
    room = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    message = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class JoinRequestOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    community_id = serializers.IntegerField()
    household = serializers.CharField(source="label")
    name = serializers.CharField()
    message = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()


class JoinDecisionInSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class NotificationOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    text = serializers.SerializerMethodField()
    link = serializers.CharField()
    community_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)

    def get_text(self, obj) -> str:
        return render(obj)


class MarkReadOutSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class MemberRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user_id = serializers.IntegerField()
    name = serializers.CharField(source="user.__str__")
    household = serializers.CharField(source="household.label", allow_null=True, default=None)
    is_team_leader = serializers.BooleanField()
    is_building_leader = serializers.BooleanField()
    led_building_id = serializers.IntegerField(allow_null=True)
    volunteer_group = serializers.CharField()
    is_gate_guard = serializers.BooleanField()
    is_committee = serializers.BooleanField()
    proxy_building_ids = serializers.SerializerMethodField()

    def get_proxy_building_ids(self, membership) -> list[int]:
        """The proxy role: buildings whose households this member may order for."""
        return sorted(b.pk for b in membership.proxy_buildings.all())


class RolesInSerializer(serializers.Serializer):
    is_team_leader = serializers.BooleanField(default=False)
    is_building_leader = serializers.BooleanField(default=False)
    led_building_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    volunteer_group = serializers.ChoiceField(
        choices=["", "procurement", "data", "receiving"], required=False, allow_blank=True, default=""
    )
    is_gate_guard = serializers.BooleanField(default=False)
    is_committee = serializers.BooleanField(default=False)
    # The proxy role (like every flag here, left out means none): buildings whose households the member orders for.
    proxy_building_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=500
    )


class VulnerableInSerializer(serializers.Serializer):
    is_vulnerable = serializers.BooleanField()


class HouseholdOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    is_vulnerable = serializers.BooleanField()


class HouseholdMemberInSerializer(serializers.Serializer):
    building_id = serializers.IntegerField()
    room = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=60)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="", write_only=True)


class HouseholdMemberOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    household = serializers.CharField(source="household.label")
    name = serializers.CharField()
    note = serializers.CharField()
    has_account = serializers.SerializerMethodField()

    def get_has_account(self, obj) -> bool:
        return obj.user_id is not None


class InvitesInSerializer(serializers.Serializer):
    building_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    household_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    valid_days = serializers.IntegerField(default=14)
    only_without_account = serializers.BooleanField(default=False)


class IssuedInviteOutSerializer(serializers.Serializer):
    household_id = serializers.IntegerField(source="household.pk")
    household = serializers.CharField(source="household.label")
    code = serializers.CharField(source="display_code", help_text="Shown once: only a hash is stored.")
    expires_at = serializers.DateTimeField(source="invite.expires_at")
