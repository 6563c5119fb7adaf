"""The group-buy REST API: thin views over the same selectors and services as the pages.

Errors are the services' coded ApplicationErrors, rendered by core.errors.api_exception_handler
as {"code", "message", "detail"}.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import Action, require
from core.api import valid
from groupbuy import exceptions as err
from groupbuy import selectors
from groupbuy import serializers as s
from groupbuy.services import buys as buy_services
from groupbuy.services import catalog
from groupbuy.services import share as share_services
from groupbuy.services import signup as signup_services

ERRORS = {400: s.ErrorOut, 403: s.ErrorOut, 404: s.ErrorOut, 409: s.ErrorOut}
COMMUNITY_PARAM = OpenApiParameter(
    "community", OpenApiTypes.INT, description="Community id (default: the caller's first community)."
)
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Any unique string per sign-up attempt (max 64): a repeated request returns the same entry.",
)


def _membership(request: Request, community_id: Any = None):
    membership = selectors.membership_get_current(
        user=request.user,
        community_id=community_id if community_id is not None else request.query_params.get("community"),
    )
    if membership is None:
        raise err.wrong_community()
    return membership


# --- buys -------------------------------------------------------------------------------------------------------


class BuyListApi(GenericAPIView):
    serializer_class = s.BuyOut

    @extend_schema(parameters=[COMMUNITY_PARAM], responses={200: s.BuyOut(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        """Buys of a community the caller belongs to (open for sign-up and on their way), soonest deadline first."""
        membership = _membership(request)
        buys = selectors.buy_list(user=request.user, community_id=membership.community_id)
        page = self.paginate_queryset(buys)
        return self.get_paginated_response(s.BuyOut(page, many=True).data)

    @extend_schema(request=s.BuyCreateIn, responses={201: s.BuyDetailOut, **ERRORS})
    def post(self, request: Request) -> Response:
        """Open a group buy (team leader). Status, counters and prices are set by the server."""
        data = valid(s.BuyCreateIn, request.data)
        membership = _membership(request, data.pop("community_id"))
        buy = buy_services.group_buy_open(actor=request.user, community=membership.community, **data)
        return Response(_detail_payload(request, buy.pk), status=status.HTTP_201_CREATED)


def _detail_payload(request: Request, buy_id: Any) -> dict[str, Any]:
    buy = selectors.buy_get(user=request.user, buy_id=buy_id)
    membership = selectors.require_member(user=request.user, community_id=buy.community_id)
    rows = selectors.signup_list(buy=buy)
    mine = selectors.entry_get_live(buy=buy, household_id=membership.household_id, rows=rows)
    buy.public_list = rows
    buy.my_entry_id = mine.pk if mine else None
    return s.BuyDetailOut(buy).data


class BuyDetailApi(APIView):
    @extend_schema(responses={200: s.BuyDetailOut, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        """A buy with its public 接龙 list (masked identities, never phones)."""
        return Response(_detail_payload(request, pk))


class BuyShareTextApi(APIView):
    @extend_schema(responses={200: s.ShareTextOut, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        """The ready-to-paste WeChat 接龙 text (masked list, never phones): the buy's leader always, any member
        of its community while the buy takes sign-ups."""
        buy = selectors.buy_get(user=request.user, buy_id=pk)
        if not selectors.share_allowed(user=request.user, buy=buy):
            raise err.forbidden()
        link = share_services.share_link_for(buy, request)
        rows = selectors.signup_list(buy=buy)
        text = selectors.share_text_get(buy=buy, rows=rows, link=link, language=get_language())
        return Response({"text": text, "link": link})


class BuyEntriesApi(APIView):
    @extend_schema(responses={200: s.ContactRowOut(many=True), **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        """The full list with contacts: the buy's leader and data volunteers only."""
        buy = selectors.buy_get(user=request.user, buy_id=pk)
        selectors.require_contacts(user=request.user, buy=buy)
        return Response(s.ContactRowOut(selectors.signup_list(buy=buy, contacts=True), many=True).data)

    @extend_schema(parameters=[IDEMPOTENCY_HEADER], request=s.EntryCreateIn, responses={201: s.EntryOut, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        """Sign up (接龙) for one's own household, or for another household of the community (proxy)."""
        signup_services.signup_throttle(actor=request.user)
        buy = selectors.buy_get_for_signup(user=request.user, buy_id=pk)
        membership = selectors.require_member(user=request.user, community_id=buy.community_id)
        data = valid(s.EntryCreateIn, request.data)
        if data.get("household_id") is not None:
            household = selectors.household_get(community_id=buy.community_id, household_id=data["household_id"])
        elif membership.household is not None:
            household = membership.household
        else:
            raise err.forbidden()
        placed_for = None
        if data.get("placed_for_id") is not None:
            placed_for = selectors.household_member_get(household=household, member_id=data["placed_for_id"])
        entry = signup_services.signup_create(
            actor=request.user,
            buy=buy,
            household=household,
            quantities=data["quantities"],
            tolerances=data.get("tolerances"),
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            placed_for=placed_for,
            note=data.get("note", ""),
        )
        if not hasattr(entry, "written_lines"):  # a repeated request: the entry as stored
            entry = selectors.entry_get_any(user=request.user, entry_id=entry.pk)
        return Response(s.EntryOut.answer(entry), status=status.HTTP_201_CREATED)


class EntryDetailApi(APIView):
    @extend_schema(request=s.EntryChangeIn, responses={200: s.EntryOut, **ERRORS})
    def patch(self, request: Request, pk: int) -> Response:
        """Change quantities (absolute; 0 removes a line) until the deadline or the close."""
        entry = selectors.entry_get_any(user=request.user, entry_id=pk)
        data = valid(s.EntryChangeIn, request.data)
        entry = signup_services.signup_change(
            actor=request.user, entry=entry, quantities=data["quantities"], tolerances=data.get("tolerances")
        )
        return Response(s.EntryOut(selectors.entry_get_any(user=request.user, entry_id=entry.pk)).data)


class EntryWithdrawApi(APIView):
    @extend_schema(request=None, responses={200: s.EntryOut, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        """Leave the list. The number is not reused."""
        entry = selectors.entry_get_any(user=request.user, entry_id=pk)
        entry = signup_services.signup_withdraw(actor=request.user, entry=entry)
        return Response(s.EntryOut(selectors.entry_get_any(user=request.user, entry_id=entry.pk)).data)


class MyEntriesApi(APIView):
    @extend_schema(responses={200: s.EntryOut(many=True)})
    def get(self, request: Request) -> Response:
        """Entries of the caller's households and those the caller placed for others, newest first."""
        return Response(s.EntryOut(selectors.entry_list_mine(user=request.user), many=True).data)


class _LeaderActionApi(APIView):
    def act(self, request: Request, buy: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def post(self, request: Request, pk: int) -> Response:
        buy = selectors.buy_get(user=request.user, buy_id=pk, with_items=False)
        self.act(request, buy)
        return Response(_detail_payload(request, buy.pk))


class BuyCloseApi(_LeaderActionApi):
    @extend_schema(request=None, responses={200: s.BuyDetailOut, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        """Close a formed buy now (its leader): the list freezes and the purchase order is built."""
        return super().post(request, pk)

    def act(self, request: Request, buy: Any) -> Any:
        return buy_services.group_buy_close_now(actor=request.user, buy=buy)


class BuyCancelApi(_LeaderActionApi):
    @extend_schema(request=s.CancelIn, responses={200: s.BuyDetailOut, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        """Cancel with a reason (its leader): entries are released and participants told."""
        return super().post(request, pk)

    def act(self, request: Request, buy: Any) -> Any:
        data = valid(s.CancelIn, request.data)
        return buy_services.group_buy_cancel(actor=request.user, buy=buy, reason=data["reason"])


class BuyMarkOrderedApi(_LeaderActionApi):
    @extend_schema(request=None, responses={200: s.BuyDetailOut, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        """The leader placed the order with the supplier (closed -> ordered)."""
        return super().post(request, pk)

    def act(self, request: Request, buy: Any) -> Any:
        return buy_services.group_buy_mark_ordered(actor=request.user, buy=buy)


class PurchaseOrderApi(APIView):
    @extend_schema(responses={200: s.PurchaseOrderOut, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        """Per offer totals to order, with delivery date and drop point (final once the buy is closed)."""
        buy = selectors.buy_get(user=request.user, buy_id=pk, with_items=False)
        selectors.require_contacts(user=request.user, buy=buy)
        return Response(s.PurchaseOrderOut(selectors.purchase_order_get(buy=buy)).data)


# --- suppliers and offers ---------------------------------------------------------------------------------------


def _require_supplier_manager(request: Request, community_id: int) -> None:
    selectors.require_member(user=request.user, community_id=community_id)
    require(request.user, Action.MANAGE_SUPPLIERS, community_id)


class SupplierListApi(APIView):
    @extend_schema(parameters=[COMMUNITY_PARAM], responses={200: s.SupplierOut(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        """Suppliers of a community (team leaders and procurement volunteers)."""
        membership = _membership(request)
        _require_supplier_manager(request, membership.community_id)
        return Response(s.SupplierOut(selectors.supplier_list(community_id=membership.community_id), many=True).data)

    @extend_schema(request=s.SupplierIn, responses={201: s.SupplierOut, **ERRORS})
    def post(self, request: Request) -> Response:
        data = valid(s.SupplierIn, request.data)
        membership = _membership(request, data.pop("community_id"))
        supplier = catalog.supplier_create(actor=request.user, community=membership.community, **data)
        return Response(s.SupplierOut(supplier).data, status=status.HTTP_201_CREATED)


class SupplierDetailApi(APIView):
    @extend_schema(responses={200: s.SupplierOut, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        supplier = selectors.supplier_get(user=request.user, supplier_id=pk)
        _require_supplier_manager(request, supplier.community_id)
        return Response(s.SupplierOut(supplier).data)

    @extend_schema(request=s.SupplierPatchIn, responses={200: s.SupplierOut, **ERRORS})
    def patch(self, request: Request, pk: int) -> Response:
        supplier = selectors.supplier_get(user=request.user, supplier_id=pk)
        data = valid(s.SupplierPatchIn, request.data)
        supplier = catalog.supplier_update(actor=request.user, supplier=supplier, **data)
        return Response(s.SupplierOut(supplier).data)


class SupplierOffersApi(APIView):
    @extend_schema(responses={200: s.OfferOut(many=True), **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        supplier = selectors.supplier_get(user=request.user, supplier_id=pk)
        _require_supplier_manager(request, supplier.community_id)
        offers = selectors.offer_list(community_id=supplier.community_id, supplier_id=supplier.pk)
        return Response(s.OfferOut(offers, many=True).data)

    @extend_schema(request=s.OfferCreateIn, responses={201: s.OfferOut, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        supplier = selectors.supplier_get(user=request.user, supplier_id=pk)
        data = valid(s.OfferCreateIn, request.data)
        offer = catalog.offer_create(actor=request.user, supplier=supplier, **data)
        return Response(
            s.OfferOut(selectors.offer_get(user=request.user, offer_id=offer.pk)).data, status=status.HTTP_201_CREATED
        )


class OfferDetailApi(APIView):
    @extend_schema(responses={200: s.OfferOut, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        offer = selectors.offer_get(user=request.user, offer_id=pk)
        return Response(s.OfferOut(offer).data)

    @extend_schema(request=s.OfferPatchIn, responses={200: s.OfferOut, **ERRORS})
    def patch(self, request: Request, pk: int) -> Response:
        offer = selectors.offer_get(user=request.user, offer_id=pk)
        data = valid(s.OfferPatchIn, request.data)
        catalog.offer_update(actor=request.user, offer=offer, **data)
        return Response(s.OfferOut(selectors.offer_get(user=request.user, offer_id=offer.pk)).data)


class OfferPhotosApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=s.PhotoIn, responses={201: s.PhotoOut, **ERRORS, 413: s.ErrorOut})
    def post(self, request: Request, pk: int) -> Response:
        """Add a photo (JPEG/PNG/WebP). It is processed in the background: status `pending` until `ready`."""
        offer = selectors.offer_get(user=request.user, offer_id=pk)
        data = valid(s.PhotoIn, request.data)
        photo = catalog.offer_photo_add(actor=request.user, offer=offer, upload=data["upload"])
        photo.refresh_from_db()
        return Response(s.PhotoOut(photo).data, status=status.HTTP_201_CREATED)
