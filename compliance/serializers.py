"""API input/output shapes. Rules live in the services."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from compliance.models import WEEKDAY_NAMES


class DeliveryPolicySerializer(serializers.Serializer):
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), help_text="0 = Monday … 6 = Sunday"
    )
    # The upper bound (MAX_LEAD_HOURS) is the service's rule, so the page and the API refuse alike.
    lead_hours = serializers.IntegerField(min_value=0, help_text="File at least this many hours before arrival")
    gate_opens = serializers.TimeField()
    gate_closes = serializers.TimeField()
    public_previews = serializers.BooleanField(
        required=False, help_text="Shared buys' short links show a public preview (absent: unchanged)"
    )

    def to_representation(self, instance):
        return {
            "weekdays": sorted(instance.weekday_set),
            "weekday_names": [str(WEEKDAY_NAMES[d]) for d in sorted(instance.weekday_set)],
            "lead_hours": instance.lead_hours,
            "gate_opens": instance.gate_opens.strftime("%H:%M"),
            "gate_closes": instance.gate_closes.strftime("%H:%M"),
            "public_previews": instance.public_previews,
        }


class DeliveryPolicyOutSerializer(serializers.Serializer):
    weekdays = serializers.ListField(child=serializers.IntegerField())
    weekday_names = serializers.ListField(child=serializers.CharField())
    lead_hours = serializers.IntegerField()
    gate_opens = serializers.CharField()
    gate_closes = serializers.CharField()
    public_previews = serializers.BooleanField()


class SuspensionInSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    reason = serializers.CharField(max_length=300)


class SuspensionOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    reason = serializers.CharField()
    lifted_at = serializers.DateTimeField(allow_null=True)


class FilingInSerializer(serializers.Serializer):
    gate = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    arrival_start = serializers.DateTimeField()
    arrival_end = serializers.DateTimeField()
    vehicle_plate = serializers.CharField(max_length=20)
    driver_name = serializers.CharField(max_length=40)
    test_sampled_at = serializers.DateTimeField()
    qualification = serializers.FileField(required=False)
    vehicle_pass = serializers.FileField(required=False)
    test_report = serializers.FileField(required=False)

    def service_kwargs(self) -> dict:
        data = dict(self.validated_data)
        documents = {k: data.pop(k) for k in ("qualification", "vehicle_pass", "test_report") if k in data}
        return {**data, "documents": documents}


class FilingLineSerializer(serializers.Serializer):
    title = serializers.CharField()
    unit = serializers.CharField()
    quantity = serializers.IntegerField()


class FilingDocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    content_type = serializers.CharField()
    url = serializers.SerializerMethodField()

    def get_url(self, obj) -> str:
        return reverse("compliance:document_file", kwargs={"pk": obj.pk})


class DeliveryEvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    def get_url(self, obj) -> str | None:
        return reverse("compliance:evidence_file", kwargs={"pk": obj.pk}) if obj.status == "ready" else None


class ApprovalSlipSerializer(serializers.Serializer):
    code = serializers.CharField(source="display_code")
    valid_from = serializers.DateTimeField()
    valid_until = serializers.DateTimeField()


class FilingOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    buy_id = serializers.IntegerField()
    buy_title = serializers.CharField(source="buy.title")
    delivery_status = serializers.CharField(source="buy.status")
    status = serializers.CharField()
    revision = serializers.IntegerField()
    gate = serializers.CharField()
    arrival_start = serializers.DateTimeField()
    arrival_end = serializers.DateTimeField()
    vehicle_plate = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    reject_reason = serializers.CharField()
    arrived_at = serializers.DateTimeField(allow_null=True)
    disinfected_at = serializers.DateTimeField(allow_null=True)
    released_at = serializers.DateTimeField(allow_null=True)
    lines = FilingLineSerializer(many=True)


class FilingDetailSerializer(FilingOutSerializer):
    documents = FilingDocumentSerializer(many=True, required=False)
    evidence = DeliveryEvidenceSerializer(many=True)
    slip = ApprovalSlipSerializer(required=False, allow_null=True)


class FilingRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class ArrivalSerializer(serializers.Serializer):
    receivers = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class DisinfectedSerializer(serializers.Serializer):
    finished_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class DeliveryEvidenceInSerializer(serializers.Serializer):
    file = serializers.FileField()


class SlipVerifyInSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20)


class SlipVerifyOutSerializer(serializers.Serializer):
    result = serializers.CharField()
    message = serializers.CharField()
    vehicle_plate = serializers.CharField(allow_null=True)
    arrival_start = serializers.DateTimeField(allow_null=True)
    arrival_end = serializers.DateTimeField(allow_null=True)
    arrived_at = serializers.DateTimeField(allow_null=True, help_text="when the slip was used")
    goods = FilingLineSerializer(many=True)


class AuditReportSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    checked = serializers.IntegerField()
    problems = serializers.ListField(child=serializers.DictField())
