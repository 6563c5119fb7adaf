"""API token authentication: django-rest-knox, minus one query per request."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox import auth


class TokenAuthentication(auth.TokenAuthentication):
    """Knox's token check. Knox also loads every other token of the user on each request to delete the
    expired ones: one more query on every API call, the sign-up hot path included. Here only the presented
    token's expiry is checked (an expired token is refused and deleted); other expired tokens are deleted
    when the user next gets a token (accounts.services.tokens.token_issue). Pinned knox 5.1: re-check this
    override (knox's `_cleanup_token`) when upgrading."""

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme: the same header as knox's."""

    target_class = "accounts.authentication.TokenAuthentication"
