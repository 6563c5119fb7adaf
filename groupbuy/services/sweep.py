"""The beat sweep: everything due by the clock, and the repair of work whose enqueue was lost. The top of the
group-buy services: it calls down into buys, pools, the lifecycle and the catalogue."""

from __future__ import annotations

import datetime

from django.utils import timezone

from groupbuy.models import BuyStatus, GroupBuy, PoolMember, PoolMemberStatus
from groupbuy.notifications import buy_announced
from groupbuy.services.buys import group_buy_close
from groupbuy.services.catalog import offer_photos_requeue
from groupbuy.services.lifecycle import NOT_FORMED_STATES, group_buy_fail, group_buy_notify_formed
from groupbuy.services.pools import pools_sweep

# A formed close-when-formed buy still formed after this long lost its close enqueue: the sweep closes it.
LOST_CLOSE_GRACE = datetime.timedelta(seconds=10)
SWEEP_BATCH = 200
# A buy formed this long ago whose "formed" notice is still missing lost its notice task: the sweep sends it
# (as long as the lost close's grace, so a buy that lost both is announced formed before closed).
LOST_NOTICE_GRACE = LOST_CLOSE_GRACE
# ... unless it formed longer ago than this: by then the news is stale (and the scan stays small).
LOST_NOTICE_HORIZON = datetime.timedelta(days=2)


def group_buys_notify_formed_lost(*, now: datetime.datetime) -> int:
    """Send the "formed" notice of buys whose notice task was lost (broker down when they formed). The buy's
    formed_at and the notices are the record: formed more than LOST_NOTICE_GRACE ago (the task had its
    chance) and its leader holds no such notice means it was never sent. Idempotent (the notice's dedupe
    key): a sweep racing the late task, or another sweep, adds nothing. Returns how many buys it announced."""
    lost = (
        GroupBuy.objects.filter(formed_at__lte=now - LOST_NOTICE_GRACE, formed_at__gt=now - LOST_NOTICE_HORIZON)
        .exclude(status__in=NOT_FORMED_STATES)
        .exclude(buy_announced("buy_formed"))
        .order_by("formed_at", "pk")
    )
    return sum(
        group_buy_notify_formed(buy_id=buy_id) > 0 for buy_id in list(lost.values_list("pk", flat=True)[:SWEEP_BATCH])
    )


def group_buys_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Beat: close formed buys past their deadline, fail open ones, close close-when-formed buys whose close
    task was lost, and send "formed" notices whose task was lost. Safe to run concurrently and repeatedly
    (every step is a CAS or a deduplicated notice)."""
    now = now or timezone.now()
    # First, so that a buy this run closes was announced as formed before it is announced as closed.
    done = {"notices": group_buys_notify_formed_lost(now=now), "closed": 0, "failed": 0, "repaired": 0}
    due_formed = GroupBuy.objects.filter(status=BuyStatus.FORMED, deadline__lte=now).order_by("deadline", "pk")
    for buy_id in list(due_formed.values_list("pk", flat=True)[:SWEEP_BATCH]):
        done["closed"] += group_buy_close(buy_id=buy_id)
    lost = GroupBuy.objects.filter(
        status=BuyStatus.FORMED, close_when_formed=True, formed_at__lte=now - LOST_CLOSE_GRACE
    ).order_by("formed_at", "pk")
    for buy_id in list(lost.values_list("pk", flat=True)[:SWEEP_BATCH]):
        done["repaired"] += group_buy_close(buy_id=buy_id)
    done["pools_failed"] = pools_sweep(now=now)
    due_open = (
        GroupBuy.objects.filter(status=BuyStatus.OPEN, deadline__lte=now)
        .exclude(pk__in=PoolMember.objects.filter(status=PoolMemberStatus.ACTIVE).values("buy_id"))
        .order_by("deadline", "pk")
    )
    for buy_id in list(due_open.values_list("pk", flat=True)[:SWEEP_BATCH]):
        done["failed"] += group_buy_fail(buy_id=buy_id, now=now)
    done["photos"] = offer_photos_requeue(now=now)
    return done
