"""Pages for joining, logging in, notices and the committee's people pages. Thin: parse, permit, call one
service, render (the page kit: core.pages). Refusals show the service's coded message in the form, keep what
was typed and answer with the refusal's status."""

from accounts.views.auth import (
    LoginView,
    PasswordChangeDoneView,
    PasswordChangeView,
    PhoneLoginView,
    PhoneSignupView,
    login,
)
from accounts.views.home import home
from accounts.views.invites import invites
from accounts.views.joining import join_request, join_requests, join_start, redeem
from accounts.views.notices import notifications, notifications_read, notifications_sms
from accounts.views.people import household_members, member_roles, members, vulnerable

__all__ = [
    "LoginView",
    "PasswordChangeDoneView",
    "PasswordChangeView",
    "PhoneLoginView",
    "PhoneSignupView",
    "home",
    "household_members",
    "invites",
    "join_request",
    "join_requests",
    "join_start",
    "login",
    "member_roles",
    "members",
    "notifications",
    "notifications_read",
    "notifications_sms",
    "redeem",
    "vulnerable",
]
