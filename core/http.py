"""Small request helpers shared by the pages."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` the page posted (or put in the query), if it stays on this site; else `fallback`.

    A posted address is attacker-controlled (`//evil.example/x`): only relative paths and this
    host are followed, and on an HTTPS request only HTTPS (Django's own check, as its login view does).
    """
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback
