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
