"""Header data for every page: the current community and the unread notice count."""

from __future__ import annotations

from accounts.selectors import unread_count


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_count": unread_count(user=user)}
