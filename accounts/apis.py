"""JSON API for accounts: the same services as the pages."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import exceptions as err
from accounts import selectors
from accounts.login_protection import login_authenticate
from accounts.models import Notification
from accounts.permissions import Action, require
from accounts.serializers import (
    HouseholdMemberInSerializer,
    HouseholdMemberOutSerializer,
    HouseholdOutSerializer,
    InvitesInSerializer,
    IssuedInviteOutSerializer,
    JoinDecisionInSerializer,
    JoinRequestInSerializer,
    JoinRequestOutSerializer,
    MarkReadOutSerializer,
    MemberRowSerializer,
    NotificationOutSerializer,
    RedeemInSerializer,
    RedeemOutSerializer,
    RolesInSerializer,
    VulnerableInSerializer,
)
from accounts.services.households import household_member_add, household_set_vulnerable
from accounts.services.inbox import notification_mark_read, user_sms_notices_set
from accounts.services.invites import invite_codes_issue, invite_redeem
from accounts.services.joining import join_request_create, join_request_decide
from accounts.services.roles import membership_set_roles
from accounts.services.tokens import token_issue, token_revoke, tokens_revoke_all
from accounts.utils import client_ip
from core.api import valid


class MembershipOutSerializer(serializers.Serializer):
    community_id = serializers.IntegerField()
    community_name = serializers.CharField()
    household = serializers.CharField(allow_null=True)
    roles = serializers.ListField(child=serializers.CharField())


class MeOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    memberships = MembershipOutSerializer(many=True)


class MeApi(APIView):
    @extend_schema(responses=MeOutSerializer)
    def get(self, request):
        return Response(MeOutSerializer(selectors.user_profile(user=request.user)).data)


class TokenInSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)


class TokenOutSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as 'Authorization: Token <token>'. Shown once: only a hash is kept.")
    expiry = serializers.DateTimeField(allow_null=True)


class TokenObtainApi(APIView):
    """Username + password -> a new token for this device. Shares the login page's lockout."""

    permission_classes = [AllowAny]

    @extend_schema(request=TokenInSerializer, responses=TokenOutSerializer)
    def post(self, request):
        data = TokenInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = login_authenticate(request=request, **data.validated_data)
        instance, token = token_issue(user=user)
        return Response(TokenOutSerializer({"token": token, "expiry": instance.expiry}).data)


class TokenLogoutApi(APIView):
    """Revoke the token this request carries (log this device out)."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        if not isinstance(request.auth, AuthToken):  # a web session: no token to revoke
            raise err.no_token()
        token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RevokedOutSerializer(serializers.Serializer):
    revoked = serializers.IntegerField()


class TokenLogoutAllApi(APIView):
    """Revoke every API token of the caller (a lost phone). Works from a token or the web session."""

    @extend_schema(request=None, responses=RevokedOutSerializer)
    def post(self, request):
        return Response({"revoked": tokens_revoke_all(user=request.user)})


class RedeemInviteApi(APIView):
    """Redeem a household invite code. Anonymous: creates the account and returns a token for it.
    Logged in: adds the household to the caller's account."""

    permission_classes = [AllowAny]

    @extend_schema(request=RedeemInSerializer, responses={201: RedeemOutSerializer})
    def post(self, request):
        data = RedeemInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        existing = request.user if request.user.is_authenticated else None
        membership = invite_redeem(
            code=v["code"],
            client_ip=client_ip(request),
            user=existing,
            username=v["username"],
            password=v["password"],
            display_name=v["display_name"],
            claim_member_id=v["claim_member_id"],
        )
        token = None
        if existing is None:
            token = token_issue(user=membership.user)[1]
        body = RedeemOutSerializer({"membership": membership, "token": token}).data
        return Response(body, status=status.HTTP_201_CREATED)


class JoinRequestListCreateApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("community_id", int, required=True)],
        responses=JoinRequestOutSerializer(many=True),
        description="Pending requests the caller may decide (committee: all; building leader: their building).",
    )
    def get(self, request):
        try:
            community_id = int(request.query_params.get("community_id", ""))
        except ValueError:
            community_id = 0
        rows = selectors.pending_join_requests(user=request.user, community_id=community_id)
        return Response(JoinRequestOutSerializer(rows, many=True).data)

    @extend_schema(request=JoinRequestInSerializer, responses={201: JoinRequestOutSerializer})
    def post(self, request):
        data = JoinRequestInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        created = join_request_create(
            user=request.user,
            community_id=v["community_id"],
            building_id=v["building_id"],
            room=v["room"],
            name=v["name"],
            message=v["message"],
        )
        return Response(JoinRequestOutSerializer(created).data, status=status.HTTP_201_CREATED)


class JoinRequestApproveApi(APIView):
    approve = True

    @extend_schema(request=JoinDecisionInSerializer, responses=JoinRequestOutSerializer)
    def post(self, request, pk: int):
        data = JoinDecisionInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decided = join_request_decide(
            actor=request.user, join_request_id=pk, approve=self.approve, reason=data.validated_data["reason"]
        )
        return Response(JoinRequestOutSerializer(decided).data)


class JoinRequestRejectApi(JoinRequestApproveApi):
    approve = False


class NotificationListApi(APIView):
    @extend_schema(responses=NotificationOutSerializer(many=True))
    def get(self, request):
        rows = selectors.notifications_for(user=request.user)
        return Response(NotificationOutSerializer(rows, many=True).data)


class NotificationReadApi(APIView):
    @extend_schema(request=None, responses=MarkReadOutSerializer)
    def post(self, request, pk: int):
        # Another user's notice is a 404, the same as a missing one.
        get_object_or_404(Notification.objects.filter(user=request.user), pk=pk)
        return Response({"marked": notification_mark_read(user=request.user, notification_id=pk)})


class NotificationReadAllApi(APIView):
    @extend_schema(request=None, responses=MarkReadOutSerializer)
    def post(self, request):
        return Response({"marked": notification_mark_read(user=request.user)})


class NotificationSettingsInSerializer(serializers.Serializer):
    sms = serializers.BooleanField()


class NotificationSettingsOutSerializer(serializers.Serializer):
    sms = serializers.BooleanField(source="sms_notices")
    # Without a verified phone nothing goes by SMS, whatever `sms` says.
    has_phone = serializers.SerializerMethodField()

    def get_has_phone(self, obj) -> bool:
        return obj.reachable_by_sms


class NotificationSettingsApi(APIView):
    """One's own notice channels: in-app always; `sms` also sends the notices that need action by SMS."""

    @extend_schema(responses=NotificationSettingsOutSerializer)
    def get(self, request):
        return Response(NotificationSettingsOutSerializer(request.user).data)

    @extend_schema(request=NotificationSettingsInSerializer, responses=NotificationSettingsOutSerializer)
    def put(self, request):
        data = valid(NotificationSettingsInSerializer, request.data)
        user = user_sms_notices_set(user=request.user, enabled=data["sms"])
        return Response(NotificationSettingsOutSerializer(user).data)


# --- committee -------------------------------------------------------------


class CommunityMembersApi(ListAPIView):
    """Members of a community with their roles (committee staff), paginated."""

    serializer_class = MemberRowSerializer
    pagination_class = LimitOffsetPagination

    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=False, description="name, username or address (12-301)")]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        community_id = self.kwargs["community_id"]
        require(self.request.user, Action.MANAGE_ROLES, community_id)
        return selectors.community_memberships(community_id=community_id, search=self.request.query_params.get("q", ""))


class MembershipRolesApi(APIView):
    """Set every role flag of one membership at once (committee staff of its community)."""

    @extend_schema(request=RolesInSerializer, responses=MemberRowSerializer)
    def put(self, request, pk: int):
        data = RolesInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = membership_set_roles(actor=request.user, membership_id=pk, **data.validated_data)
        return Response(MemberRowSerializer(membership).data)


class HouseholdVulnerableApi(APIView):
    @extend_schema(request=VulnerableInSerializer, responses=HouseholdOutSerializer)
    def put(self, request, pk: int):
        data = VulnerableInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        household = household_set_vulnerable(
            actor=request.user, household_id=pk, is_vulnerable=data.validated_data["is_vulnerable"]
        )
        return Response(HouseholdOutSerializer(household).data)


class HouseholdMemberCreateApi(APIView):
    """Add a person without a phone (committee staff; a building leader in their building)."""

    @extend_schema(request=HouseholdMemberInSerializer, responses={201: HouseholdMemberOutSerializer})
    def post(self, request, community_id: int):
        data = HouseholdMemberInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        person = household_member_add(actor=request.user, community_id=community_id, **data.validated_data)
        return Response(HouseholdMemberOutSerializer(person).data, status=status.HTTP_201_CREATED)


class InvitesIssueApi(APIView):
    """Issue one code per household. The codes are in this response only: store or print them now."""

    @extend_schema(request=InvitesInSerializer, responses={201: IssuedInviteOutSerializer(many=True)})
    def post(self, request, community_id: int):
        data = InvitesInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = invite_codes_issue(actor=request.user, community_id=community_id, **data.validated_data)
        response = Response(IssuedInviteOutSerializer(issued, many=True).data, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response
