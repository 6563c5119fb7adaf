"""Helpers shared by the compliance pages."""

from __future__ import annotations

from functools import wraps

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import Community
from accounts.permissions import Action, require
from compliance import selectors
from compliance.models import Filing
from core.errors import ApplicationError, NotFound, PermissionRefused


def page(view):
    """Login required; PermissionRefused → 403 and NotFound → 404 instead of a server error."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PermissionRefused as exc:
            raise PermissionDenied(str(exc.message)) from None
        except NotFound:
            raise Http404 from None

    return wrapper


def community_for(community_id: int, user, action: Action) -> Community:
    community = get_object_or_404(Community, pk=community_id)
    require(user, action, community)
    return community


def filing_or_404(pk: int) -> Filing:
    filing = selectors.filing_detail(pk=pk)
    if filing is None:
        raise Http404
    return filing


def show_error(request, form, exc: ApplicationError) -> None:
    violations = (exc.detail or {}).get("violations") if isinstance(exc.detail, dict) else None
    if violations:
        for violation in violations:
            form.add_error(None, violation["message"])
    else:
        form.add_error(None, str(exc.message))


def flash_error(request, exc: ApplicationError) -> None:
    messages.error(request, str(exc.message))


def qr_svg(data: str) -> str:
    return segno.make(data, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff")
