"""Lookups shared by the compliance pages (the page kit itself is core.pages)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import Community
from accounts.permissions import Action, require
from compliance import selectors
from compliance.models import Filing


def community_for(community_id: int, user, action: Action) -> Community:
    """The community in the URL, if `user` may do `action` there (else PermissionRefused → 403 page)."""
    community = get_object_or_404(Community, pk=community_id)
    require(user, action, community)
    return community


def filing_or_404(pk: int) -> Filing:
    filing = selectors.filing_get(pk=pk)
    if filing is None:
        raise Http404
    return filing
