"""Threshold pooling across compounds (区区合作, 团团联合) and helper leaders (帮卖).

A pool joins member buys of several communities for the same offers. The
supplier's MOQ applies to the pool's total; each member buy keeps its own
residents, deadline (no later than the pool's), drop point, purchase-order
lines, filing and distribution.

Locking (PostgreSQL, READ COMMITTED) — one order everywhere: the Pool row,
then member buys in primary-key order.

* Sign-up paths on a pooled buy lock the pool first (`pool_lock_for_buy`),
  then the buy; after the buy lock they re-read the membership and retry the
  whole transaction if it changed meanwhile (a join/leave committed between),
  so no path ever waits for the pool while holding a buy lock. A new sign-up
  does the re-read inside its counter UPDATE: the membership is mirrored on
  the buy's own row (`GroupBuy.current_pool`, written here under the buy
  lock), and the UPDATE matches only while it is still the pool it locked.
* Pool counters (`main_units`, `total_amount`) are the sum of the member
  buys' counters and change only by conditional UPDATEs under the pool lock.
* Reaching the MOQ forms the pool and every member buy in the same
  transaction. Once formed, the total is never allowed below the MOQ: a
  withdrawal that would take it there is refused (pool_minimum_needed), and
  members can no longer leave; the CheckConstraint pool_formed_at_moq is
  the last line of defence.
* At the pool deadline below the MOQ the sweep fails the pool and every
  member buy together (the per-buy sweep leaves pooled buys alone).
* Once formed, a member cannot cancel alone; the host leader cancels the
  whole pool (`pool_cancel`: the supplier cannot deliver), every member buy
  with it, or nothing when one of them is already past cancelling.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Community, Membership, User
from accounts.notifications import notification_send
from accounts.permissions import Action, allowed_actions, membership_for, require_buy_leader
from groupbuy import exceptions as err
from groupbuy.models import (
    BuyItem,
    BuyStatus,
    DistributionMode,
    GroupBuy,
    Pool,
    PoolInvitation,
    PoolMember,
    PoolMemberStatus,
    PoolStatus,
    max_length_of,
)
from groupbuy.notifications import buy_link
from groupbuy.selectors.pools import pool_id_get_for_buy
from groupbuy.services.dates import deadline_check, delivery_date_check
from groupbuy.services.forming import buy_form_if_reached, pool_form_if_reached
from groupbuy.services.lifecycle import CANCELLABLE, buy_cancel_locked, group_buy_fail
from groupbuy.services.locks import buy_lock_open_for_pool, buys_lock, pool_lock_open
from groupbuy.services.share import share_link_make
from groupbuy.services.transitions import buy_current_pool_set

SWEEP_BATCH = 200


# --- leaders' actions ---------------------------------------------------------------------------------------


def _require_leader_in(actor: User, community_id: int) -> Membership:
    membership = membership_for(actor, community_id)
    if membership is None:
        raise err.wrong_community()
    if Action.OPEN_BUY not in allowed_actions(actor, community_id):
        raise err.forbidden()
    return membership


def _offer_set(buy_id: int) -> tuple[frozenset[int], int | None]:
    rows = list(BuyItem.objects.filter(buy_id=buy_id).values_list("offer_id", "is_main"))
    return frozenset(o for o, _m in rows), next((o for o, m in rows if m), None)


def pool_create(*, actor: User, buy: GroupBuy) -> Pool:
    """The leader turns their open buy into a pool: its MOQ and deadline become the pool's."""
    require_buy_leader(actor, buy)
    now = timezone.now()
    try:
        with transaction.atomic():
            locked = buy_lock_open_for_pool(buy.pk, now)
            if pool_id_get_for_buy(buy.pk) is not None:
                raise err.buy_already_pooled()
            pool = Pool.objects.create(
                host_buy=locked,
                created_by=actor,
                moq_kind=locked.moq_kind,
                moq=locked.moq,
                deadline=locked.deadline,
                main_units=locked.main_units,
                total_amount=locked.total_amount,
                member_count=1,
            )
            PoolMember.objects.create(pool=pool, buy=locked, community_id=locked.community_id, added_by=actor)
            buy_current_pool_set(buy_id=locked.pk, pool_id=pool.pk)
    except IntegrityError as exc:  # a second pool_create at the same moment
        raise err.buy_already_pooled() from exc
    return pool


def _get_or_create_pool(actor: User, buy: GroupBuy) -> Pool:
    pool_id = pool_id_get_for_buy(buy.pk)
    if pool_id is not None:
        return Pool.objects.get(pk=pool_id)
    return pool_create(actor=actor, buy=buy)


def pool_offer(*, actor: User, pool: Pool, community: Community) -> PoolInvitation:
    """The host leader offers the pool to a neighbouring community; its leaders are told. Repeats are harmless."""
    host = pool.host_buy
    require_buy_leader(actor, host)
    if community.pk == host.community_id:
        raise err.same_community()
    if pool.status != PoolStatus.OPEN or pool.deadline <= timezone.now():
        raise err.pool_formed() if pool.status == PoolStatus.FORMED else err.pool_closed()
    invitation, created = PoolInvitation.objects.get_or_create(
        pool=pool, community=community, defaults={"invited_by": actor}
    )
    if created:
        leaders = Membership.objects.filter(community=community, is_team_leader=True, is_active=True).values_list(
            "user_id", flat=True
        )
        notification_send(
            user_ids=list(leaders),
            kind="pool_offered",
            dedupe_key=f"pool:{pool.pk}:offered:{community.pk}",
            params={"title": host.title, "community": host.community.name, "pool_id": pool.pk},
            link=f"/buys/pools/{pool.pk}/",
            community_id=community.pk,
        )
    return invitation


def _clean_member_fields(pool: Pool, fields: dict[str, Any], now: datetime.datetime) -> dict[str, Any]:
    deadline = fields.get("deadline") or pool.deadline
    deadline_check(deadline, now=now)
    if deadline > pool.deadline:
        raise err.pool_deadline_later()
    delivery_date = fields.get("delivery_date") or pool.host_buy.delivery_date
    delivery_date_check(delivery_date, deadline=deadline)
    drop_point = (fields.get("drop_point") or "").strip()
    if len(drop_point) > max_length_of(GroupBuy, "drop_point"):
        raise err.invalid_field("drop_point")
    mode = fields.get("distribution_mode") or DistributionMode.BUILDING
    if mode not in DistributionMode.values:
        raise err.invalid_field("distribution_mode")
    limit = fields.get("household_limit")
    if limit in ("", None):
        limit = None
    elif isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 9999:
        raise err.invalid_field("household_limit")
    title = (fields.get("title") or pool.host_buy.title).strip()
    if len(title) > max_length_of(GroupBuy, "title"):
        raise err.invalid_field("title")
    return {
        "deadline": deadline,
        "delivery_date": delivery_date,
        "drop_point": drop_point,
        "distribution_mode": mode,
        "household_limit": limit,
        "title": title,
    }


def _add_member(
    *, actor: User, pool_id: int, community: Community, buy: GroupBuy | None, fields: dict[str, Any], is_helper: bool
) -> GroupBuy:
    now = timezone.now()
    try:
        with transaction.atomic():
            pool = pool_lock_open(pool_id, now)
            host = GroupBuy.objects.get(pk=pool.host_buy_id)
            if buy is None:
                cleaned = _clean_member_fields(pool, fields, now)
                buy = GroupBuy.objects.create(
                    community=community,
                    leader=actor,
                    description=host.description,
                    kind=host.kind,
                    status=BuyStatus.OPEN,
                    moq_kind=pool.moq_kind,
                    moq=pool.moq,
                    allocation_rule=host.allocation_rule,
                    close_when_formed=host.close_when_formed,
                    opened_at=now,
                    **cleaned,
                )
                share_link_make(buy_id=buy.pk, actor=actor)
                BuyItem.objects.bulk_create(
                    [
                        BuyItem(
                            buy=buy,
                            offer_id=item.offer_id,
                            is_main=item.is_main,
                            unit_price=item.unit_price,
                            supplier_cost=item.supplier_cost,
                            position=item.position,
                        )
                        for item in host.items.order_by("position", "pk")
                    ]
                )
            else:
                buy = buy_lock_open_for_pool(buy.pk, now)
                if buy.deadline > pool.deadline:
                    raise err.pool_deadline_later()
                if _offer_set(buy.pk) != _offer_set(host.pk):
                    raise err.pool_offers_differ()
                if pool_id_get_for_buy(buy.pk) is not None:
                    raise err.buy_already_pooled()
                prices = dict(BuyItem.objects.filter(buy_id=host.pk).values_list("offer_id", "unit_price"))
                if dict(BuyItem.objects.filter(buy_id=buy.pk).values_list("offer_id", "unit_price")) != prices:
                    raise err.pool_offers_differ()
            if PoolMember.objects.filter(pool=pool, community=community, status=PoolMemberStatus.ACTIVE).exists():
                raise err.already_in_pool()
            PoolMember.objects.create(pool=pool, buy=buy, community=community, added_by=actor, is_helper=is_helper)
            buy_current_pool_set(buy_id=buy.pk, pool_id=pool.pk)
            Pool.objects.filter(pk=pool.pk).update(
                member_count=F("member_count") + 1,
                main_units=F("main_units") + buy.main_units,
                total_amount=F("total_amount") + buy.total_amount,
            )
            pool_form_if_reached(pool_id=pool.pk)
            notification_send(
                user_ids=[host.leader_id],
                kind="pool_joined",
                dedupe_key=f"pool:{pool_id}:joined:{buy.pk}",
                params={"title": host.title, "community": community.name, "pool_id": pool_id},
                link=buy_link(host.pk),
                community_id=host.community_id,
            )
    except IntegrityError as exc:  # the same community joining twice at once
        raise err.already_in_pool() from exc
    return buy


def pool_join(*, actor: User, pool: Pool, community: Community, buy: GroupBuy | None = None, **fields: Any) -> GroupBuy:
    """A leader of `community` (invited by the host) joins the pool: with an existing open buy of theirs for
    the same offers at the same prices (`buy`), or with a new member buy made from the pool's items
    (`deadline` no later than the pool's, `drop_point` = their gate, `delivery_date`, `distribution_mode`,
    `household_limit`, `title`). Returns the member buy."""
    _require_leader_in(actor, community.pk)
    if buy is not None:
        if buy.community_id != community.pk:
            raise err.wrong_community()
        require_buy_leader(actor, buy)
    if community.pk == pool.host_buy.community_id:
        raise err.already_in_pool()
    if not PoolInvitation.objects.filter(pool=pool, community=community).exists():
        raise err.pool_not_invited()
    return _add_member(actor=actor, pool_id=pool.pk, community=community, buy=buy, fields=fields, is_helper=False)


def pool_share(*, actor: User, buy: GroupBuy, community: Community, **fields: Any) -> GroupBuy:
    """帮卖: the buy's leader shares it into another community where they are also a leader. The new member
    buy's sign-ups count toward the original buy's MOQ (the buy becomes a pool if it was not one)."""
    require_buy_leader(actor, buy)
    _require_leader_in(actor, community.pk)
    if community.pk == buy.community_id:
        raise err.same_community()
    pool = _get_or_create_pool(actor, buy)
    if pool.host_buy_id != buy.pk:
        raise err.buy_already_pooled()
    return _add_member(actor=actor, pool_id=pool.pk, community=community, buy=None, fields=fields, is_helper=True)


def pool_leave(*, actor: User, buy: GroupBuy) -> GroupBuy:
    """A member buy leaves its pool before the pool forms: the pool total drops by the buy's counters. The buy
    goes on alone with its own MOQ (and forms at once if it reaches it)."""
    require_buy_leader(actor, buy)
    now = timezone.now()
    with transaction.atomic():
        pool_id = pool_id_get_for_buy(buy.pk)
        if pool_id is None:
            raise err.not_pooled()
        pool = Pool.objects.select_for_update().filter(pk=pool_id).first()
        if pool is None:
            raise err.not_pooled()
        if pool.status == PoolStatus.FORMED:
            raise err.pool_formed()
        if pool.host_buy_id == buy.pk:
            raise err.pool_host_cannot_leave()
        locked = GroupBuy.objects.select_for_update().get(pk=buy.pk)
        if pool.status != PoolStatus.OPEN or locked.status != BuyStatus.OPEN:
            raise err.pool_closed()
        left = PoolMember.objects.filter(pool_id=pool_id, buy_id=buy.pk, status=PoolMemberStatus.ACTIVE).update(
            status=PoolMemberStatus.LEFT, left_at=now
        )
        if left != 1:
            raise err.not_pooled()
        buy_current_pool_set(buy_id=buy.pk, pool_id=None)
        Pool.objects.filter(pk=pool_id, status=PoolStatus.OPEN).update(
            member_count=F("member_count") - 1,
            main_units=F("main_units") - locked.main_units,
            total_amount=F("total_amount") - locked.total_amount,
        )
        if locked.deadline > now:
            buy_form_if_reached(locked)
        host = GroupBuy.objects.select_related("community").get(pk=pool.host_buy_id)
        community_name = locked.community.name
        notification_send(
            user_ids=[host.leader_id],
            kind="pool_left",
            dedupe_key=f"pool:{pool_id}:left:{buy.pk}:{now.isoformat()}",
            params={"title": host.title, "community": community_name, "pool_id": pool_id},
            link=buy_link(host.pk),
            community_id=host.community_id,
        )
    buy.refresh_from_db()
    return buy


def pool_cancel(*, actor: User, pool: Pool, reason: str) -> Pool:
    """The host buy's leader cancels the whole pool, open or formed (the supplier cannot deliver): every active
    member buy is cancelled as group_buy_cancel cancels one (entries released, refunds, participants and its
    leader told the reason). One transaction; if any member buy is already past cancelling, nothing changes."""
    host = GroupBuy.objects.select_related("community").get(pk=pool.host_buy_id)
    require_buy_leader(actor, host)
    reason = (reason or "").strip()
    if not reason:
        raise err.reason_required()
    if len(reason) > max_length_of(GroupBuy, "cancel_reason"):
        raise err.invalid_field("reason")
    now = timezone.now()
    with transaction.atomic():
        locked = Pool.objects.select_for_update().filter(pk=pool.pk).first()
        if locked is None:
            raise err.not_found()
        if locked.status not in (PoolStatus.OPEN, PoolStatus.FORMED):
            raise err.invalid_state()
        member_ids = list(
            PoolMember.objects.filter(pool_id=pool.pk, status=PoolMemberStatus.ACTIVE).values_list("buy_id", flat=True)
        )
        statuses = buys_lock(buy_ids=member_ids, fields=("pk", "status"))
        ended = (BuyStatus.CANCELLED, BuyStatus.FAILED)
        past = [buy_id for buy_id, status in statuses if status not in CANCELLABLE and status not in ended]
        if past:
            raise err.pool_member_past_cancel(past)
        if not Pool.objects.filter(pk=pool.pk, status=locked.status).update(status=PoolStatus.CANCELLED, ended_at=now):
            raise err.invalid_state()
        params = {"community": host.community.name, "pool_id": pool.pk}
        for buy_id, status in statuses:
            if status not in ended:
                buy_cancel_locked(buy_id=buy_id, reason=reason, now=now, kind="pool_cancelled", params=params)
    pool.refresh_from_db()
    return pool


# --- workers ------------------------------------------------------------------------------------------------


def pool_fail(*, pool_id: int, now: datetime.datetime | None = None) -> bool:
    """At the pool deadline below the MOQ: the pool and every open member buy fail together (流团)."""
    now = now or timezone.now()
    with transaction.atomic():
        if not Pool.objects.filter(pk=pool_id, status=PoolStatus.OPEN, deadline__lte=now).update(
            status=PoolStatus.FAILED, ended_at=now
        ):
            return False
        member_ids = list(
            PoolMember.objects.filter(pool_id=pool_id, status=PoolMemberStatus.ACTIVE).values_list("buy_id", flat=True)
        )
        buys_lock(buy_ids=member_ids)
        for buy_id in sorted(member_ids):
            group_buy_fail(buy_id=buy_id, now=now, pooled=True)
    return True


def pools_sweep(*, now: datetime.datetime | None = None) -> int:
    """Beat: fail the pools whose deadline passed below the MOQ. Safe to repeat (each step is a CAS)."""
    now = now or timezone.now()
    due = Pool.objects.filter(status=PoolStatus.OPEN, deadline__lte=now).order_by("deadline", "pk")
    return sum(pool_fail(pool_id=pool_id, now=now) for pool_id in list(due.values_list("pk", flat=True)[:SWEEP_BATCH]))


def pool_cancel_member(*, pool_id: int, buy_id: int, now: datetime.datetime) -> None:
    """The leader cancels a pooled buy (inside group_buy_cancel, pool row already locked): allowed only before
    the pool forms; the buy leaves the pool and its counters leave the total. The host may cancel only once
    no other member is left (the pool then ends)."""
    pool = Pool.objects.get(pk=pool_id)
    if pool.status == PoolStatus.FORMED:
        raise err.pool_formed()
    locked = GroupBuy.objects.select_for_update().get(pk=buy_id)
    if pool.host_buy_id == buy_id and pool.member_count > 1:
        raise err.pool_host_cannot_leave()
    PoolMember.objects.filter(pool_id=pool_id, buy_id=buy_id, status=PoolMemberStatus.ACTIVE).update(
        status=PoolMemberStatus.LEFT, left_at=now
    )
    buy_current_pool_set(buy_id=buy_id, pool_id=None)
    changes: dict[str, Any] = {
        "member_count": F("member_count") - 1,
        "main_units": F("main_units") - locked.main_units,
        "total_amount": F("total_amount") - locked.total_amount,
    }
    if pool.host_buy_id == buy_id:
        changes.update(status=PoolStatus.FAILED, ended_at=now)
    Pool.objects.filter(pk=pool_id, status=PoolStatus.OPEN).update(**changes)
