"""API tokens (django-rest-knox): only a hash is stored; each token can be revoked, and all of a user's
tokens die when the password changes (accounts.models.User.save deletes them)."""

from __future__ import annotations

from django.utils import timezone
from knox.models import AuthToken
from knox.settings import knox_settings

from accounts import exceptions as err
from accounts.models import User


def token_issue(*, user: User) -> tuple[AuthToken, str]:
    """A new token for `user`: the row and the token in clear (shown once, never stored).

    Expired tokens are removed first so the per-user bound counts live ones only."""
    AuthToken.objects.filter(user=user, expiry__lte=timezone.now()).delete()
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    # A bound on devices, not a shared counter: two logins racing past it by one do no harm.
    if limit is not None and AuthToken.objects.filter(user=user).count() >= limit:
        raise err.too_many_tokens()
    return AuthToken.objects.create(user=user)


def token_revoke(*, token: AuthToken) -> None:
    """Revoke one token (the caller's own: log this phone out)."""
    AuthToken.objects.filter(pk=token.pk).delete()


def tokens_revoke_all(*, user: User) -> int:
    """Revoke every token of `user` (log out everywhere; a password change does this too)."""
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted
