"""Header data for every page: the current community and the unread notice count."""

from __future__ import annotations


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_count": user.notifications.filter(read_at__isnull=True).count()}
