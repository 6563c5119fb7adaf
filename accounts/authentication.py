"""API token authentication: django-rest-knox, in one plain SELECT and minus one query per request."""

from __future__ import annotations

import binascii
from hmac import compare_digest
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox import auth
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions

from accounts.models import User
from core import rows


def tokens_with_users(token_key: str) -> list[Any]:
    """The tokens stored under `token_key` (the clear prefix; the digest decides), each with its user loaded: one
    plain SELECT (core.rows) instead of the ORM's select_related, whose compiler cost more than the query on every
    API call (docs/PERFORMANCE.md)."""
    token_model = get_token_model()
    qn = connection.ops.quote_name
    sql = (
        f"SELECT {rows.columns(token_model, 't')}, {rows.columns(User, 'u')} "
        f"FROM {qn(token_model._meta.db_table)} t JOIN {qn(User._meta.db_table)} u ON u.{qn('id')} = t.{qn('user_id')} "
        f"WHERE t.{qn('token_key')} = %s"
    )
    found = []
    for row in rows.fetch_all(sql, [token_key]):
        token = rows.instance(token_model, row)
        assert token is not None
        token.user = rows.instance(User, row, rows.width(token_model))
        found.append(token)
    return found


class TokenAuthentication(auth.TokenAuthentication):
    """Knox's token check. Knox also loads every other token of the user on each request to delete the
    expired ones: one more query on every API call, the sign-up hot path included. Here only the presented
    token's expiry is checked (an expired token is refused and deleted); other expired tokens are deleted
    when the user next gets a token (accounts.services.tokens.token_issue). The token and its user are read with
    one plain SELECT; the checks are knox's own (digest, expiry, refresh, active user). Pinned knox 5.1: re-check
    these overrides (knox's `authenticate_credentials`, `_cleanup_token`) when upgrading."""

    def authenticate_credentials(self, token: bytes) -> tuple[Any, Any]:
        msg = _("Invalid token.")
        text = token.decode("utf-8")
        for auth_token in tokens_with_users(text[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(text)
            except (TypeError, binascii.Error) as exc:
                raise exceptions.AuthenticationFailed(msg) from exc
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(msg)

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme: the same header as knox's."""

    target_class = "accounts.authentication.TokenAuthentication"
