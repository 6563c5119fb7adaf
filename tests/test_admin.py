"""The operators' admin: every model of our apps is registered, every changelist and object page opens for a
superuser with a row present, and rows whose counters, states or money change only through the services
cannot be added, edited or deleted there."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from accounts.factories import UserFactory
from accounts.models import InviteCode, JoinRequest, Notification
from compliance.models import (
    AuditEvent,
    AuditHead,
    Evidence,
    Filing,
    FilingDocument,
    FilingLine,
    PendingDocument,
    Slip,
    SupplierQualification,
    Suspension,
    VehiclePass,
)
from compliance.services.audit import audit_append
from groupbuy.factories import GroupBuyFactory, main_item, signup
from groupbuy.models import (
    DuplicateBuyNotice,
    GroupBuy,
    OfferPhoto,
    Pool,
    PoolInvitation,
    PoolMember,
    PurchaseOrder,
    PurchaseOrderLine,
    ShareLink,
)
from settlement.models import (
    Adjustment,
    AfterSalesPhoto,
    AfterSalesReport,
    Donation,
    Handover,
    HandoverLine,
    ItemArrival,
    PayeeAccount,
    Payment,
    PickupCode,
    PriceChange,
    PriceChangeResponse,
    Refund,
)

OUR_APPS = ["accounts", "groupbuy", "settlement", "compliance"]

# Counters, states, money and audit rows: looked at in the admin, changed only by services.
READ_ONLY = [
    GroupBuy,
    PurchaseOrder,
    Pool,
    PoolMember,
    PoolInvitation,
    DuplicateBuyNotice,
    Payment,
    Refund,
    Adjustment,
    PriceChange,
    PriceChangeResponse,
    ItemArrival,
    PickupCode,
    HandoverLine,
    AfterSalesReport,
    AfterSalesPhoto,
    Donation,
    AuditEvent,
    AuditHead,
    FilingLine,
    FilingDocument,
    ShareLink,
    PayeeAccount,
    PendingDocument,
    SupplierQualification,
    VehiclePass,
    Handover,
]


def our_models():
    return [m for label in OUR_APPS for m in apps.get_app_config(label).get_models()]


def test_every_model_of_our_apps_is_registered_in_the_admin():
    missing = [m._meta.label for m in our_models() if not admin.site.is_registered(m)]
    assert missing == []


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m._meta.label)
def test_service_owned_rows_cannot_be_added_changed_or_deleted_in_the_admin(model, rf):
    request = rf.get("/")
    request.user = UserFactory.build(is_superuser=True, is_staff=True)
    model_admin = admin.site.get_model_admin(model)
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, None)
    assert not model_admin.has_delete_permission(request, None)


@pytest.fixture
def one_of_everything(place, other_place):
    """At least one row of every model of our apps (rows made directly: only the admin pages are under test)."""
    now = timezone.now()
    leader = place.leader.user
    buy = GroupBuyFactory(community=place.community, leader=leader, item__offer__pack_size=10)
    item = main_item(buy)
    entry = signup(buy, place.resident, 3)
    line = entry.lines.get()
    OfferPhoto.objects.create(offer=item.offer, position=0)

    other_buy = GroupBuyFactory(community=other_place.community, leader=other_place.leader.user)
    pool = Pool.objects.create(host_buy=buy, created_by=leader, moq=Decimal("50"), deadline=buy.deadline)
    PoolMember.objects.create(pool=pool, buy=buy, community=place.community, added_by=leader)
    PoolInvitation.objects.create(pool=pool, community=other_place.community, invited_by=leader)
    DuplicateBuyNotice.objects.create(
        buy=buy, other_buy=GroupBuyFactory(community=place.community), community=place.community, opened_by=leader
    )
    DuplicateBuyNotice.objects.filter(buy=buy).update(reason="same_offer")
    order = PurchaseOrder.objects.create(buy=other_buy)
    PurchaseOrderLine.objects.create(
        order=order, item=main_item(other_buy), quantity=10, packs=1, unit_cost=Decimal("50"), amount=Decimal("500")
    )

    Payment.objects.create(entry=entry, buy=buy)
    PayeeAccount.objects.create(owner=leader, buy=buy, name="王团长", qr_image="payee/x.png")
    Refund.objects.create(entry=entry, buy=buy, amount=Decimal("1.00"), reason="shortage")
    Adjustment.objects.create(entry=entry, buy=buy, amount=Decimal("-1.00"), reason="shortage", source_key="t:1")
    change = PriceChange.objects.create(
        buy=buy,
        item=item,
        old_price=Decimal("59"),
        new_price=Decimal("60"),
        old_cost=Decimal("50"),
        new_cost=Decimal("51"),
        reason="market",
        deadline=now + timedelta(hours=2),
        proposed_by=leader,
    )
    PriceChangeResponse.objects.create(change=change, entry=entry, choice="accept", quantity=3, amount_delta=3)
    ItemArrival.objects.create(item=item, buy=buy, ordered=3, arrived=2, rule="fcfs", recorded_by=leader)
    pickup = PickupCode.objects.create(entry=entry, buy=buy, code="ABCD2345")
    visit = Handover.objects.create(pickup=pickup, by=leader, at=now)
    HandoverLine.objects.create(pickup=pickup, handover=visit, line=line, expected=3, handed=2)
    report = AfterSalesReport.objects.create(
        entry=entry, buy=buy, item=item, kind="damaged", description="crushed", reported_by=place.resident.user
    )
    AfterSalesPhoto.objects.create(report=report, path="aftersales/x.jpg")
    Donation.objects.create(buy=buy, item=item, quantity=1, amount=Decimal("59"), donor=leader)

    suspension = Suspension.objects.create(
        community=place.community, starts_at=now, ends_at=now + timedelta(days=1), reason="case", created_by=leader
    )
    filing = Filing.objects.create(
        community=place.community,
        buy=buy,
        submitted_by=leader,
        gate="north",
        arrival_start=now + timedelta(days=1),
        arrival_end=now + timedelta(days=1, hours=2),
        vehicle_plate="沪A12345",
        driver_name="李",
        test_sampled_at=now,
        submitted_at=now,
        held_by=suspension,
    )
    FilingLine.objects.create(filing=filing, item=item, title="菜", unit="份", quantity=3)
    FilingDocument.objects.create(filing=filing, kind="vehicle_pass", file="filings/p.pdf", content_type="x")
    Slip.objects.create(
        filing=filing,
        community=place.community,
        code="ABCD2345EFGH",
        valid_from=now,
        valid_until=now + timedelta(days=1),
        issued_at=now,
        issued_by=place.committee.user,
    )
    Evidence.objects.create(filing=filing, kind="photo", uploaded_by=place.receiving_volunteer.user)
    PendingDocument.objects.create(user=leader, buy=buy, kind="qualification", file="pending/q.pdf", content_type="x")
    SupplierQualification.objects.create(
        supplier=item.offer.supplier, file="q/q.pdf", content_type="x", expires_on=now.date() + timedelta(days=30)
    )
    VehiclePass.objects.create(
        community=place.community, vehicle_plate="沪A12345", file="p/p.pdf", content_type="x", expires_on=now.date()
    )
    audit_append(community_id=place.community.pk, kind="test", actor=leader, subject=f"filing:{filing.pk}")
    from compliance.services.policy import policy_lock

    policy_lock(community_id=place.community.pk)  # creates the community's policy row

    InviteCode.objects.create(
        community=place.community,
        household=place.resident.household,
        code_hash="0" * 64,
        expires_at=now + timedelta(days=1),
    )
    JoinRequest.objects.create(
        user=UserFactory(), community=place.community, building=place.building, room="901", name="张"
    )
    Notification.objects.create(user=place.resident.user, kind="test", dedupe_key="t")
    from accounts.factories import HouseholdMemberFactory

    HouseholdMemberFactory(household=place.resident.household)


def test_every_changelist_and_object_page_opens_for_a_superuser(one_of_everything, client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    empty, failures = [], []
    for model in admin.site._registry:
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = client.get(changelist)
        if response.status_code != 200:
            failures.append((changelist, response.status_code))
        obj = model._default_manager.first()
        if obj is None:
            empty.append(opts.label)
            continue
        page = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        response = client.get(page)
        if response.status_code != 200:
            failures.append((page, response.status_code))
    assert failures == []
    # Every model of our apps had a row, so its object page (with inlines) was rendered too.
    assert [label for label in empty if label.split(".")[0] in OUR_APPS] == []


def test_a_pool_counter_cannot_be_edited_through_the_admin(one_of_everything, client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    pool = Pool.objects.get()
    before = Pool.objects.filter(pk=pool.pk).values().get()
    url = reverse("admin:groupbuy_pool_change", args=[pool.pk])
    response = client.post(url, {"main_units": "999", "status": "formed", "moq": "1"})
    assert response.status_code == 403
    assert Pool.objects.filter(pk=pool.pk).values().get() == before
