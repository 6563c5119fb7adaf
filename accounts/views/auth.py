"""Login and password pages (the home page: accounts/views/home.py).

Residents log in with their phone and a code (allauth's views with our templates and adapter); staff keep
username + password (`?staff=1`), under the axes lockout. Both live at settings.LOGIN_URL.
"""

from __future__ import annotations

import logging

import redis
from allauth.account import views as allauth_views
from allauth.account.adapter import get_adapter
from allauth.account.internal.stagekit import clear_login
from allauth.core import ratelimit
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.urls import reverse, reverse_lazy
from django.utils.http import urlencode

from accounts import exceptions as err
from accounts.login_protection import locked_out_error
from accounts.phone import phone_normalize
from core.pages import form_refusal, refusal_on, refusal_status

# A number typed on the login page that has no account yet: the sign-up page starts from it. In the session,
# not the URL: phone numbers are private (they would end up in access logs and history).
SIGNUP_PHONE_SESSION_KEY = "signup_phone"

logger = logging.getLogger(__name__)


class LoginView(auth_views.LoginView):
    """The login page. The lockout is the one every login surface shares (accounts/login_protection.py):
    it acts inside authenticate(), so here it only words the refusal."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):
        if not getattr(self.request, "axes_locked_out", False):
            return super().form_invalid(form)
        exc = locked_out_error()
        form._errors = None  # the lockout's message only, not "wrong password"
        form_refusal(form, exc)
        response = self.render_to_response(self.get_context_data(form=form))
        response.status_code = exc.status_code
        return response


def throttle_store_required(send, view):
    """Codes are sent only while their throttles (allauth's, in the cache: Redis) can count them: an SMS costs
    money and reaches someone's phone. Redis down, the page says so (503) and the staff password form, which
    fails open like the rest of the site (docs/SECURITY.md), keeps working."""
    try:
        return send()
    except redis.RedisError:
        logger.warning("phone login unavailable: the throttle store (Redis) is down")
        form = view.get_form_class()(initial=view.request.POST.dict())  # not validated: that needs Redis too
        form_refusal(form, err.phone_login_unavailable())
        response = view.render_to_response(view.get_context_data(form=form))
        response.status_code = 503
        return response


def login(request, *args, **kwargs):
    """settings.LOGIN_URL. A resident gets the phone box (GET, or a POST of a phone); staff the username and
    password form (`?staff=1`, or a POST of a username)."""
    password_form = request.GET.get("staff") or (request.method == "POST" and "phone" not in request.POST)
    if password_form:
        return LoginView.as_view()(request, *args, **kwargs)
    return PhoneLoginView.as_view()(request, *args, **kwargs)


class PhoneLoginView(allauth_views.RequestLoginCodeView):
    """Step one of a phone login: the number, then allauth sends the code (accounts.adapter) and shows the
    code box (ConfirmLoginCodeView). A number without an account goes on to the sign-up page, with `next`."""

    template_name = "account/request_login_code.html"

    def dispatch(self, request, *args, **kwargs):
        return throttle_store_required(lambda: super(PhoneLoginView, self).dispatch(request, *args, **kwargs), self)

    def _redirect_to_pending_stage(self, request, stage):
        """allauth sends a visitor with a code on its way back to the code box. Here the phone page shows
        instead ("start again", a mistyped number); posting a number abandons the pending code (as allauth's
        sign-up page does) and the throttles decide whether a new one goes out."""
        if request.method == "POST":
            clear_login(request)
        return None

    def form_invalid(self, form):
        if form.has_error("phone", code="unknown_phone"):
            phone = phone_normalize(form.data.get("phone"))
            # Trying a number uses the code throttle too, or one address could sweep numbers for accounts.
            if ratelimit.consume(self.request, action="request_login_code", key=phone):
                self.request.session[SIGNUP_PHONE_SESSION_KEY] = phone
                return HttpResponseRedirect(self.passthrough_next_url(reverse("account_signup")))
            form.errors["phone"] = form.error_class([get_adapter().error_messages["too_many_login_attempts"]])
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class PhoneSignupView(allauth_views.SignupView):
    """A newcomer: phone (filled in when they came from the login page) and a name; allauth then sends the
    code and verifies it (PhoneVerificationStage) before logging them in and going on to `next`."""

    template_name = "account/signup.html"

    def dispatch(self, request, *args, **kwargs):
        return throttle_store_required(lambda: super(PhoneSignupView, self).dispatch(request, *args, **kwargs), self)

    def get_success_url(self) -> str:
        """A newcomer belongs to no community yet: they go to find theirs, carrying `next` along."""
        url = reverse("accounts:join_start")
        next_url = self.get_next_url()
        if next_url and next_url.startswith(url):  # already on their way to join (a code, a community)
            return next_url
        return f"{url}?{urlencode({'next': next_url})}" if next_url else url

    def get_initial(self) -> dict:
        initial = super().get_initial()
        phone = self.request.session.get(SIGNUP_PHONE_SESSION_KEY)
        if phone:
            initial["phone"] = phone
        return initial

    def form_valid(self, form):
        with refusal_on(form):  # a sign-up racing this one for the same phone: the constraint refuses
            response = super().form_valid(form)
            self.request.session.pop(SIGNUP_PHONE_SESSION_KEY, None)
            return response
        return self.form_invalid(form)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = refusal_status([form], invalid=400)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"
