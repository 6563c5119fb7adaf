from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("join/code/", views.redeem, name="redeem"),
    path("join/", views.join_start, name="join_start"),
    path("join/<int:community_id>/", views.join_request, name="join_request"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("notifications/sms/", views.notifications_sms, name="notifications_sms"),
    path("c/<int:community_id>/join-requests/", views.join_requests, name="join_requests"),
    path("c/<int:community_id>/invites/", views.invites, name="invites"),
    path("c/<int:community_id>/members/", views.members, name="members"),
    path("c/<int:community_id>/members/<int:membership_id>/", views.member_roles, name="member_roles"),
    path("c/<int:community_id>/vulnerable/", views.vulnerable, name="vulnerable"),
    path("c/<int:community_id>/households/", views.household_members, name="household_members"),
]
