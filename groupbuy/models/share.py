"""Public share links (issue 15): an unguessable token per buy behind /s/<token>/, which the leader may reset."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from groupbuy.models.buys import GroupBuy


class ShareLink(models.Model):
    """A buy's short link. At most one live (unrevoked) link per buy, by the partial unique constraint: creating
    one is an insert that does nothing on conflict, so two requests racing both end with the same link. A reset
    revokes the live one (its address then answers 404) and makes a new token."""

    buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="share_links")
    # secrets.token_urlsafe(18): 24 URL-safe characters, 144 random bits; never derived from the id.
    token = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("share link")
        verbose_name_plural = _("share links")
        constraints = [
            models.UniqueConstraint(
                fields=["buy"], condition=Q(revoked_at__isnull=True), name="share_link_one_live_per_buy"
            ),
        ]

    def __str__(self) -> str:
        return f"share link of buy {self.buy_id}"
