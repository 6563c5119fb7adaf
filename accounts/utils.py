"""Small request helpers for the accounts views."""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """The client address every per-address limit keys on (login lockout, invite codes, sign-ups).

    With TRUSTED_PROXY_COUNT = 0 (the default) it is REMOTE_ADDR and X-Forwarded-For is ignored: a client
    can write anything there. Behind N trusted proxies, each appends the address it received the request
    from, so the client is the N-th entry from the right; entries further left are client-supplied. A
    header shorter than that, or a malformed entry, means the request did not come through the proxies
    as configured: fall back to REMOTE_ADDR rather than trust it.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    hops_trusted = settings.TRUSTED_PROXY_COUNT
    if hops_trusted <= 0:
        return remote
    chain = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(chain) < hops_trusted:
        return remote
    candidate = chain[-hops_trusted]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
