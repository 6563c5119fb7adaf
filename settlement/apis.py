"""Settlement JSON API: the same selectors and services as the pages, so they cannot disagree."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import valid
from settlement import exceptions as errors
from settlement import selectors
from settlement.models import (
    AfterSalesReport,
    Donation,
    Refund,
)
from settlement.models import PriceChange as PriceChangeModel
from settlement.permissions import require_own_entry
from settlement.selectors.orders import Tab, order_hub_get
from settlement.serializers import (
    SettlementArrivalOut,
    SettlementArrivalsIn,
    SettlementDonationActionIn,
    SettlementDonationIn,
    SettlementDonationOut,
    SettlementHandoverIn,
    SettlementOrderHubOut,
    SettlementPayeeIn,
    SettlementPayeeOut,
    SettlementPaymentConfirmIn,
    SettlementPaymentMarkIn,
    SettlementPaymentOut,
    SettlementPayPageOut,
    SettlementPaySummaryOut,
    SettlementPickBuildingOut,
    SettlementPickupOut,
    SettlementPriceChangeIn,
    SettlementPriceChangeOut,
    SettlementProgressOut,
    SettlementReconciliationOut,
    SettlementRefundOut,
    SettlementReportIn,
    SettlementReportOut,
    SettlementResolveIn,
    SettlementRespondIn,
    SettlementResponseOut,
)
from settlement.services import after_sales as after_sales_services
from settlement.services import distribution as distribution_services
from settlement.services import donations as donation_services
from settlement.services import payee as payee_services
from settlement.services import payments as payment_services
from settlement.services import price_changes as change_services
from settlement.services import shortages as shortage_services


def _payment_out(payment) -> dict[str, Any]:
    return SettlementPaymentOut(payment).data


def _payee_out(account, *, qr_url: str) -> dict[str, Any] | None:
    if account is None:
        return None
    ready = selectors.payee_qr_ready(account)
    return SettlementPayeeOut(
        {
            "name": account.name,
            "qr_url": f"{qr_url}?v={int(account.updated_at.timestamp())}" if ready else None,
            "for_buy": account.buy_id is not None,
            "updated_at": account.updated_at,
        }
    ).data


def _pay_page_out(data: selectors.PayPage) -> dict[str, Any]:
    entry = data["entry"]
    qr_url = reverse("settlement:payee_qr", kwargs={"pk": entry.buy_id})
    return SettlementPayPageOut(
        {
            **data["summary"],
            "entry_id": entry.pk,
            "seq": entry.seq,
            "note": data["note"],
            "payee": _payee_out(data["payee"], qr_url=qr_url),
        }
    ).data


# --- views ----------------------------------------------------------------------------------------------------------


def _unpaid_hours(raw: str) -> int:
    """The ?hours= filter: whole hours from 0 to UNPAID_HOURS_MAX, else a coded 400 (never an overflow)."""
    try:
        hours = int(raw)
    except ValueError:
        hours = -1
    if not 0 <= hours <= selectors.UNPAID_HOURS_MAX:
        raise errors.invalid_hours(max_hours=selectors.UNPAID_HOURS_MAX)
    return hours


class ReconciliationApi(APIView):
    @extend_schema(responses=SettlementReconciliationOut, operation_id="settlement_reconciliation")
    def get(self, request: Request, pk: int) -> Response:
        buy = selectors.buy_get(user=request.user, buy_id=pk)
        hours = _unpaid_hours(request.query_params.get("hours", "24"))
        data = selectors.reconciliation_get(
            user=request.user, buy=buy, unpaid_hours=hours, state=request.query_params.get("state", "")
        )
        return Response(SettlementReconciliationOut(data).data)


class PaymentReminderApi(APIView):
    @extend_schema(request=None, responses={202: None}, operation_id="settlement_payment_remind")
    def post(self, request: Request, pk: int) -> Response:
        buy = selectors.buy_get(user=request.user, buy_id=pk)
        payment_services.payment_reminders_request(actor=request.user, buy=buy)
        return Response(status=202)


class PaymentMarkApi(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(responses=SettlementPayPageOut, operation_id="settlement_payment_get")
    def get(self, request: Request, entry_pk: int) -> Response:
        """What the payment page shows: the three numbers, the stage, the payee and the transfer note."""
        data = selectors.pay_page_get(user=request.user, entry_id=entry_pk)
        return Response(_pay_page_out(data))

    @extend_schema(
        request=SettlementPaymentMarkIn, responses=SettlementPaymentOut, operation_id="settlement_payment_mark"
    )
    def post(self, request: Request, entry_pk: int) -> Response:
        entry = selectors.entry_get(entry_id=entry_pk)
        selectors.buy_get(user=request.user, buy_id=entry.buy_id)
        data = valid(SettlementPaymentMarkIn, request.data)
        payment = payment_services.payment_mark(
            actor=request.user,
            entry=entry,
            amount=data["amount"],
            method=data["method"],
            reference=data["reference"],
            screenshot=data.get("screenshot"),
        )
        return Response(_payment_out(payment))


class PaymentConfirmApi(APIView):
    @extend_schema(
        request=SettlementPaymentConfirmIn, responses=SettlementPaymentOut, operation_id="settlement_payment_confirm"
    )
    def post(self, request: Request, entry_pk: int) -> Response:
        entry = selectors.entry_get(entry_id=entry_pk)
        selectors.buy_get(user=request.user, buy_id=entry.buy_id)
        data = valid(SettlementPaymentConfirmIn, request.data)
        if data["reject"]:
            payment = payment_services.payment_reject(actor=request.user, entry=entry)
        else:
            payment = payment_services.payment_confirm(
                actor=request.user, entry=entry, expected_amount=data.get("amount")
            )
        return Response(_payment_out(payment))


class RefundListApi(APIView):
    @extend_schema(responses=SettlementRefundOut(many=True), operation_id="settlement_refund_list")
    def get(self, request: Request, pk: int) -> Response:
        buy = selectors.buy_get(user=request.user, buy_id=pk)
        return Response(SettlementRefundOut(selectors.refund_list(user=request.user, buy=buy), many=True).data)


def _refund(request: Request, refund_pk: int) -> Refund:
    refund = Refund.objects.select_related("buy", "entry__buy").filter(pk=refund_pk).first()
    if refund is None:
        raise errors.not_found()
    selectors.buy_get(user=request.user, buy_id=refund.buy_id)
    return refund


class RefundPaidBackApi(APIView):
    @extend_schema(request=None, responses=SettlementRefundOut, operation_id="settlement_refund_paid_back")
    def post(self, request: Request, refund_pk: int) -> Response:
        refund = payment_services.refund_mark_paid_back(actor=request.user, refund=_refund(request, refund_pk))
        return Response(SettlementRefundOut(refund).data)


class RefundReceivedApi(APIView):
    @extend_schema(request=None, responses=SettlementRefundOut, operation_id="settlement_refund_received")
    def post(self, request: Request, refund_pk: int) -> Response:
        refund = payment_services.refund_confirm(actor=request.user, refund=_refund(request, refund_pk))
        return Response(SettlementRefundOut(refund).data)


class PriceChangeListApi(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(responses=SettlementPriceChangeOut(many=True), operation_id="settlement_price_change_list")
    def get(self, request: Request, pk: int) -> Response:
        buy = selectors.buy_get(user=request.user, buy_id=pk)
        return Response(SettlementPriceChangeOut(selectors.price_change_list(buy=buy), many=True).data)

    @extend_schema(
        request=SettlementPriceChangeIn,
        responses={201: SettlementPriceChangeOut},
        operation_id="settlement_price_change_propose",
    )
    def post(self, request: Request, pk: int) -> Response:
        buy = selectors.buy_get(user=request.user, buy_id=pk)
        data = valid(SettlementPriceChangeIn, request.data)
        change = change_services.price_change_propose(
            actor=request.user,
            buy=buy,
            item_id=data["item_id"],
            new_price=data["new_price"],
            new_cost=data.get("new_cost"),
            new_offer_id=data.get("new_offer_id"),
            reason=data["reason"],
            deadline=data["deadline"],
            default_action=data["default_action"],
            evidence=data.get("evidence"),
        )
        return Response(
            SettlementPriceChangeOut(selectors.price_change_list(buy=buy).get(pk=change.pk)).data, status=201
        )


class PriceChangeRespondApi(APIView):
    @extend_schema(
        request=SettlementRespondIn, responses=SettlementResponseOut, operation_id="settlement_price_change_respond"
    )
    def post(self, request: Request, change_pk: int) -> Response:
        change = PriceChangeModel.objects.filter(pk=change_pk).first()
        if change is None:
            raise errors.not_found()
        buy = selectors.buy_get(user=request.user, buy_id=change.buy_id)
        data = valid(SettlementRespondIn, request.data)
        entry = selectors.my_entry_get(user=request.user, buy=buy)
        if entry is None:
            raise errors.not_your_entry()
        response = change_services.price_change_respond(
            actor=request.user, change=change, entry=entry, choice=data["choice"]
        )
        return Response(SettlementResponseOut(response).data)


class ArrivalsApi(APIView):
    @extend_schema(
        request=SettlementArrivalsIn,
        responses={201: SettlementArrivalOut(many=True)},
        operation_id="settlement_arrivals",
    )
    def post(self, request: Request, pk: int) -> Response:
        buy = selectors.buy_get(user=request.user, buy_id=pk)
        data = valid(SettlementArrivalsIn, request.data)
        records = shortage_services.arrivals_record(actor=request.user, buy=buy, arrived=data["arrived"])
        return Response(SettlementArrivalOut(records, many=True).data, status=201)


class PickupCodesApi(APIView):
    @extend_schema(request=None, responses={200: None}, operation_id="settlement_pickup_codes_issue")
    def post(self, request: Request, pk: int) -> Response:
        buy = selectors.buy_get(user=request.user, buy_id=pk)
        created = distribution_services.pickup_codes_issue(actor=request.user, buy=buy)
        return Response({"created": created})


class HandoverApi(APIView):
    @extend_schema(request=SettlementHandoverIn, responses=SettlementPickupOut, operation_id="settlement_handover")
    def post(self, request: Request, pk: int) -> Response:
        buy = selectors.buy_get(user=request.user, buy_id=pk)
        data = valid(SettlementHandoverIn, request.data)
        pickup = distribution_services.pickup_hand_over(
            actor=request.user, buy=buy, code=data["code"], handed=data.get("handed"), note=data["note"]
        )
        return Response(SettlementPickupOut(pickup).data)


class ProgressApi(APIView):
    @extend_schema(responses=SettlementProgressOut(many=True), operation_id="settlement_distribution_progress")
    def get(self, request: Request, pk: int) -> Response:
        buy = selectors.buy_get(user=request.user, buy_id=pk)
        if not selectors.can_hand_over(request.user, buy):
            raise errors.forbidden()
        return Response(SettlementProgressOut(selectors.distribution_progress_list(buy=buy), many=True).data)


class OrderHubApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("tab", str, enum=list(Tab.ORDER), description="pay, receive, done or after"),
            OpenApiParameter("entry", int, description="open the tab holding this entry of the caller's"),
            OpenApiParameter("buy", int, description="open the tab holding the caller's entry in this buy"),
        ],
        responses=SettlementOrderHubOut,
        operation_id="settlement_orders",
    )
    def get(self, request: Request) -> Response:
        """我的订单: the caller's cards of one tab (entries of their households and those they placed) with
        payment, delivery, pickup code and after-sales, and each tab's count; the page's selector."""
        hub = order_hub_get(
            user=request.user,
            tab=request.query_params.get("tab", ""),
            entry_id=request.query_params.get("entry"),
            buy_id=request.query_params.get("buy"),
        )
        return Response(SettlementOrderHubOut(hub).data)


class MyPickupApi(APIView):
    @extend_schema(responses={200: None}, operation_id="settlement_my_settlement")
    def get(self, request: Request, pk: int) -> Response:
        """The caller's household's money, refunds and pickup code for this buy."""
        buy = selectors.buy_get(user=request.user, buy_id=pk)
        entry = selectors.my_entry_get(user=request.user, buy=buy)
        if entry is None:
            raise errors.no_entry()
        info = selectors.money_of(entry)
        pickup = selectors.pickup_get(entry=entry)
        return Response(
            {
                "entry_id": entry.pk,
                "seq": entry.seq,
                "state": info["state"],
                **{k: str(info[k]) for k in ("owed", "paid", "pending", "refunded", "due")},
                **SettlementPaySummaryOut(selectors.payment_summary_of(entry)).data,
                "refunds": SettlementRefundOut(entry.refunds.all(), many=True).data,
                "pickup_code": pickup.code if pickup else None,
                "pickup_state": pickup.state if pickup else None,
            }
        )


class AfterSalesListApi(APIView):
    @extend_schema(responses=SettlementReportOut(many=True), operation_id="settlement_after_sales_list")
    def get(self, request: Request, pk: int) -> Response:
        buy = selectors.buy_get(user=request.user, buy_id=pk)
        return Response(SettlementReportOut(selectors.after_sale_list(buy=buy), many=True).data)


class AfterSalesReportApi(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        request=SettlementReportIn, responses={201: SettlementReportOut}, operation_id="settlement_after_sales_report"
    )
    def post(self, request: Request, entry_pk: int) -> Response:
        entry = selectors.entry_get(entry_id=entry_pk)
        selectors.buy_get(user=request.user, buy_id=entry.buy_id)
        require_own_entry(request.user, entry)
        data = valid(SettlementReportIn, request.data)
        report = after_sales_services.after_sales_report(
            actor=request.user,
            entry=entry,
            kind=data["kind"],
            description=data["description"],
            item_id=data.get("item_id"),
            photos=data.get("photos") or [],
        )
        return Response(SettlementReportOut(report).data, status=201)


class AfterSalesResolveApi(APIView):
    @extend_schema(
        request=SettlementResolveIn, responses=SettlementReportOut, operation_id="settlement_after_sales_resolve"
    )
    def post(self, request: Request, report_pk: int) -> Response:
        report = AfterSalesReport.objects.select_related("buy", "entry__buy").filter(pk=report_pk).first()
        if report is None:
            raise errors.not_found()
        selectors.buy_get(user=request.user, buy_id=report.buy_id)
        data = valid(SettlementResolveIn, request.data)
        report = after_sales_services.after_sales_resolve(
            actor=request.user,
            report=report,
            resolution=data["resolution"],
            note=data["note"],
            refund_amount=data.get("refund_amount"),
        )
        return Response(SettlementReportOut(report).data)


def _donation_context(request: Request, buy) -> dict[str, Any]:
    return {"show_recipient": selectors.can_see_donation_recipients(request.user, buy), "user_id": request.user.pk}


def _donation_out(request: Request, donation_pk: int) -> dict[str, Any]:
    donation = Donation.objects.select_related("buy", "recipient").get(pk=donation_pk)
    return SettlementDonationOut(donation, context=_donation_context(request, donation.buy)).data


class DonationListApi(APIView):
    @extend_schema(responses=SettlementDonationOut(many=True), operation_id="settlement_donation_list")
    def get(self, request: Request, pk: int) -> Response:
        buy = selectors.buy_get(user=request.user, buy_id=pk)
        context = _donation_context(request, buy)
        return Response(SettlementDonationOut(selectors.donation_list(buy=buy), many=True, context=context).data)

    @extend_schema(
        request=SettlementDonationIn, responses={201: SettlementDonationOut}, operation_id="settlement_donation_add"
    )
    def post(self, request: Request, pk: int) -> Response:
        buy = selectors.buy_get(user=request.user, buy_id=pk)
        data = valid(SettlementDonationIn, request.data)
        donation = donation_services.donation_add(
            actor=request.user,
            buy=buy,
            item_id=data["item_id"],
            quantity=data["quantity"],
            recipient_id=data.get("recipient_id"),
        )
        return Response(_donation_out(request, donation.pk), status=201)


class DonationActionApi(APIView):
    @extend_schema(
        request=SettlementDonationActionIn,
        responses={200: SettlementDonationOut, 204: None},
        operation_id="settlement_donation_action",
    )
    def post(self, request: Request, donation_pk: int) -> Response:
        """assign a recipient, mark paid, hand over; or withdraw (the donor, or the buy's leader, until the close:
        204, the donation is gone and its portions are back in stock)."""
        donation = Donation.objects.select_related("buy").filter(pk=donation_pk).first()
        if donation is None:
            raise errors.not_found()
        selectors.buy_get(user=request.user, buy_id=donation.buy_id)
        data = valid(SettlementDonationActionIn, request.data)
        if data["action"] == "assign":
            donation = donation_services.donation_assign(
                actor=request.user, donation=donation, recipient_id=data.get("recipient_id")
            )
        elif data["action"] == "paid":
            donation = donation_services.donation_mark_paid(actor=request.user, donation=donation)
        elif data["action"] == "withdraw":
            donation_services.donation_withdraw(actor=request.user, donation=donation)
            return Response(status=204)
        else:
            donation = distribution_services.donation_hand_over(actor=request.user, donation=donation)
        return Response(_donation_out(request, donation.pk))


class PickListApi(APIView):
    @extend_schema(responses=SettlementPickBuildingOut(many=True), operation_id="settlement_pick_list")
    def get(self, request: Request, pk: int) -> Response:
        """Per building: households, items and quantities to hand over, and donated portions (free)."""
        buy = selectors.buy_get(user=request.user, buy_id=pk)
        try:
            building_id = int(request.query_params.get("building", 0)) or None
        except ValueError:
            building_id = None
        # Who sees which buildings, names and care notes is the selector's rule (pick_scope_get).
        groups = selectors.pick_list_get(user=request.user, buy=buy, building_id=building_id)
        return Response(SettlementPickBuildingOut(groups, many=True).data)


class PayeeApi(APIView):
    """GET: the payee residents of this buy pay (its own, else the leader's default), for whoever may see it.
    PUT (multipart: name, optional qr_image): the buy's own payee, by its leader only."""

    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(responses=SettlementPayeeOut, operation_id="settlement_payee_get")
    def get(self, request: Request, pk: int) -> Response:
        buy = selectors.buy_get(user=request.user, buy_id=pk)
        if not selectors.can_see_payee(request.user, buy):
            raise errors.not_your_entry()
        account = selectors.payee_for_buy(buy=buy)
        if account is None:
            raise errors.not_found()
        return Response(_payee_out(account, qr_url=reverse("settlement:payee_qr", kwargs={"pk": buy.pk})))

    @extend_schema(request=SettlementPayeeIn, responses=SettlementPayeeOut, operation_id="settlement_payee_set")
    def put(self, request: Request, pk: int) -> Response:
        buy = selectors.buy_get(user=request.user, buy_id=pk)
        data = valid(SettlementPayeeIn, request.data)
        account = payee_services.payee_set(
            actor=request.user, buy=buy, name=data["name"], qr_image=data.get("qr_image")
        )
        return Response(_payee_out(account, qr_url=reverse("settlement:payee_qr", kwargs={"pk": buy.pk})))


class PayeeDefaultApi(APIView):
    """GET / PUT the caller's own default payee (used for every buy they lead that has none of its own)."""

    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(responses=SettlementPayeeOut, operation_id="settlement_payee_default_get")
    def get(self, request: Request) -> Response:
        account = selectors.payee_own_get(user=request.user)
        if account is None:
            raise errors.not_found()
        return Response(_payee_out(account, qr_url=reverse("settlement:payee_default_qr")))

    @extend_schema(request=SettlementPayeeIn, responses=SettlementPayeeOut, operation_id="settlement_payee_default_set")
    def put(self, request: Request) -> Response:
        data = valid(SettlementPayeeIn, request.data)
        account = payee_services.payee_set(actor=request.user, name=data["name"], qr_image=data.get("qr_image"))
        return Response(_payee_out(account, qr_url=reverse("settlement:payee_default_qr")))
