"""What the accounts pages share: the community page decorator (the page kit itself is core.pages)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from accounts.models import Community
from accounts.permissions import Action, can
from core.pages import page


def community_page(action: Action) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A `core.pages.page` that loads the community from the URL and refuses (403) anyone who may not do
    `action` there; the view gets the community instead of its id."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @page
        @wraps(view)
        def wrapper(request: HttpRequest, community_id: int, *args: Any, **kwargs: Any) -> HttpResponse:
            community = get_object_or_404(Community, pk=community_id)
            if not can(request.user, action, community):
                raise PermissionDenied
            return view(request, community, *args, **kwargs)

        return wrapper

    return decorator
