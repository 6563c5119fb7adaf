"""Share links (issue 15): the one place a buy's public short link is made, reset and turned into an address.

Every caller that shows or encodes the buy's share address (the 接龙 text, the share-text API, the poster's QR,
the lobby sheet's QR) calls `share_link_for`, so they all carry the same, current link."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.permissions import require_buy_leader
from groupbuy.models import GroupBuy, ShareLink
from groupbuy.services.transitions import buys_touch

TOKEN_BYTES = 18  # 144 random bits, 24 URL-safe characters


def _insert_live(*, buy_id: int, actor: User | None) -> ShareLink:
    """Insert a live link unless the buy has one (the partial unique constraint decides, so a race inserts one),
    then return the live one."""
    ShareLink.objects.bulk_create(
        [ShareLink(buy_id=buy_id, token=secrets.token_urlsafe(TOKEN_BYTES), created_by=actor)], ignore_conflicts=True
    )
    return ShareLink.objects.get(buy_id=buy_id, revoked_at__isnull=True)


def share_link_make(*, buy_id: int, actor: User | None) -> None:
    """Give a new buy its live link, in the transaction that creates the buy (buy_create, a pool's member buy):
    showing a buy never has to write. Buys made before links existed got theirs in migration 0010."""
    ShareLink.objects.create(buy_id=buy_id, token=secrets.token_urlsafe(TOKEN_BYTES), created_by=actor)


def share_link_get_or_create(*, buy: GroupBuy, actor: User | None = None) -> ShareLink:
    """The buy's live share link, made on first use. Idempotent under races: get-or-create on the constraint."""
    live = ShareLink.objects.filter(buy_id=buy.pk, revoked_at__isnull=True).first()
    return live or _insert_live(buy_id=buy.pk, actor=actor)


def share_link_reset(*, actor: User, buy: GroupBuy) -> ShareLink:
    """The leader of the buy revokes its live link (its address then answers 404) and gets a new one. Two resets
    at once end with one new live link: the second one's revoke finds nothing left and its insert yields."""
    require_buy_leader(actor, buy)
    with transaction.atomic():
        # The buy's row first (the page's share text carries the link: no 304 may keep the old one): it also
        # queues concurrent resets one behind the other. Taken after the revoke, it deadlocked two resets: one
        # held the buy and its insert waited on the other's revoke of the link it had just made live, while the
        # other waited for the buy.
        buys_touch(buy_id=buy.pk)
        ShareLink.objects.filter(buy_id=buy.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        return _insert_live(buy_id=buy.pk, actor=actor)


def share_link_for(buy: GroupBuy, request: HttpRequest | None = None) -> str:
    """The buy's share address: absolute (request.build_absolute_uri) when a request is given, else the path.
    Every buy gets its link when it is made (share_link_make); the insert here only covers a buy made some other
    way (the admin, a script) and still yields to the constraint under a race.
    Callers have already decided the viewer may share the buy (`share_allowed`)."""
    token = getattr(buy, "share_token", None)  # annotated by buy_get: no query once the link exists
    if token is None:
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
        # buy_get found none a moment ago: insert straight away (a race still yields to the constraint)
        token = (
            _insert_live(buy_id=buy.pk, actor=actor)
            if hasattr(buy, "share_token")
            else share_link_get_or_create(buy=buy, actor=actor)
        ).token
    path = reverse("share:preview", args=[token])
    return request.build_absolute_uri(path) if request is not None else path
