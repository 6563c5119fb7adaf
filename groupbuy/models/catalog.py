"""Suppliers, their offers and the offers' photos."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Community
from groupbuy.models.common import MONEY


class Supplier(models.Model):
    name = models.CharField(_("name"), max_length=120)
    contact_name = models.CharField(_("contact person"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    categories = models.CharField(_("categories"), max_length=200, blank=True, help_text=_("comma-separated"))
    is_supply_guaranteed = models.BooleanField(_("on the supply-guarantee list (保供企业)"), default=False)
    # The community whose leaders registered the supplier; offers can be used in pools across communities.
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="suppliers")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Offer(models.Model):
    """What a supplier sells (套餐/商品): a unit, a price to residents and a cost from the supplier."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="offers")
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=40, blank=True)
    unit = models.CharField(_("unit"), max_length=10, default="份", help_text=_("e.g. 份, 斤, 箱"))
    unit_price = models.DecimalField(_("price to residents"), **MONEY)
    supplier_cost = models.DecimalField(_("supplier cost"), **MONEY)
    # The supplier ships whole packs of this many units (e.g. 10-斤 boxes); 1 = no packs.
    pack_size = models.PositiveIntegerField(_("pack size"), default=1)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["supplier_id", "title"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="offer_price_nonnegative"),
            models.CheckConstraint(condition=Q(supplier_cost__gte=0), name="offer_cost_nonnegative"),
            models.CheckConstraint(condition=Q(pack_size__gte=1), name="offer_pack_size_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class PhotoStatus(models.TextChoices):
    PENDING = "pending", _("processing")
    READY = "ready", _("ready")
    FAILED = "failed", _("failed")


class OfferPhoto(models.Model):
    """A product photo. The upload is validated in the request and re-encoded
    (EXIF stripped, thumbnail made) by a Celery task after commit."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="photos")
    status = models.CharField(max_length=10, choices=PhotoStatus.choices, default=PhotoStatus.PENDING)
    source = models.FileField(upload_to="incoming/", blank=True)  # raw upload, removed once processed
    image = models.FileField(upload_to="offers/", blank=True)
    thumbnail = models.FileField(upload_to="offers/", blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # When processing was last requested; the sweep re-enqueues pending photos whose task was lost.
    queued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        # The sweep's repair reads pending photos only (a handful), not every processed photo.
        indexes = [models.Index(fields=["queued_at"], condition=Q(status="pending"), name="offerphoto_pending")]

    def __str__(self) -> str:
        return f"photo {self.pk} of offer {self.offer_id}"
