"""Header data for every page: the current community and the unread notice count."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from accounts.selectors import unread_count


def navigation(request):
    """`unread_count` is counted when a template first shows it (once), not when a view gave its own (a kept
    page's key counted it already: groupbuy.views.page_cache)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_count": SimpleLazyObject(lambda: unread_count(user=user))}
