"""Pools across compounds, their members and invitations, and duplicate-buy notices."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Community
from groupbuy.models.buys import GroupBuy, MoqKind
from groupbuy.models.common import MONEY


class PoolStatus(models.TextChoices):
    OPEN = "open", _("collecting")
    FORMED = "formed", _("formed (成团)")
    FAILED = "failed", _("failed (流团)")
    CANCELLED = "cancelled", _("cancelled")


class Pool(models.Model):
    """Threshold pooling across compounds (区区合作): member buys of several communities for the same offers.
    The supplier's MOQ applies to the pool's total; every member buy forms (or fails) together.

    The counters are the sum of the member buys' counters, changed only by conditional UPDATEs taken under the
    pool's row lock (lock order: the pool row, then member buys in primary-key order). Once formed, the total
    never drops below the MOQ (a withdrawal that would is refused), so `formed` stays true."""

    host_buy = models.OneToOneField(GroupBuy, on_delete=models.CASCADE, related_name="hosted_pool")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=PoolStatus.choices, default=PoolStatus.OPEN)
    moq_kind = models.CharField(max_length=10, choices=MoqKind.choices, default=MoqKind.UNITS)
    moq = models.DecimalField(_("minimum order (起送量)"), max_digits=12, decimal_places=2)
    deadline = models.DateTimeField(_("pool deadline"))
    main_units = models.IntegerField(default=0)
    total_amount = models.DecimalField(default=Decimal("0"), **MONEY)
    member_count = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    formed_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("pool")
        verbose_name_plural = _("pools")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "deadline"])]
        constraints = [
            models.CheckConstraint(condition=Q(main_units__gte=0), name="pool_units_nonnegative"),
            models.CheckConstraint(condition=Q(total_amount__gte=0), name="pool_amount_nonnegative"),
            models.CheckConstraint(condition=Q(member_count__gte=0), name="pool_members_nonnegative"),
            models.CheckConstraint(condition=Q(moq__gt=0), name="pool_moq_positive"),
            # Last line of defence for "a formed pool is never below its MOQ".
            models.CheckConstraint(
                condition=~Q(status="formed")
                | Q(moq_kind=MoqKind.UNITS, main_units__gte=F("moq"))
                | Q(moq_kind=MoqKind.AMOUNT, total_amount__gte=F("moq")),
                name="pool_formed_at_moq",
            ),
        ]

    def __str__(self) -> str:
        return f"pool {self.pk}"

    @property
    def moq_progress(self) -> Decimal:
        return Decimal(self.main_units) if self.moq_kind == MoqKind.UNITS else self.total_amount

    @property
    def moq_percent(self) -> int:
        return min(100, int(self.moq_progress * 100 / self.moq)) if self.moq else 100


class PoolMemberStatus(models.TextChoices):
    ACTIVE = "active", _("in the pool")
    LEFT = "left", _("left the pool")


class PoolMember(models.Model):
    """One community's buy in a pool (its residents, its deadline, its gate, its filing and distribution)."""

    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, related_name="members")
    buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="pool_memberships")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # 帮卖: the host buy's leader shared it into another community where they are also a leader.
    is_helper = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=PoolMemberStatus.choices, default=PoolMemberStatus.ACTIVE)
    joined_at = models.DateTimeField(auto_now_add=True)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pool_id", "buy_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pool", "community"], condition=Q(status="active"), name="poolmember_one_per_community"
            ),
            models.UniqueConstraint(fields=["buy"], condition=Q(status="active"), name="poolmember_one_pool_per_buy"),
        ]

    def __str__(self) -> str:
        return f"buy {self.buy_id} in pool {self.pool_id}"


class PoolInvitation(models.Model):
    """The pool's host offered it to the leaders of a neighbouring community."""

    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, related_name="invitations")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="pool_invitations")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["pool", "community"], name="poolinvitation_unique")]

    def __str__(self) -> str:
        return f"pool {self.pool_id} offered to {self.community_id}"


class DuplicateReason(models.TextChoices):
    SAME_OFFER = "same_offer", _("same product")
    SAME_SUPPLIER_CATEGORY = "same_supplier_category", _("same supplier and category")


class DuplicateBuyNotice(models.Model):
    """A leader opened a buy although another one for the same product was running (split demand).
    Recorded so other leaders see it on the board."""

    buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="duplicate_notices")
    other_buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=24, choices=DuplicateReason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["buy", "other_buy"], name="duplicatenotice_unique")]

    def __str__(self) -> str:
        return f"buy {self.buy_id} duplicates {self.other_buy_id}"
