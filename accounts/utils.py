"""Small request helpers for the accounts views."""

from __future__ import annotations


def client_ip(request) -> str:
    """The address throttles key on. REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted
    proxy rewrites REMOTE_ADDR (gunicorn behind nginx with the real-ip module)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"
