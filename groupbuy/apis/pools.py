"""REST API for pools, helper leaders (帮卖), the leaders' board, pack progress and leader reputation.
The same selectors (groupbuy.selectors) and services (groupbuy.services.pools) as the pages."""

from __future__ import annotations

import dataclasses
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Community
from core.api import valid
from groupbuy import exceptions as err
from groupbuy import selectors
from groupbuy.models import Pool
from groupbuy.serializers import CancelIn, ErrorOut
from groupbuy.services import pools as pool_services

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class MemberBuyIn(serializers.Serializer):
    community = serializers.IntegerField(help_text="The community the member buy is for (you lead it).")
    drop_point = serializers.CharField(max_length=120, help_text="Your gate.")
    deadline = serializers.DateTimeField(required=False, help_text="No later than the pool's (default: the pool's).")
    delivery_date = serializers.DateField(required=False)
    buy = serializers.IntegerField(required=False, help_text="An existing open buy of yours for the same offers.")


class OfferIn(serializers.Serializer):
    community = serializers.IntegerField()


class MemberOut(serializers.Serializer):
    buy_id = serializers.IntegerField()
    community_name = serializers.CharField()
    drop_point = serializers.CharField()
    status = serializers.CharField()
    units = serializers.IntegerField()
    entries = serializers.IntegerField()
    is_helper = serializers.BooleanField()
    is_host = serializers.BooleanField()


class PoolOut(serializers.Serializer):
    id = serializers.IntegerField(source="pool.pk")
    host_buy = serializers.IntegerField(source="host.pk")
    status = serializers.CharField(source="pool.status")
    moq = serializers.DecimalField(source="pool.moq", max_digits=12, decimal_places=2)
    progress = serializers.DecimalField(source="pool.moq_progress", max_digits=12, decimal_places=2)
    remaining = serializers.DecimalField(max_digits=12, decimal_places=2)
    percent = serializers.IntegerField()
    deadline = serializers.DateTimeField(source="pool.deadline")
    members = MemberOut(many=True)
    invited = serializers.ListField(child=serializers.CharField())


def _community(pk: Any) -> Community:
    community = Community.objects.filter(pk=pk).first()
    if community is None:
        raise err.not_found()
    return community


def _pool(pk: Any) -> Pool:
    pool = Pool.objects.select_related("host_buy__community").filter(pk=pk).first()
    if pool is None:
        raise err.not_found()
    return pool


def _pool_payload(request: Request, pool_id: int) -> dict[str, Any]:
    return PoolOut(selectors.pool_view_get(user=request.user, pool_id=pool_id)).data


class PoolDetailApi(APIView):
    @extend_schema(responses={200: PoolOut, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        """The pool's progress: per member community its count (no names of people) and the pool total."""
        return Response(_pool_payload(request, pk))


class PoolCancelApi(APIView):
    @extend_schema(request=CancelIn, responses={200: PoolOut, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        """The host buy's leader cancels the pool, open or formed (the supplier cannot deliver): every member buy
        is cancelled, its entries released and refunded, its participants and leader told the reason."""
        data = valid(CancelIn, request.data)
        pool_services.pool_cancel(actor=request.user, pool=_pool(pk), reason=data["reason"])
        return Response(_pool_payload(request, pk))


class BuyPoolApi(APIView):
    @extend_schema(request=None, responses={201: PoolOut, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        """The buy's leader turns the open buy into a pool (its MOQ and deadline become the pool's)."""
        buy = selectors.buy_get(user=request.user, buy_id=pk, with_items=False)
        pool = pool_services.pool_create(actor=request.user, buy=buy)
        return Response(_pool_payload(request, pool.pk), status=201)


class PoolOfferApi(APIView):
    @extend_schema(request=OfferIn, responses={200: PoolOut, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        """The host leader offers the pool to a neighbouring community (its leaders are told)."""
        data = valid(OfferIn, request.data)
        pool_services.pool_offer(actor=request.user, pool=_pool(pk), community=_community(data["community"]))
        return Response(_pool_payload(request, pk))


class PoolJoinApi(APIView):
    @extend_schema(request=MemberBuyIn, responses={201: PoolOut, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        """A leader of an invited community joins with a new member buy (or an existing one: `buy`)."""
        data = valid(MemberBuyIn, request.data)
        buy = None
        if data.get("buy") is not None:
            buy = selectors.buy_get(user=request.user, buy_id=data.pop("buy"), with_items=False)
        community = _community(data.pop("community"))
        pool_services.pool_join(actor=request.user, pool=_pool(pk), community=community, buy=buy, **data)
        return Response(_pool_payload(request, pk), status=201)


class BuyLeavePoolApi(APIView):
    @extend_schema(request=None, responses={200: PoolOut, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        """The member buy's leader takes it out of the pool (only before the pool forms)."""
        buy = selectors.buy_get(user=request.user, buy_id=pk, with_items=False)
        pool = selectors.pool_get_for_buy(buy_id=buy.pk)
        pool_services.pool_leave(actor=request.user, buy=buy)
        return Response(_pool_payload(request, pool.pk) if pool else {})


class BuyShareApi(APIView):
    @extend_schema(request=MemberBuyIn, responses={201: PoolOut, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        """帮卖: share the buy into another community you lead; sign-ups there count toward its minimum."""
        data = valid(MemberBuyIn, request.data)
        data.pop("buy", None)
        buy = selectors.buy_get(user=request.user, buy_id=pk, with_items=False)
        community = _community(data.pop("community"))
        pool_services.pool_share(actor=request.user, buy=buy, community=community, **data)
        pool = selectors.pool_get_for_buy(buy_id=buy.pk)
        return Response(_pool_payload(request, pool.pk), status=201)


class BuyCoordinationApi(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        """Per buy: pool progress, "N more fills the next box" per pack-size item, the leader's reputation."""
        buy = selectors.buy_get(user=request.user, buy_id=pk, with_items=False)
        pool = selectors.pool_get_for_buy(buy_id=buy.pk)
        return Response(
            {
                "pool": _pool_payload(request, pool.pk) if pool else None,
                "packs": [dataclasses.asdict(p) for p in selectors.pack_status_list(buy=buy)],
                "reputation": {
                    k: (str(v) if v is not None and not isinstance(v, int | list) else v)
                    for k, v in dataclasses.asdict(selectors.leader_reputation_get(leader_id=buy.leader_id)).items()
                },
            }
        )


class BoardApi(APIView):
    @extend_schema(
        responses={
            200: inline_serializer(
                name="BoardGroupOut",
                fields={
                    "supplier": serializers.CharField(),
                    "category": serializers.CharField(),
                    "buys": serializers.ListField(child=serializers.DictField()),
                },
                many=True,
            ),
            **ERRORS,
        }
    )
    def get(self, request: Request) -> Response:
        """Leaders' board: open and upcoming buys of the community and pooled neighbours by supplier/category."""
        membership = selectors.membership_get_current(
            user=request.user, community_id=request.query_params.get("community")
        )
        if membership is None:
            raise err.wrong_community()
        board = selectors.leader_board_get(user=request.user, community_id=membership.community_id)
        return Response(
            [
                {
                    "supplier": supplier,
                    "category": category,
                    "buys": [
                        {
                            "id": r.buy.pk,
                            "title": r.buy.title,
                            "community": r.buy.community.name,
                            "status": r.buy.status,
                            "deadline": r.buy.deadline,
                            "pool": r.pool_id,
                            "duplicate_of": r.duplicate_of,
                        }
                        for r in rows
                    ],
                }
                for (supplier, category), rows in board.items()
            ]
        )
