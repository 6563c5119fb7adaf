from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors


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
