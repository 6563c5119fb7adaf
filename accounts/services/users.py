"""Creating accounts (used by the invite and join-request flows)."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from accounts import exceptions as err
from accounts.models import User
from core.errors import ValidationFailed

USERNAME_MAX = 40


def user_validate(*, username: str, password: str, display_name: str) -> None:
    """Check new-account fields; every problem is one ValidationFailed with per-field detail.

    Callers run this before spending a throttled attempt, so a weak password does not lock anyone out.
    """
    username = (username or "").strip()
    display_name = (display_name or "").strip()
    errors: dict[str, list[str]] = {}
    if not username:
        errors["username"] = [str(_("Choose a username."))]
    elif len(username) > USERNAME_MAX:
        errors["username"] = [str(_("The username is too long."))]
    elif not all(ch.isalnum() or ch in "@.+-_" for ch in username):
        errors["username"] = [str(_("Use letters, digits and @ . + - _ only."))]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = [str(_("This username is taken."))]
    if not display_name:
        errors["display_name"] = [str(_("Tell us your name."))]
    elif len(display_name) > 60:
        errors["display_name"] = [str(_("The name is too long."))]
    try:
        validate_password(password or "", User(username=username, display_name=display_name))
    except ValidationError as exc:
        errors["password"] = [str(m) for m in exc.messages]
    if errors:
        code = "username_taken" if list(errors) == ["username"] and "taken" in errors["username"][0] else "invalid"
        raise ValidationFailed(_("Please correct the fields marked below."), code=code, detail=errors)


def user_register(*, username: str, password: str, display_name: str) -> User:
    """Create an account after user_validate()."""
    user_validate(username=username, password=password, display_name=display_name)
    username = username.strip()
    display_name = display_name.strip()
    user = User(username=username, display_name=display_name)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent registration took the name between check and insert
        raise err.username_taken() from exc
    return user
