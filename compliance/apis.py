"""The compliance REST API: the same services as the pages."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Community
from accounts.permissions import Action, require
from compliance import exceptions as errors
from compliance import selectors
from compliance.models import Filing, Suspension
from compliance.serializers import (
    ApprovalSlipSerializer,
    ArrivalSerializer,
    AuditReportSerializer,
    DeliveryEvidenceInSerializer,
    DeliveryEvidenceSerializer,
    DeliveryPolicyOutSerializer,
    DeliveryPolicySerializer,
    DisinfectedSerializer,
    FilingDetailSerializer,
    FilingInSerializer,
    FilingOutSerializer,
    FilingRejectSerializer,
    SlipVerifyInSerializer,
    SlipVerifyOutSerializer,
    SuspensionInSerializer,
    SuspensionOutSerializer,
)
from compliance.services import delivery, filings, gate, policy, review
from compliance.services.audit import audit_chain_verify
from core.api import valid
from core.errors import NotFound
from groupbuy.models import GroupBuy


def _filing(pk: int) -> Filing:
    filing = selectors.filing_get(pk=pk)
    if filing is None:
        raise NotFound()
    return filing


def _detail(request, filing: Filing) -> dict:
    filing = selectors.filing_get(pk=filing.pk)
    see = selectors.delivery_visibility(user=request.user, filing=filing)
    if not see["delivery"]:
        raise errors.forbidden()
    data = FilingOutSerializer(filing).data
    data["evidence"] = DeliveryEvidenceSerializer(filing.evidence.all(), many=True).data
    data["documents"] = (
        FilingDetailSerializer().fields["documents"].to_representation(filing.documents.all())
        if see["documents"]
        else []
    )
    slip = getattr(filing, "slip", None) if see["slip"] else None
    data["slip"] = ApprovalSlipSerializer(slip).data if slip else None
    return data


class PolicyApi(APIView):
    @extend_schema(responses=DeliveryPolicyOutSerializer)
    def get(self, request, community_id: int):
        require(request.user, Action.VIEW, community_id)
        return Response(DeliveryPolicySerializer(selectors.policy_get(community=community_id)).data)

    @extend_schema(request=DeliveryPolicySerializer, responses=DeliveryPolicyOutSerializer)
    def put(self, request, community_id: int):
        community = get_object_or_404(Community, pk=community_id)
        result = policy.policy_update(
            actor=request.user, community=community, **valid(DeliveryPolicySerializer, request.data)
        )
        return Response(DeliveryPolicySerializer(result).data)


class SuspensionListApi(APIView):
    @extend_schema(responses=SuspensionOutSerializer(many=True))
    def get(self, request, community_id: int):
        community = get_object_or_404(Community, pk=community_id)
        require(request.user, Action.VIEW, community)
        rows = selectors.suspension_list(community=community)[:100]
        return Response(SuspensionOutSerializer(rows, many=True).data)

    @extend_schema(request=SuspensionInSerializer, responses={201: SuspensionOutSerializer})
    def post(self, request, community_id: int):
        community = get_object_or_404(Community, pk=community_id)
        suspension = policy.suspension_create(
            actor=request.user, community=community, **valid(SuspensionInSerializer, request.data)
        )
        return Response(SuspensionOutSerializer(suspension).data, status=201)


class SuspensionLiftApi(APIView):
    @extend_schema(request=None, responses=SuspensionOutSerializer)
    def post(self, request, pk: int):
        suspension = get_object_or_404(Suspension, pk=pk)
        result = policy.suspension_lift(actor=request.user, suspension=suspension)
        return Response(SuspensionOutSerializer(result).data)


class QueueApi(APIView):
    @extend_schema(responses=FilingDetailSerializer(many=True))
    def get(self, request, community_id: int):
        community = get_object_or_404(Community, pk=community_id)
        require(request.user, Action.REVIEW_FILING, community)
        rows = selectors.review_queue_list(community=community)
        data = []
        for filing in rows:
            item = FilingOutSerializer(filing).data
            item["documents"] = FilingDetailSerializer().fields["documents"].to_representation(filing.documents.all())
            data.append(item)
        return Response(data)


class FilingCreateApi(APIView):
    """GET: the delivery filing of a buy (for anyone who may see it). POST: file it (the buy's leader)."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses=FilingDetailSerializer)
    def get(self, request, buy_id: int):
        found = selectors.buy_filing_get(buy_id=buy_id)
        if found is None:
            raise NotFound()
        return Response(_detail(request, found))

    @extend_schema(request=FilingInSerializer, responses={201: FilingDetailSerializer})
    def post(self, request, buy_id: int):
        buy = get_object_or_404(GroupBuy, pk=buy_id)
        serializer = FilingInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        filing = filings.filing_submit(actor=request.user, buy=buy, **serializer.service_kwargs())
        return Response(_detail(request, filing), status=201)


class FilingDetailApi(APIView):
    @extend_schema(responses=FilingDetailSerializer)
    def get(self, request, pk: int):
        return Response(_detail(request, _filing(pk)))


class FilingResubmitApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=FilingInSerializer, responses=FilingDetailSerializer)
    def post(self, request, pk: int):
        filing = _filing(pk)
        serializer = FilingInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        filings.filing_resubmit(actor=request.user, filing=filing, **serializer.service_kwargs())
        return Response(_detail(request, filing))


class FilingApproveApi(APIView):
    @extend_schema(request=None, responses=FilingDetailSerializer)
    def post(self, request, pk: int):
        filing = _filing(pk)
        review.filing_approve(actor=request.user, filing=filing)
        return Response(_detail(request, filing))


class FilingRejectApi(APIView):
    parser_classes = [JSONParser, FormParser]

    @extend_schema(request=FilingRejectSerializer, responses=FilingDetailSerializer)
    def post(self, request, pk: int):
        filing = _filing(pk)
        review.filing_reject(actor=request.user, filing=filing, reason=str(request.data.get("reason", "")))
        return Response(_detail(request, filing))


class ArrivalApi(APIView):
    @extend_schema(request=ArrivalSerializer, responses=FilingDetailSerializer)
    def post(self, request, pk: int):
        filing = _filing(pk)
        delivery.arrival_record(actor=request.user, filing=filing, **valid(ArrivalSerializer, request.data))
        return Response(_detail(request, filing))


class EvidenceApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=DeliveryEvidenceInSerializer, responses={201: DeliveryEvidenceSerializer})
    def post(self, request, pk: int):
        filing = _filing(pk)
        evidence = delivery.evidence_add(actor=request.user, filing=filing, upload=request.FILES.get("file"))
        return Response(DeliveryEvidenceSerializer(evidence).data, status=201)


class DisinfectedApi(APIView):
    @extend_schema(request=DisinfectedSerializer, responses=FilingDetailSerializer)
    def post(self, request, pk: int):
        filing = _filing(pk)
        delivery.disinfection_finish(actor=request.user, filing=filing, **valid(DisinfectedSerializer, request.data))
        return Response(_detail(request, filing))


class ReleaseApi(APIView):
    @extend_schema(request=None, responses=FilingDetailSerializer)
    def post(self, request, pk: int):
        filing = _filing(pk)
        delivery.delivery_release(actor=request.user, filing=filing)
        return Response(_detail(request, filing))


class VerifySlipApi(APIView):
    @extend_schema(request=SlipVerifyInSerializer, responses=SlipVerifyOutSerializer)
    def post(self, request, community_id: int):
        community = get_object_or_404(Community, pk=community_id)
        result = gate.slip_verify(
            actor=request.user, community=community, code=valid(SlipVerifyInSerializer, request.data)["code"]
        )
        filing = result.slip.filing if result.slip else None
        # Through the serializer, so times read in the site's time zone (+08:00) like every other endpoint.
        return Response(
            SlipVerifyOutSerializer(
                {
                    "result": result.result,
                    "message": str(result.label),
                    "vehicle_plate": filing.vehicle_plate if filing else None,
                    "arrival_start": filing.arrival_start if filing else None,
                    "arrival_end": filing.arrival_end if filing else None,
                    "arrived_at": result.slip.consumed_at if result.slip else None,
                    "goods": result.lines,
                }
            ).data
        )


class AuditVerifyApi(APIView):
    @extend_schema(responses=AuditReportSerializer)
    def get(self, request, community_id: int):
        community = get_object_or_404(Community, pk=community_id)
        require(request.user, Action.VIEW_AUDIT, community)
        report = audit_chain_verify(community_id=community.pk)
        return Response({"ok": report.ok, "checked": report.checked, "problems": report.problems})
