"""Group-buy notices: the message per kind, and who hears about a buy.

Every notice about a buy uses the dedupe key `buy:<id>:<kind>[:...]`, so the
task that sends it can run twice (redelivery, the sweep and the on-commit task
racing) and each person still gets it once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Notification
from accounts.notifications import notification_send, register
from groupbuy.models import Entry, EntryStatus, GroupBuy

register("buy_formed", _("“{title}” reached its minimum order (成团)."), sms=True)
register("buy_closed", _("“{title}” is closed: the list is final and the order goes to the supplier."))
register(
    "buy_failed",
    _("“{title}” did not reach its minimum order by the deadline (流团). Your sign-up was released."),
    sms=True,
)
register("buy_cancelled", _("“{title}” was cancelled by its leader: {reason}"))
register("pool_offered", _("{community} invites your community to pool “{title}” to reach the supplier's minimum."))
register("pool_joined", _("{community} joined your pool “{title}”."))
register("pool_left", _("{community} left your pool “{title}”."))
# Each member buy's participants and leader: their buy ended with the pool, cancelled by the host's leader.
register("pool_cancelled", _("“{title}” was cancelled with its pool by the leader in {community}: {reason}"))
# What changed is stored as field names and read in the reader's language.
register(
    "buy_changed",
    _("“{title}” was changed: {fields}"),
    labels={
        "fields": {
            name: GroupBuy._meta.get_field(name).verbose_name
            for name in ("title", "description", "drop_point", "deadline", "delivery_date")
        }
    },
)


def buy_link(buy_id: int) -> str:
    # The buy page (groupbuy:buy_detail). Not reverse(): a close in a worker must not depend on
    # importing every URL module of the site.
    return f"/buys/{buy_id}/"


def participant_user_ids(*, buy_id: int, statuses: Iterable[str] = (EntryStatus.ACTIVE,)) -> set[int]:
    """Everyone with an account in a household that has an entry in these statuses, and who placed it."""
    entries = Entry.objects.filter(buy_id=buy_id, status__in=list(statuses))
    household_ids = entries.values("household_id")
    members = Membership.objects.filter(household_id__in=household_ids, is_active=True).values_list(
        "user_id", flat=True
    )
    placers = entries.values_list("placed_by_id", flat=True)
    return set(members) | set(placers)


def buy_notice_key(buy_id: int, kind: str) -> str:
    return f"buy:{buy_id}:{kind}"


def buy_announced(kind: str) -> Exists:
    """In a GroupBuy query: whether its `kind` notice was sent (the key of `buy_notice_key`). The leader is
    addressed by every notice about their buy, so their row (found through the unique (user, key) index)
    records it."""
    key = Concat(Value("buy:"), Cast(OuterRef("pk"), CharField()), Value(f":{kind}"), output_field=CharField())
    return Exists(Notification.objects.filter(user_id=OuterRef("leader_id"), dedupe_key=key))


def notify_buy(
    *,
    buy: GroupBuy,
    kind: str,
    user_ids: Iterable[int],
    params: dict[str, Any] | None = None,
    key_suffix: str = "",
) -> int:
    """Send `kind` about `buy` to `user_ids` and the leader; exactly once per user and key."""
    dedupe_key = buy_notice_key(buy.pk, kind) + (f":{key_suffix}" if key_suffix else "")
    return notification_send(
        user_ids={*user_ids, buy.leader_id},
        kind=kind,
        dedupe_key=dedupe_key,
        params={"title": buy.title, "buy_id": buy.pk, **(params or {})},
        link=buy_link(buy.pk),
        community_id=buy.community_id,
    )
