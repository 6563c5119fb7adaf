"""Join requests: someone without an invite code asks for building + room; committee staff
or that building's leader approve or reject."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts import exceptions as err
from accounts.models import Building, Household, JoinRequest, JoinRequestStatus, Membership, User
from accounts.notifications import notification_send
from accounts.permissions import Action, require_for_building
from accounts.services.invites import member_attach, resident_make
from accounts.services.users import user_register, user_validate
from core import ratelimit

SIGNUP_IP_LIMIT = 10
SIGNUP_WINDOW = 60 * 60


def _clean_room(room: str) -> str:
    room = (room or "").strip()
    if not room or len(room) > 20:
        raise err.room_required()
    return room


def join_request_create(
    *, user: User, community_id: int, building_id: int, room: str, name: str = "", message: str = ""
) -> JoinRequest:
    room = _clean_room(room)
    name = (name or user.display_name or user.username).strip()[:60]
    building = Building.objects.filter(pk=building_id, community_id=community_id).select_related("community").first()
    if building is None:
        raise err.building_not_found()
    if Membership.objects.filter(
        user=user, community_id=community_id, is_active=True, household__isnull=False
    ).exists():
        raise err.already_member()
    try:
        with transaction.atomic():
            request = JoinRequest.objects.create(
                user=user, community_id=community_id, building=building, room=room, name=name, message=message[:200]
            )
    except IntegrityError as exc:
        raise err.join_request_pending() from exc
    approvers = Membership.objects.filter(community_id=community_id, is_active=True).filter(
        Q(is_committee=True) | Q(is_building_leader=True, led_building=building)
    )
    notification_send(
        user_ids=approvers.values_list("user_id", flat=True),
        kind="join_requested",
        dedupe_key=f"join_requested:{request.pk}",
        params={"name": name, "label": request.label},
        link=reverse("accounts:join_requests", args=[community_id]),
        community_id=community_id,
    )
    return request


def join_request_create_with_account(
    *,
    username: str,
    password: str,
    display_name: str,
    community_id: int,
    building_id: int,
    room: str,
    message: str = "",
    client_ip: str,
) -> JoinRequest:
    """A newcomer without an account: make one and file the request, both or neither."""
    user_validate(username=username, password=password, display_name=display_name)
    ratelimit.check("signup-ip", client_ip or "unknown", limit=SIGNUP_IP_LIMIT, window=SIGNUP_WINDOW)
    with transaction.atomic():
        user = user_register(username=username, password=password, display_name=display_name)
        return join_request_create(
            user=user, community_id=community_id, building_id=building_id, room=room, name=display_name, message=message
        )


def join_request_decide(*, actor: User, join_request_id: int, approve: bool, reason: str = "") -> JoinRequest:
    """Approve (the requester becomes a resident of the room) or reject, once."""
    request = JoinRequest.objects.select_related("building", "community", "user").filter(pk=join_request_id).first()
    if request is None:
        raise err.join_request_not_found()
    require_for_building(actor, Action.APPROVE_JOIN, request.community_id, request.building_id)
    now = timezone.now()
    new_status = JoinRequestStatus.APPROVED if approve else JoinRequestStatus.REJECTED
    with transaction.atomic():
        changed = JoinRequest.objects.filter(pk=request.pk, status=JoinRequestStatus.PENDING).update(
            status=new_status, decided_at=now, decided_by=actor, reason=(reason or "")[:200]
        )
        if not changed:
            raise err.join_request_decided()
        if approve:
            household, _created = Household.objects.get_or_create(
                building=request.building, room=request.room, defaults={"community_id": request.community_id}
            )
            resident_make(user=request.user, community_id=request.community_id, household=household)
            member_attach(user=request.user, household=household, claim_member_id=None)
    request.refresh_from_db()
    params = {"label": request.label, "community": request.community.name, "reason": request.reason}
    notification_send(
        user_ids=[request.user_id],
        kind="join_approved" if approve else "join_rejected",
        dedupe_key=f"join_decided:{request.pk}",
        params=params,
        link=reverse("home"),
        community_id=request.community_id,
    )
    return request
