"""allauth's pages for phone login, under /accounts/ with allauth's own URL names (its code reverses them).

Only what phone login and sign-up use: no e-mail, password-reset or social pages. `account_login` and
`account_request_login_code` are the login page itself (accounts:login), where allauth sends people back.
"""

from allauth.account import views as allauth_views
from django.urls import path
from django.views.generic import RedirectView

from accounts import views

urlpatterns = [
    path("login/", views.login, name="account_login"),
    path("login/", views.login, name="account_request_login_code"),
    path("login/code/confirm/", allauth_views.confirm_login_code, name="account_confirm_login_code"),
    path("signup/", views.PhoneSignupView.as_view(), name="account_signup"),
    path("phone/verify/", allauth_views.verify_phone, name="account_verify_phone"),
    path("inactive/", allauth_views.account_inactive, name="account_inactive"),
    # allauth's verify page sends someone with no code pending to "change phone", a page we do not offer (a phone
    # is changed by the committee or by signing up again): home instead of a 500 on a missing URL name.
    path("phone/change/", RedirectView.as_view(pattern_name="home"), name="account_change_phone"),
]
