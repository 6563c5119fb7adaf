"""Phones on accounts: a newcomer's account made from a phone and a name, and the phone's verified flag.

allauth (accounts/adapter.py) runs the codes, their expiry, tries and throttles; what it writes about people
comes here.
"""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from accounts import exceptions as err
from accounts.models import User
from accounts.phone import phone_normalize

DISPLAY_NAME_MAX = 60


def internal_username() -> str:
    """A username nobody types (phone accounts log in by code): unique, never derived from the phone."""
    return f"p-{uuid.uuid4().hex[:16]}"


def user_register_by_phone(*, phone: str, display_name: str) -> User:
    """A new account for `phone` (not yet verified: the sign-up code does that) named `display_name`.

    The account has no password (staff can give one); a phone already on an account is refused
    (err.phone_taken), also when another sign-up takes it at the same moment (the unique constraint).
    """
    phone = phone_normalize(phone)
    display_name = (display_name or "").strip()
    if not display_name:
        raise err.invalid(display_name=[str(_("Tell us your name."))])
    if len(display_name) > DISPLAY_NAME_MAX:
        raise err.invalid(display_name=[str(_("The name is too long."))])
    user = User(username=internal_username(), display_name=display_name, phone=phone, phone_verified=False)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise err.phone_taken() from exc
    return user


def user_phone_set(*, user: User, phone: str, verified: bool) -> None:
    """Give `user` this phone (normalised); refused when it is another account's."""
    phone = phone_normalize(phone)
    try:
        with transaction.atomic():
            User.objects.filter(pk=user.pk).update(phone=phone, phone_verified=verified)
    except IntegrityError as exc:
        raise err.phone_taken() from exc
    user.phone, user.phone_verified = phone, verified


def user_phone_verify(*, user: User, phone: str) -> bool:
    """Mark `phone` verified on `user` if it is still the user's phone (compare-and-set); True if it was."""
    phone = phone_normalize(phone)
    changed = User.objects.filter(pk=user.pk, phone=phone).update(phone_verified=True)
    if changed:
        user.phone_verified = True
    return bool(changed)
