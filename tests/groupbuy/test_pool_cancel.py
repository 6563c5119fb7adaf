"""The host leader cancels a whole pool (the supplier cannot deliver), open or formed: every member buy with it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Notification
from core.errors import ApplicationError
from groupbuy.factories import GroupBuyFactory, buy_state, signup
from groupbuy.models import BuyStatus, Entry, EntryStatus, GroupBuy, Pool, PoolStatus
from groupbuy.services.buys import group_buy_cancel
from groupbuy.services.pools import pool_cancel, pool_create, pool_join, pool_offer
from settlement.models import Refund, RefundReason
from settlement.services.payments import payment_confirm, payment_mark
from tests.groupbuy.test_pools import pool_state, refused
from tests.groupbuy.test_pools_races import households
from tests.groupbuy.test_races import run_together

pytestmark = pytest.mark.django_db

REASON = "供应商缺货"


def make_pool(place, other_place, moq="10"):
    host = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal(moq), title="豆腐团")
    pool = pool_create(actor=place.leader.user, buy=host)
    pool_offer(actor=place.leader.user, pool=pool, community=other_place.community)
    member = pool_join(actor=other_place.leader.user, pool=pool, community=other_place.community, drop_point="东门")
    return pool, host, member


def paid(entry, membership, confirmer):
    entry = Entry.objects.select_related("buy").get(pk=entry.pk)
    payment_mark(actor=membership.user, entry=entry, amount=str(entry.amount), method="wechat")
    payment_confirm(actor=confirmer.user, entry=entry)
    return entry


def everything(pool, *buys):
    return {
        "pool": pool_state(pool),
        "buys": [buy_state(b) for b in buys],
        "refunds": list(Refund.objects.order_by("pk").values_list("pk", "entry_id")),
        "notices": Notification.objects.count(),
    }


@pytest.fixture
def formed(place, other_place):
    pool, host, member = make_pool(place, other_place)
    a = paid(signup(host, place.resident, 4), place.resident, place.leader)
    signup(host, place.neighbour, 1)  # never paid
    b = paid(signup(member, other_place.resident, 5), other_place.resident, other_place.leader)
    pool.refresh_from_db()
    assert pool.status == PoolStatus.FORMED
    return pool, host, member, a, b


def test_cancelling_a_formed_pool_cancels_every_member_refunds_and_tells_everyone_once(place, other_place, formed):
    pool, host, member, a, b = formed
    Notification.objects.all().delete()

    cancelled = pool_cancel(actor=place.leader.user, pool=pool, reason=f"  {REASON} ")

    assert (cancelled.status, cancelled.ended_at is not None) == (PoolStatus.CANCELLED, True)
    for buy in (host, member):
        buy.refresh_from_db()
        assert (buy.status, buy.cancel_reason) == (BuyStatus.CANCELLED, REASON)
        assert set(buy.entries.values_list("status", flat=True)) == {EntryStatus.RELEASED}
    # Paid entries get their refund; the unpaid one has nothing to give back.
    refunds = sorted(Refund.objects.values_list("entry_id", "amount", "reason"))
    assert refunds == sorted([(a.pk, a.amount, RefundReason.FAILED), (b.pk, b.amount, RefundReason.FAILED)])
    # Every participant and each member buy's leader: one notice, with the reason and the host's community.
    told = {
        place.resident.user.pk: host.pk,
        place.neighbour.user.pk: host.pk,
        place.leader.user.pk: host.pk,
        other_place.resident.user.pk: member.pk,
        other_place.leader.user.pk: member.pk,
    }
    cancels = Notification.objects.filter(kind__in=["pool_cancelled", "buy_cancelled"])
    notices = list(cancels.values_list("user_id", "kind", "params"))
    assert sorted((u, k, p["buy_id"]) for u, k, p in notices) == sorted(
        (u, "pool_cancelled", b) for u, b in told.items()
    )
    assert {p["reason"] for _u, _k, p in notices} == {REASON}
    assert {p["community"] for _u, _k, p in notices} == {place.community.name}
    # The paid ones also hear that a refund is due (the refund hook's own notice).
    assert set(Notification.objects.filter(kind="refund_due").values_list("user_id", flat=True)) >= {
        place.resident.user.pk,
        other_place.resident.user.pk,
    }


def test_cancelling_an_open_pool_cancels_its_members_too(place, other_place):
    pool, host, member = make_pool(place, other_place)
    signup(member, other_place.resident, 2)

    pool_cancel(actor=place.leader.user, pool=pool, reason=REASON)

    assert Pool.objects.get(pk=pool.pk).status == PoolStatus.CANCELLED
    assert set(GroupBuy.objects.filter(pk__in=[host.pk, member.pk]).values_list("status", flat=True)) == {
        BuyStatus.CANCELLED
    }
    assert not Entry.objects.filter(buy__in=[host, member], status=EntryStatus.ACTIVE).exists()


def test_only_the_host_leader_may_cancel_the_pool_and_a_refusal_changes_nothing(place, other_place, formed):
    pool, host, member, _a, _b = formed
    before = everything(pool, host, member)
    refused("not_your_buy", pool_cancel, actor=place.other_leader.user, pool=pool, reason=REASON)
    refused("forbidden", pool_cancel, actor=place.resident.user, pool=pool, reason=REASON)
    # The member buy's own leader cannot end the pool for everyone either.
    refused("wrong_community", pool_cancel, actor=other_place.leader.user, pool=pool, reason=REASON)
    refused("reason_required", pool_cancel, actor=place.leader.user, pool=pool, reason="   ")
    refused("invalid", pool_cancel, actor=place.leader.user, pool=pool, reason="x" * 301)
    assert everything(pool, host, member) == before


def test_cancelling_twice_is_refused_the_second_time(place, other_place, formed):
    pool, host, member, _a, _b = formed
    pool_cancel(actor=place.leader.user, pool=pool, reason=REASON)
    before = everything(pool, host, member)
    refused("invalid_state", pool_cancel, actor=place.leader.user, pool=pool, reason="again")
    # A member buy of the cancelled pool cannot be cancelled again on its own either.
    refused("invalid_state", group_buy_cancel, actor=other_place.leader.user, buy=member, reason="again")
    assert everything(pool, host, member) == before


def test_a_member_already_past_cancelling_refuses_the_whole_pool_cancel(place, other_place, formed):
    pool, host, member, _a, _b = formed
    # The member's delivery was already filed with the committee (past the states a leader may cancel in).
    GroupBuy.objects.filter(pk=member.pk).update(status=BuyStatus.FILED)
    before = everything(pool, host, member)

    with pytest.raises(ApplicationError) as info:
        pool_cancel(actor=place.leader.user, pool=pool, reason=REASON)

    assert (info.value.code, info.value.detail) == ("pool_member_past_cancel", {"buys": [member.pk]})
    assert everything(pool, host, member) == before


def test_an_ordered_member_is_still_cancelled_with_its_pool(place, other_place, formed):
    """Ordered is still a state a leader may cancel in (group_buy_cancel's CANCELLABLE): the goods are not on
    their way yet."""
    pool, host, member, _a, _b = formed
    GroupBuy.objects.filter(pk=member.pk).update(status=BuyStatus.ORDERED)
    pool_cancel(actor=place.leader.user, pool=pool, reason=REASON)
    assert GroupBuy.objects.get(pk=member.pk).status == BuyStatus.CANCELLED


# --- page and API ---------------------------------------------------------------------------------------------


def test_the_host_leader_cancels_from_the_pool_page(client, place, other_place, formed):
    pool, host, member, _a, _b = formed
    client.force_login(place.leader.user)
    page = client.get(reverse("groupbuy:pool_detail", args=[pool.pk]))
    assert reverse("groupbuy:pool_cancel", args=[pool.pk]) in page.content.decode()

    response = client.post(reverse("groupbuy:pool_cancel", args=[pool.pk]), {"reason": ""})
    assert response.status_code == 400
    assert 'data-code="reason_required"' in response.content.decode()
    assert Pool.objects.get(pk=pool.pk).status == PoolStatus.FORMED

    response = client.post(reverse("groupbuy:pool_cancel", args=[pool.pk]), {"reason": REASON})
    assert response.status_code == 302
    assert Pool.objects.get(pk=pool.pk).status == PoolStatus.CANCELLED
    page = client.get(reverse("groupbuy:pool_detail", args=[pool.pk]))
    assert reverse("groupbuy:pool_cancel", args=[pool.pk]) not in page.content.decode()


def test_the_member_leader_sees_no_cancel_form_and_is_refused(client, place, other_place, formed):
    pool, host, member, _a, _b = formed
    client.force_login(other_place.leader.user)
    page = client.get(reverse("groupbuy:pool_detail", args=[pool.pk]))
    assert reverse("groupbuy:pool_cancel", args=[pool.pk]) not in page.content.decode()
    response = client.post(reverse("groupbuy:pool_cancel", args=[pool.pk]), {"reason": REASON})
    assert response.status_code == 403
    assert Pool.objects.get(pk=pool.pk).status == PoolStatus.FORMED


def test_the_api_cancels_the_pool_with_coded_errors(client, place, other_place, formed):
    pool, host, member, _a, _b = formed
    url = reverse("api-pool-cancel", args=[pool.pk])
    client.force_login(other_place.leader.user)
    assert client.post(url, {"reason": REASON}, content_type="application/json").json()["code"] == "wrong_community"
    client.force_login(place.leader.user)
    response = client.post(url, {"reason": ""}, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (400, "reason_required")
    response = client.post(url, {"reason": REASON}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["status"] == PoolStatus.CANCELLED
    assert {m["status"] for m in response.json()["members"]} == {BuyStatus.CANCELLED}
    response = client.post(url, {"reason": REASON}, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (409, "invalid_state")


# --- race on PostgreSQL -----------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_pool_cancel_racing_sign_ups_on_a_member_buy_ends_consistent(place, other_place):
    for round_ in range(3):
        pool, host, member = make_pool(place, other_place, moq="4")
        paid(signup(member, other_place.resident, 4), other_place.resident, other_place.leader)  # formed
        people = households(other_place, 8, f"C{round_}-")
        calls = [lambda m=m, member=member: signup(member, m, 1) for m in people]
        calls.insert(4, lambda pool=pool: pool_cancel(actor=place.leader.user, pool=pool, reason=REASON))

        results = run_together(calls)

        assert results[4][0] == "ok"
        assert Pool.objects.get(pk=pool.pk).status == PoolStatus.CANCELLED
        assert set(GroupBuy.objects.filter(pk__in=[host.pk, member.pk]).values_list("status", flat=True)) == {
            BuyStatus.CANCELLED
        }
        # Every sign-up either got in before the cancel (and was released with the rest) or was refused.
        signed = [r for n, r in enumerate(results) if n != 4]
        assert {kind for kind, _ in signed} <= {"ok", "refused"}
        assert {code for kind, code in signed if kind == "refused"} <= {"group_buy_closed"}
        entries = Entry.objects.filter(buy=member)
        assert entries.count() == 1 + sum(kind == "ok" for kind, _ in signed)
        assert not entries.filter(status=EntryStatus.ACTIVE).exists()
        assert Refund.objects.filter(entry__buy=member).count() == 1  # the one paid entry
