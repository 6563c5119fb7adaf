from django.urls import path

from accounts import apis

urlpatterns = [
    path("me/", apis.MeApi.as_view(), name="api-me"),
    path("auth/token/", apis.TokenObtainApi.as_view(), name="api-token"),
    path("auth/logout/", apis.TokenLogoutApi.as_view(), name="api-token-logout"),
    path("auth/logout-all/", apis.TokenLogoutAllApi.as_view(), name="api-token-logout-all"),
    path("invites/redeem/", apis.RedeemInviteApi.as_view(), name="api-invite-redeem"),
    path("join-requests/", apis.JoinRequestListCreateApi.as_view(), name="api-join-requests"),
    path("join-requests/<int:pk>/approve/", apis.JoinRequestApproveApi.as_view(), name="api-join-request-approve"),
    path("join-requests/<int:pk>/reject/", apis.JoinRequestRejectApi.as_view(), name="api-join-request-reject"),
    path("notifications/", apis.NotificationListApi.as_view(), name="api-notifications"),
    path("notifications/<int:pk>/read/", apis.NotificationReadApi.as_view(), name="api-notification-read"),
    path("notifications/read-all/", apis.NotificationReadAllApi.as_view(), name="api-notifications-read-all"),
    path("notifications/settings/", apis.NotificationSettingsApi.as_view(), name="api-notification-settings"),
    path("communities/<int:community_id>/members/", apis.CommunityMembersApi.as_view(), name="api-members"),
    path("memberships/<int:pk>/roles/", apis.MembershipRolesApi.as_view(), name="api-membership-roles"),
    path("households/<int:pk>/vulnerable/", apis.HouseholdVulnerableApi.as_view(), name="api-household-vulnerable"),
    path(
        "communities/<int:community_id>/household-members/",
        apis.HouseholdMemberCreateApi.as_view(),
        name="api-household-members",
    ),
    path("communities/<int:community_id>/invites/", apis.InvitesIssueApi.as_view(), name="api-invites-issue"),
]
