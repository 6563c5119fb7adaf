"""allauth's hooks for phone login: where phones live (User.phone), how a code leaves (core.sms), which address
a client has (accounts.utils.client_ip), and where a redirect may go (this site only).

allauth keeps the codes, their expiry, the tries and the throttles (settings: ACCOUNT_LOGIN_BY_CODE_*,
ACCOUNT_PHONE_VERIFICATION_*, ACCOUNT_RATE_LIMITS); the writes go through accounts.services.phone.
"""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django import forms
from django.conf import settings
from django.contrib import messages
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import selectors
from accounts.models import User
from accounts.phone import phone_normalize
from accounts.services.phone import user_phone_set, user_phone_verify, user_register_by_phone
from accounts.utils import client_ip
from core.errors import ApplicationError
from core.sms import SmsSendError, send_sms

logger = logging.getLogger(__name__)


def user_display(user: User) -> str:
    """ACCOUNT_USER_DISPLAY: the name people gave, never the internal username of a phone account."""
    return str(user)


class PhoneNumberField(forms.CharField):
    """One box for a mobile number; cleans to E.164 (accounts.phone.phone_normalize)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Mobile number"))
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel", "maxlength": "32"}),
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        if not value:
            return value
        try:
            return phone_normalize(value)
        except ApplicationError as exc:
            raise forms.ValidationError(str(exc.message), code=exc.code) from exc


class AccountAdapter(DefaultAccountAdapter):
    # --- who is asking ---------------------------------------------------------------------------------------
    def get_client_ip(self, request) -> str:
        """The per-address throttles key on the same address as the login lockout and invite codes."""
        return client_ip(request)

    def is_safe_url(self, url: str | None) -> bool:
        """A `next` stays on this host (on HTTPS, HTTPS only): the rule of core.http.safe_next."""
        request = context.request
        return bool(url) and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )

    # --- phones ----------------------------------------------------------------------------------------------
    def phone_form_field(self, **kwargs: Any) -> forms.Field:
        return PhoneNumberField(**kwargs)

    def clean_phone(self, phone: str) -> str:
        try:
            return phone_normalize(phone)
        except ApplicationError as exc:
            raise forms.ValidationError(str(exc.message), code=exc.code) from exc

    def get_user_by_phone(self, phone: str) -> User | None:
        return selectors.user_get_by_phone(phone=phone)

    def get_phone(self, user: User) -> tuple[str, bool] | None:
        return (user.phone, user.phone_verified) if user.phone else None

    def set_phone(self, user: User, phone: str, verified: bool) -> None:
        if user.pk is None:
            user.phone, user.phone_verified = phone_normalize(phone), verified
            return
        user_phone_set(user=user, phone=phone, verified=verified)

    def set_phone_verified(self, user: User, phone: str) -> None:
        user_phone_verify(user=user, phone=phone)

    def save_user(self, request, user: User, form, commit: bool = True) -> User:
        """Sign-up: one INSERT with the phone, the name and an internal username (no password to choose)."""
        data = form.cleaned_data
        return user_register_by_phone(phone=data["phone"], display_name=data.get("display_name", ""))

    # --- codes -----------------------------------------------------------------------------------------------
    def send_verification_code_sms(self, user: User, phone: str, code: str, **kwargs: Any) -> None:
        """The code by SMS, in the person's language (their saved one, else the page's: Chinese by default)."""
        minutes = settings.SMS_CODE_TIMEOUT_SECONDS // 60
        with translation.override(user.preferred_language or translation.get_language()):
            text = gettext("[Jielong] Your code is %(code)s. It is valid for %(minutes)d minutes.") % {
                "code": code,
                "minutes": minutes,
            }
        try:
            send_sms(phone, text, purpose="login_code", key=f"login_code:{user.pk}:{code}")
        except SmsSendError:
            logger.warning("login code SMS to user %s not sent", user.pk)
            messages.error(context.request, _("The code could not be sent. Please try again in a minute."))
