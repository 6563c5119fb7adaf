"""The one login lockout (django-axes), for every surface that calls authenticate(): the login page,
the token API and /admin/login/.

Failures are counted in the cache (Redis) on two keys: the normalised username together with the client
address (locks after AXES_FAILURE_LIMIT), and the address alone (locks only after LOGIN_IP_FAILURE_LIMIT).
So one resident's wrong passwords lock out that username from that address, not their whole building
NAT, while one address still cannot sweep many usernames. Counters expire AXES_COOLOFF_TIME after the
last failure. Like core/ratelimit.py, the lockout fails open when the cache is down: the app keeps
serving and the outage is logged.
"""

from __future__ import annotations

import logging
import unicodedata

from axes.handlers.cache import AxesCacheHandler
from axes.helpers import get_cache_timeout, get_client_cache_keys, get_client_username, get_credentials
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _

from accounts import exceptions as err
from accounts.models import User
from core.errors import RateLimited

logger = logging.getLogger(__name__)


def normalize_username(raw: object) -> str:
    """The username as the lockout counts it: NFKC (what Django's UsernameField and
    AbstractBaseUser.normalize_username apply, so 'ｇuard' is 'guard') and casefolded (usernames are
    unique regardless of case, see accounts.services.users.user_validate)."""
    return unicodedata.normalize("NFKC", str(raw or "")).strip().casefold()


def login_username(request, credentials: dict | None) -> str:
    """AXES_USERNAME_CALLABLE."""
    if credentials and credentials.get("username") is not None:
        return normalize_username(credentials["username"])
    data = getattr(request, "data", None) or getattr(request, "POST", {})
    return normalize_username(data.get("username"))


def locked_out_error() -> RateLimited:
    return RateLimited(
        _("Too many failed logins. Please wait a moment and try again."),
        code="login_locked",
        detail={"retry_after_seconds": int(settings.AXES_COOLOFF_TIME.total_seconds())},
    )


def lockout_response(request: HttpRequest, original_response: HttpResponse | None, credentials) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: our pages and API answer the lockout themselves (a coded 429); any other
    login form (the admin's) gets the same message as a plain 429."""
    if original_response is not None and original_response.status_code == 429:
        return original_response
    error = locked_out_error()
    if request.path.startswith("/api/"):
        return JsonResponse(error.as_dict(), status=error.status_code)
    return HttpResponse(str(error.message), status=error.status_code, content_type="text/plain; charset=utf-8")


def login_authenticate(*, request, username: str, password: str) -> User:
    """Check a username and password through the lockout; the user, or a coded refusal.

    `request` is the one Axes records the attempt on (a Django or DRF request)."""
    user = authenticate(request=request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        raise locked_out_error()
    if user is None or not user.is_active:
        raise err.login_failed()
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return user


class LoginLockoutHandler(AxesCacheHandler):
    """Axes' cache handler with a separate limit per key (Axes has one limit for all keys).

    Keys come from AXES_LOCKOUT_PARAMETERS in order: [username + address, address]. The address count
    is scaled onto the username+address limit, so Axes' single comparison applies both bounds.
    """

    def _failures(self, counts: list[int]) -> int:
        per_user_and_ip, per_ip = counts
        return max(per_user_and_ip, per_ip * settings.AXES_FAILURE_LIMIT // settings.LOGIN_IP_FAILURE_LIMIT)

    def get_failures(self, request, credentials: dict | None = None) -> int:
        keys = get_client_cache_keys(request, credentials)
        try:
            return self._failures([self.cache.get(key, default=0) for key in keys])
        except Exception:  # noqa: BLE001 - fail open when the cache is down, like core/ratelimit.py
            logger.warning("login lockout unavailable (cache down); allowing")
            return 0

    def _count(self, key: str, timeout: int | None) -> int:
        if self.cache.add(key, 1, timeout=timeout):
            return 1
        try:
            count = self.cache.incr(key)
        except ValueError:  # expired between add and incr
            self.cache.add(key, 1, timeout=timeout)
            return 1
        self.cache.touch(key, timeout=timeout)
        return count

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is None or self.is_whitelisted(request, credentials):
            return
        keys = get_client_cache_keys(request, credentials)
        timeout = get_cache_timeout(request)
        try:
            failures = self._failures([self._count(key, timeout) for key in keys])
        except Exception:  # noqa: BLE001 - fail open when the cache is down
            logger.warning("login lockout unavailable (cache down); failure not counted")
            return
        request.axes_failures_since_start = failures
        if failures >= settings.AXES_FAILURE_LIMIT:
            username = get_client_username(request, credentials)
            logger.warning("login locked out after %d failures from %s", failures, request.axes_ip_address)
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send("axes", request=request, username=username, ip_address=request.axes_ip_address)

    def user_logged_in(self, sender, request, user, **kwargs):
        """A correct password clears this username's count at this address, never the address's own count
        (else an attacker could reset the per-address bound with one account of their own)."""
        super().user_logged_in(sender, request, user, **kwargs)
        user_and_ip_key = get_client_cache_keys(request, get_credentials(user.get_username()))[0]
        try:
            self.cache.delete(user_and_ip_key)
        except Exception:  # noqa: BLE001 - best effort
            logger.warning("login lockout unavailable for reset")
