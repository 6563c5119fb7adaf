"""Settlement API serializers: `Settlement<Thing>Out` shapes a response, `Settlement<Thing>In` a request body.

Input serializers only shape the payload; the services validate values and raise coded errors.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from settlement.models import (
    ChangeDefault,
    Donation,
    PaymentMethod,
    ProblemKind,
    Resolution,
    ResponseChoice,
)


class SettlementPaymentOut(serializers.Serializer):
    entry_id = serializers.IntegerField()
    state = serializers.CharField()
    method = serializers.CharField()
    marked_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    paid = serializers.DecimalField(max_digits=12, decimal_places=2)
    confirmed_at = serializers.DateTimeField(allow_null=True)


class SettlementRefundOut(serializers.Serializer):
    id = serializers.IntegerField()
    entry_id = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    reason = serializers.CharField()
    state = serializers.CharField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


class SettlementReconRowOut(serializers.Serializer):
    entry_id = serializers.IntegerField(source="entry.pk")
    seq = serializers.IntegerField(source="entry.seq")
    household = serializers.CharField(source="entry.household.label")
    name = serializers.CharField(source="entry.display_name")
    entry_status = serializers.CharField(source="entry.status")
    owed = serializers.DecimalField(max_digits=12, decimal_places=2)
    paid = serializers.DecimalField(max_digits=12, decimal_places=2)
    pending = serializers.DecimalField(max_digits=12, decimal_places=2)
    refunded = serializers.DecimalField(max_digits=12, decimal_places=2)
    due = serializers.DecimalField(max_digits=12, decimal_places=2)
    state = serializers.CharField()
    overdue = serializers.BooleanField()
    mismatch = serializers.BooleanField()
    overpaid = serializers.BooleanField()


class SettlementReconTotalsOut(serializers.Serializer):
    expected = serializers.DecimalField(max_digits=14, decimal_places=2, default=0)
    marked = serializers.DecimalField(max_digits=14, decimal_places=2, default=0)
    confirmed = serializers.DecimalField(max_digits=14, decimal_places=2, default=0)
    refunded = serializers.DecimalField(max_digits=14, decimal_places=2, default=0)
    outstanding = serializers.DecimalField(max_digits=14, decimal_places=2, default=0)


class SettlementReconciliationOut(serializers.Serializer):
    totals = SettlementReconTotalsOut()
    counts = serializers.DictField(child=serializers.IntegerField())
    rows = SettlementReconRowOut(many=True)


class SettlementResponseOut(serializers.Serializer):
    entry_seq = serializers.IntegerField(source="entry.seq")
    choice = serializers.CharField()
    quantity = serializers.IntegerField()
    amount_delta = serializers.DecimalField(max_digits=12, decimal_places=2)
    by_default = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class SettlementPriceChangeOut(serializers.Serializer):
    id = serializers.IntegerField()
    item_id = serializers.IntegerField()
    item = serializers.CharField(source="item.offer.title")
    old_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    new_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    new_offer_id = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()
    deadline = serializers.DateTimeField()
    default_action = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    responses = SettlementResponseOut(many=True)


class SettlementArrivalOut(serializers.Serializer):
    item_id = serializers.IntegerField()
    ordered = serializers.IntegerField()
    arrived = serializers.IntegerField()
    rule = serializers.CharField()


class SettlementPickupOut(serializers.Serializer):
    entry_id = serializers.IntegerField()
    state = serializers.CharField()
    handed_over_at = serializers.DateTimeField(allow_null=True)


class SettlementProgressOut(serializers.Serializer):
    building_id = serializers.IntegerField()
    building = serializers.CharField()
    total = serializers.IntegerField()
    handed = serializers.IntegerField()


class SettlementReportOut(serializers.Serializer):
    id = serializers.IntegerField()
    entry_seq = serializers.IntegerField(source="entry.seq")
    item_id = serializers.IntegerField(allow_null=True)
    kind = serializers.CharField()
    description = serializers.CharField()
    state = serializers.CharField()
    resolution = serializers.CharField()
    resolution_note = serializers.CharField()
    refund_amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    created_at = serializers.DateTimeField()


class SettlementDonationOut(serializers.Serializer):
    """`recipient` is null unless the caller may see the vulnerable list (context `show_recipient`, from
    selectors.can_see_donation_recipients); `mine` marks the caller's own donations (they may withdraw them)."""

    id = serializers.IntegerField()
    item_id = serializers.IntegerField()
    quantity = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    recipient = serializers.SerializerMethodField()
    state = serializers.CharField()
    mine = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_recipient(self, donation: Donation) -> str | None:
        if not self.context.get("show_recipient") or donation.recipient is None:
            return None
        return donation.recipient.label

    @extend_schema_field(serializers.BooleanField())
    def get_mine(self, donation: Donation) -> bool:
        return donation.donor_id == self.context.get("user_id")


class SettlementPaymentMarkIn(serializers.Serializer):
    amount = serializers.CharField(max_length=20)
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    screenshot = serializers.FileField(required=False)


class SettlementPaymentConfirmIn(serializers.Serializer):
    amount = serializers.CharField(max_length=20, required=False, allow_blank=True)
    reject = serializers.BooleanField(required=False, default=False)


class SettlementPriceChangeIn(serializers.Serializer):
    item_id = serializers.IntegerField()
    new_price = serializers.CharField(max_length=20)
    new_cost = serializers.CharField(max_length=20, required=False, allow_blank=True)
    new_offer_id = serializers.IntegerField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=300, allow_blank=True)
    deadline = serializers.DateTimeField()
    default_action = serializers.ChoiceField(choices=ChangeDefault.choices, default=ChangeDefault.WITHDRAW)
    evidence = serializers.FileField(required=False)


class SettlementRespondIn(serializers.Serializer):
    choice = serializers.ChoiceField(choices=ResponseChoice.choices)


class SettlementArrivalsIn(serializers.Serializer):
    arrived = serializers.DictField(child=serializers.IntegerField(), help_text="{item_id: units that arrived}")


class SettlementHandoverIn(serializers.Serializer):
    code = serializers.CharField(max_length=20)
    handed = serializers.DictField(child=serializers.IntegerField(), required=False, help_text="{line_id: units}")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class SettlementReportIn(serializers.Serializer):
    kind = serializers.CharField(max_length=10, help_text=" | ".join(ProblemKind.values))
    description = serializers.CharField(max_length=500, allow_blank=True)
    item_id = serializers.IntegerField(required=False, allow_null=True)
    photos = serializers.ListField(child=serializers.FileField(), required=False, max_length=4)


class SettlementResolveIn(serializers.Serializer):
    resolution = serializers.ChoiceField(choices=Resolution.choices)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    refund_amount = serializers.CharField(max_length=20, required=False, allow_blank=True)


class SettlementDonationIn(serializers.Serializer):
    item_id = serializers.IntegerField()
    quantity = serializers.IntegerField()
    recipient_id = serializers.IntegerField(required=False, allow_null=True)


class SettlementDonationActionIn(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=[("assign", "assign"), ("paid", "paid"), ("delivered", "delivered"), ("withdraw", "withdraw")]
    )
    recipient_id = serializers.IntegerField(required=False, allow_null=True)


class SettlementPickLineOut(serializers.Serializer):
    line_id = serializers.IntegerField(source="line.pk")
    item = serializers.CharField(source="title")
    unit = serializers.CharField()
    quantity = serializers.IntegerField()


class SettlementPickHouseholdOut(serializers.Serializer):
    entry_id = serializers.IntegerField(source="entry.pk")
    seq = serializers.IntegerField(source="entry.seq")
    household = serializers.CharField(source="entry.household.label")
    name = serializers.CharField()  # masked outside the caller's detail scope
    note = serializers.CharField()  # care notes: empty outside the caller's detail scope
    pickup_state = serializers.CharField(source="pickup.state", allow_null=True, default=None)
    lines = SettlementPickLineOut(many=True)


class SettlementPickDonationOut(serializers.Serializer):
    id = serializers.IntegerField()
    household = serializers.CharField(source="recipient.label")
    item = serializers.CharField(source="item.offer.title")
    quantity = serializers.IntegerField()
    state = serializers.CharField()


class SettlementPickBuildingOut(serializers.Serializer):
    building_id = serializers.IntegerField(source="building.pk")
    building = serializers.CharField(source="building.label")
    handed = serializers.IntegerField()
    total = serializers.IntegerField()
    households = SettlementPickHouseholdOut(many=True)
    donations = SettlementPickDonationOut(many=True)


class SettlementPaySummaryOut(serializers.Serializer):
    """The household's three numbers (amount_due = confirmed + awaiting + still_owed - overpaid) and stage."""

    amount_due = serializers.DecimalField(max_digits=12, decimal_places=2)
    confirmed = serializers.DecimalField(max_digits=12, decimal_places=2)
    awaiting = serializers.DecimalField(max_digits=12, decimal_places=2)
    still_owed = serializers.DecimalField(max_digits=12, decimal_places=2)
    overpaid = serializers.DecimalField(max_digits=12, decimal_places=2)
    pay_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    stage = serializers.CharField()
    stage_label = serializers.CharField()
    can_pay = serializers.BooleanField()


class SettlementPayeeOut(serializers.Serializer):
    name = serializers.CharField()
    qr_url = serializers.CharField(allow_null=True)  # null while the image is being re-encoded (or none)
    for_buy = serializers.BooleanField()  # the buy's own payee (false: the leader's default)
    updated_at = serializers.DateTimeField()


class SettlementPayPageOut(SettlementPaySummaryOut):
    entry_id = serializers.IntegerField()
    seq = serializers.IntegerField()
    note = serializers.CharField()
    payee = SettlementPayeeOut(allow_null=True)


class SettlementPayeeIn(serializers.Serializer):
    name = serializers.CharField(max_length=200, allow_blank=True, default="")
    qr_image = serializers.FileField(required=False, allow_null=True)


# --- 我的订单 (the resident's hub) -------------------------------------------------------------------------------


class SettlementOrderLineOut(serializers.Serializer):
    item_id = serializers.IntegerField()
    title = serializers.CharField(source="item.offer.title")
    unit = serializers.CharField(source="item.offer.unit")
    unit_price = serializers.DecimalField(source="item.unit_price", max_digits=12, decimal_places=2)
    quantity = serializers.IntegerField()
    allocated = serializers.IntegerField(allow_null=True)  # what the household gets, once the buy closed


class SettlementOrderReportOut(serializers.Serializer):
    id = serializers.IntegerField()
    item_id = serializers.IntegerField(allow_null=True)
    kind = serializers.CharField()
    state = serializers.CharField()
    resolution = serializers.CharField()
    refund_amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    created_at = serializers.DateTimeField()


class SettlementOrderCardOut(serializers.Serializer):
    """One card of 我的订单, as the page shows it (settlement.selectors.orders.OrderCard). `pickup_code` is null
    until the goods are released and again once they are picked up."""

    entry_id = serializers.IntegerField(source="entry.pk")
    buy_id = serializers.IntegerField(source="entry.buy_id")
    buy_title = serializers.CharField(source="entry.buy.title")
    seq = serializers.IntegerField(source="entry.seq")
    status = serializers.CharField(source="entry.status")
    identity = serializers.CharField(source="entry.identity")
    placed_by_me_for_another_household = serializers.BooleanField(source="entry.is_proxy")
    tab = serializers.CharField()
    lines = SettlementOrderLineOut(many=True)
    pay = SettlementPaySummaryOut()
    must_pay = serializers.BooleanField()
    delivery = serializers.CharField()
    delivery_label = serializers.CharField()
    pickup_code = serializers.CharField(source="pickup.code", allow_null=True, default=None)
    refunds = SettlementRefundOut(many=True)
    reports = SettlementOrderReportOut(many=True)
    can_change = serializers.BooleanField()
    can_report = serializers.BooleanField()


class SettlementOrderHubOut(serializers.Serializer):
    tab = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField())
    cards = SettlementOrderCardOut(many=True)
