"""Explicit input and output serializers for the group-buy API.

Input serializers list only what a client may set: status, counters and the frozen prices of
a buy are not input fields, so a body that sends them changes nothing. Quantities and MOQ
values are passed to the services as sent, so a bad value gets the same coded error
(invalid_quantity, invalid_moq, ...) on the API as on the pages.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.display import public_identity
from groupbuy.models import AllocationRule, BuyKind, DistributionMode, GroupBuy, MoqKind, PhotoStatus, max_length_of


class ShareTextOut(serializers.Serializer):
    text = serializers.CharField(help_text="The ready-to-paste WeChat 接龙 message, in the request's language.")
    link = serializers.CharField(help_text="The buy's absolute address, as in the text.")


class ErrorOut(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine code, e.g. group_buy_closed, over_cap.")
    message = serializers.CharField(help_text="Translated message for people.")
    detail = serializers.JSONField(allow_null=True)


# --- shared bits ------------------------------------------------------------------------------------------------


# Photo links: a path on this site (e.g. /buys/photos/2/thumb/, which the schema declared a full URI), null while
# there is no (processed) photo.
NULLABLE_PATH = serializers.CharField(allow_null=True, read_only=True)


def photo_url(photo_id: int | None, variant: str = "thumb") -> str | None:
    if not photo_id:
        return None
    return reverse("groupbuy:offer_photo", kwargs={"pk": photo_id, "variant": variant})


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "integer", "minimum": 0},
        "description": "Buy item id -> quantity (whole number).",
        "example": {"12": 2},
    }
)
class QuantitiesField(serializers.Field):
    """Passed to the service untouched: it refuses bad ids and quantities with coded errors."""

    def to_internal_value(self, data: Any) -> Any:
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class LineOut(serializers.Serializer):
    item_id = serializers.IntegerField()
    quantity = serializers.IntegerField()


class EntryLineOut(LineOut):
    tolerance = serializers.IntegerField(help_text="Extra units the household would take to fill a pack.")


class ProgressOut(serializers.Serializer):
    counts = serializers.CharField(help_text="What the minimum counts: `units` of the main item or `amount` in yuan.")
    current = serializers.DecimalField(max_digits=14, decimal_places=2)
    moq = serializers.DecimalField(max_digits=14, decimal_places=2)
    remaining = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="How much more is needed to form (0 when formed)."
    )
    percent = serializers.IntegerField()
    reached = serializers.BooleanField()

    def to_representation(self, progress: Any) -> dict[str, Any]:
        return super().to_representation(
            {
                "counts": MoqKind.UNITS if progress.counts_units else MoqKind.AMOUNT,
                "current": progress.current,
                "moq": progress.moq,
                "remaining": progress.remaining,
                "percent": progress.percent,
                "reached": progress.reached,
            }
        )


class BuyItemOut(serializers.Serializer):
    id = serializers.IntegerField()
    offer_id = serializers.IntegerField()
    title = serializers.CharField(source="offer.title")
    description = serializers.CharField(source="offer.description")
    unit = serializers.CharField(source="offer.unit")
    is_main = serializers.BooleanField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    supplier_cost = serializers.DecimalField(max_digits=12, decimal_places=2)
    markup = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="Price minus supplier cost.")
    markup_percent = serializers.IntegerField(allow_null=True)
    cap = serializers.IntegerField(allow_null=True)
    total_quantity = serializers.IntegerField()
    photo_url = serializers.SerializerMethodField()

    @extend_schema_field(NULLABLE_PATH)
    def get_photo_url(self, item: Any) -> str | None:
        return photo_url(getattr(item, "photo_id", None))


class BuyOut(serializers.Serializer):
    id = serializers.IntegerField()
    community_id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=BuyKind.choices)
    status = serializers.CharField()
    moq_kind = serializers.ChoiceField(choices=MoqKind.choices)
    moq = serializers.DecimalField(max_digits=12, decimal_places=2)
    household_limit = serializers.IntegerField(allow_null=True)
    deadline = serializers.DateTimeField()
    delivery_date = serializers.DateField()
    distribution_mode = serializers.ChoiceField(choices=DistributionMode.choices)
    close_when_formed = serializers.BooleanField()
    drop_point = serializers.CharField()
    entry_count = serializers.IntegerField()
    total_units = serializers.IntegerField()
    total_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    signup_open = serializers.BooleanField()
    seconds_left = serializers.IntegerField()
    progress = ProgressOut()
    items = BuyItemOut(many=True, source="item_list")
    photo_url = serializers.SerializerMethodField()

    @extend_schema_field(NULLABLE_PATH)
    def get_photo_url(self, buy: Any) -> str | None:
        return photo_url(getattr(buy, "photo_id", None))


class PublicRowOut(serializers.Serializer):
    """One line of the public 接龙 list: number, masked identity, quantities. Never a phone."""

    seq = serializers.IntegerField()
    identity = serializers.CharField(help_text="`12-301 王**`")
    lines = serializers.SerializerMethodField()

    @extend_schema_field(LineOut(many=True))
    def get_lines(self, row: Any) -> list[dict[str, int]]:
        return [{"item_id": item.pk, "quantity": q} for item, q in row.lines]


class ContactRowOut(PublicRowOut):
    """The leader's / data volunteer's view of a line, with contact details."""

    entry_id = serializers.IntegerField(source="entry.pk")
    household = serializers.CharField(source="entry.household.label")
    contact_name = serializers.CharField()
    contact_phone = serializers.CharField()
    is_proxy = serializers.BooleanField()
    placed_by_name = serializers.CharField()
    units = serializers.IntegerField(source="entry.units")
    amount = serializers.DecimalField(source="entry.amount", max_digits=12, decimal_places=2)
    note = serializers.CharField(source="entry.note")


class EntryOut(serializers.Serializer):
    id = serializers.IntegerField()
    buy_id = serializers.IntegerField()
    buy_title = serializers.CharField(source="buy.title")
    buy_status = serializers.CharField(source="buy.status")
    seq = serializers.IntegerField()
    status = serializers.CharField()
    household = serializers.CharField(source="household.label")
    identity = serializers.SerializerMethodField()
    units = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    note = serializers.CharField()
    lines = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_identity(self, entry: Any) -> str:
        return _entry_identity(entry)

    @extend_schema_field(EntryLineOut(many=True))
    def get_lines(self, entry: Any) -> list[dict[str, int]]:
        return _entry_lines(entry)

    @classmethod
    def answer(cls, entry: Any) -> dict[str, Any]:
        """`EntryOut(entry).data` without DRF's per-instance set-up (a deep copy of every field, then a pass over
        them): the sign-up answers with it on every request. The amount and the time are formatted by this
        class's own fields; tests/groupbuy/test_api.py checks it equals `.data`, key for key."""
        fields = cls._declared_fields
        return {
            "id": int(entry.pk),
            "buy_id": int(entry.buy_id),
            "buy_title": str(entry.buy.title),
            "buy_status": str(entry.buy.status),
            "seq": int(entry.seq),
            "status": str(entry.status),
            "household": str(entry.household.label),
            "identity": _entry_identity(entry),
            "units": int(entry.units),
            "amount": fields["amount"].to_representation(entry.amount),
            "note": str(entry.note),
            "lines": _entry_lines(entry),
            "created_at": fields["created_at"].to_representation(entry.created_at),
        }


def _entry_identity(entry: Any) -> str:
    return public_identity(entry.household.label, entry.display_name)


def _entry_lines(entry: Any) -> list[dict[str, int]]:
    # An entry just made carries the lines it wrote (signup_create); otherwise they are read or prefetched.
    lines = getattr(entry, "written_lines", None)
    return [
        {"item_id": line.item_id, "quantity": line.quantity, "tolerance": line.tolerance}
        for line in (entry.lines.all() if lines is None else lines)
    ]


class BuyDetailOut(BuyOut):
    description = serializers.CharField()
    allocation_rule = serializers.ChoiceField(choices=AllocationRule.choices)
    cancel_reason = serializers.CharField()
    public_list = PublicRowOut(many=True)
    my_entry_id = serializers.IntegerField(allow_null=True)


class OrderLineOut(serializers.Serializer):
    title = serializers.CharField()
    unit = serializers.CharField()
    quantity = serializers.IntegerField()
    packs = serializers.IntegerField()
    pack_size = serializers.IntegerField()
    unit_cost = serializers.DecimalField(max_digits=12, decimal_places=2)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)


class PurchaseOrderOut(serializers.Serializer):
    buy_id = serializers.IntegerField(source="buy.pk")
    title = serializers.CharField(source="buy.title")
    is_final = serializers.BooleanField(help_text="False: a preview while the list is still open.")
    delivery_date = serializers.DateField(source="buy.delivery_date")
    drop_point = serializers.CharField(source="buy.drop_point")
    suppliers = serializers.ListField(child=serializers.CharField(), source="supplier_names")
    lines = OrderLineOut(many=True)
    total_cost = serializers.DecimalField(max_digits=12, decimal_places=2)
    total_amount = serializers.DecimalField(max_digits=12, decimal_places=2)


# --- inputs -----------------------------------------------------------------------------------------------------


class EntryCreateIn(serializers.Serializer):
    quantities = QuantitiesField()
    tolerances = QuantitiesField(
        required=False,
        help_text="Pack-size items: buy item id -> extra units you would take to fill a pack (0..pack size).",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")
    household_id = serializers.IntegerField(
        required=False, allow_null=True, help_text="Proxy ordering: another household of the community."
    )
    placed_for_id = serializers.IntegerField(
        required=False, allow_null=True, help_text="Proxy ordering: the household member the entry is for."
    )


class EntryChangeIn(serializers.Serializer):
    quantities = QuantitiesField(help_text="Absolute quantities; 0 removes a line.")
    tolerances = QuantitiesField(
        required=False, help_text="Pack-size items: extra units to fill a pack (items not given keep theirs)."
    )


class BuyItemIn(serializers.Serializer):
    offer_id = serializers.IntegerField()
    cap = serializers.IntegerField(required=False, allow_null=True, default=None)
    is_main = serializers.BooleanField(required=False, default=False)


class BuyCreateIn(serializers.Serializer):
    community_id = serializers.IntegerField()
    title = serializers.CharField(max_length=max_length_of(GroupBuy, "title"))
    description = serializers.CharField(required=False, allow_blank=True, default="")
    kind = serializers.CharField()
    items = BuyItemIn(many=True, allow_empty=True)
    moq_kind = serializers.CharField()
    moq = serializers.CharField(help_text="Units of the main item, or yuan (see moq_kind).")
    household_limit = serializers.IntegerField(required=False, allow_null=True, default=None)
    deadline = serializers.DateTimeField()
    delivery_date = serializers.DateField()
    distribution_mode = serializers.CharField()
    allocation_rule = serializers.CharField(required=False, default=AllocationRule.FCFS)
    close_when_formed = serializers.BooleanField(required=False, default=False)
    drop_point = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=max_length_of(GroupBuy, "drop_point")
    )
    confirm_duplicate = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Open even though a buy of the same offer is running (otherwise 409 similar_buy_open).",
    )


class CancelIn(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=max_length_of(GroupBuy, "cancel_reason"))


class SupplierOut(serializers.Serializer):
    id = serializers.IntegerField()
    community_id = serializers.IntegerField()
    name = serializers.CharField()
    contact_name = serializers.CharField()
    phone = serializers.CharField()
    categories = serializers.CharField()
    is_supply_guaranteed = serializers.BooleanField()


class SupplierIn(serializers.Serializer):
    community_id = serializers.IntegerField()
    name = serializers.CharField(allow_blank=True)
    contact_name = serializers.CharField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(required=False, allow_blank=True, default="")
    categories = serializers.CharField(required=False, allow_blank=True, default="")
    is_supply_guaranteed = serializers.BooleanField(required=False, default=False)


class SupplierPatchIn(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True)
    contact_name = serializers.CharField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True)
    categories = serializers.CharField(required=False, allow_blank=True)
    is_supply_guaranteed = serializers.BooleanField(required=False)


class PhotoOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=PhotoStatus.choices)
    error_code = serializers.CharField()
    thumbnail_url = serializers.SerializerMethodField()
    image_url = serializers.SerializerMethodField()

    @extend_schema_field(NULLABLE_PATH)
    def get_thumbnail_url(self, photo: Any) -> str | None:
        return photo_url(photo.pk, "thumb") if photo.status == PhotoStatus.READY else None

    @extend_schema_field(NULLABLE_PATH)
    def get_image_url(self, photo: Any) -> str | None:
        return photo_url(photo.pk, "full") if photo.status == PhotoStatus.READY else None


class OfferOut(serializers.Serializer):
    id = serializers.IntegerField()
    supplier_id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    category = serializers.CharField()
    unit = serializers.CharField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    supplier_cost = serializers.DecimalField(max_digits=12, decimal_places=2)
    pack_size = serializers.IntegerField()
    is_active = serializers.BooleanField()
    photos = PhotoOut(many=True, source="photos.all")


class OfferCreateIn(serializers.Serializer):
    title = serializers.CharField(allow_blank=True)
    unit = serializers.CharField(allow_blank=True)
    unit_price = serializers.CharField(help_text="Yuan, e.g. 59 or 12.50.")
    supplier_cost = serializers.CharField(help_text="Yuan, e.g. 50.")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.CharField(required=False, allow_blank=True, default="")
    pack_size = serializers.IntegerField(required=False, default=1)


class OfferPatchIn(serializers.Serializer):
    title = serializers.CharField(required=False, allow_blank=True)
    unit = serializers.CharField(required=False, allow_blank=True)
    unit_price = serializers.CharField(required=False)
    supplier_cost = serializers.CharField(required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    category = serializers.CharField(required=False, allow_blank=True)
    pack_size = serializers.IntegerField(required=False)
    is_active = serializers.BooleanField(required=False)


class PhotoIn(serializers.Serializer):
    upload = serializers.FileField()
