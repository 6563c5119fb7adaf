"""One community (A) with an object of every kind a route can act on, and people in every role; plus a
second community (B) whose committee member must have no power in A. Used by the permission matrix."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from accounts.factories import UserFactory
from accounts.models import JoinRequest, Notification
from compliance.models import Evidence, Suspension
from compliance.services.filings import filing_submit
from groupbuy.factories import GroupBuyFactory, OfferFactory, main_item, signup
from groupbuy.models import OfferPhoto, ShareLink
from settlement.models import AfterSalesReport, ChangeDefault, Donation, PayeeAccount, Payment, PickupCode, Refund
from settlement.services.payments import payment_mark
from settlement.services.price_changes import price_change_propose
from tests.compliance.conftest import filing_kwargs, live_times, make_ordered_buy
from tests.settlement.conftest import ClosedBuy


def _stored(name: str) -> str:
    """A small real JPEG in private storage (the file views stream it)."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(buffer, "JPEG")
    return default_storage.save(name, ContentFile(buffer.getvalue()))


ROLES = (
    "anonymous",
    "resident",
    "neighbour",
    "leader",
    "other_leader",
    "building_leader",
    "data_volunteer",
    "receiving_volunteer",
    "committee",
    "other_committee",
    "gate_guard",
)


class World:
    def __init__(self, place, other_place):
        from compliance.models import DeliveryPolicy

        self.place = place
        self.community = place.community
        self.users = {
            "anonymous": None,
            "resident": place.resident.user,
            "neighbour": place.neighbour.user,
            "leader": place.leader.user,
            "other_leader": place.other_leader.user,
            "building_leader": place.building_leader.user,
            "data_volunteer": place.data_volunteer.user,
            "receiving_volunteer": place.receiving_volunteer.user,
            "committee": place.committee.user,
            "other_committee": other_place.committee.user,
            "gate_guard": place.gate_guard.user,
        }
        # A buy taking sign-ups; the resident is on its list.
        self.open_buy = GroupBuyFactory(community=self.community, leader=place.leader.user, moq=Decimal("100"))
        self.open_item = main_item(self.open_buy)
        self.open_entry = signup(self.open_buy, place.resident, 1)
        # A closed buy with the resident's and the neighbour's entries, a payment, a price change, a refund,
        # an after-sales report and a donation.
        closed = ClosedBuy(place)
        self.closed = closed
        self.closed_buy = closed.buy
        self.resident_entry = closed.resident_entry
        self.neighbour_entry = closed.neighbour_entry
        payment_mark(actor=place.resident.user, entry=self.resident_entry, amount="197", method="wechat")
        self.price_change = price_change_propose(
            actor=place.leader.user,
            buy=closed.buy,
            item_id=closed.extra.pk,
            new_price="25.00",
            reason="dearer now",
            deadline=timezone.now() + datetime.timedelta(hours=6),
            default_action=ChangeDefault.WITHDRAW,
        )
        self.refund = Refund.objects.create(
            entry=self.resident_entry, buy=closed.buy, amount=Decimal("5.00"), reason="overpaid"
        )
        self.report = AfterSalesReport.objects.create(
            entry=self.resident_entry,
            buy=closed.buy,
            kind="damaged",
            description="crushed",
            reported_by=place.resident.user,
        )
        # The resident's entry is in building 12 (the building leader's); the neighbour's too.
        self.pickup = PickupCode.objects.create(entry=self.resident_entry, buy=closed.buy, code="PK7H3M9Q")
        self.donation = Donation.objects.create(
            buy=closed.buy, item=closed.main, quantity=1, amount=Decimal("59.00"), donor=place.leader.user
        )
        # An ordered buy with its delivery filing (documents), evidence, a suspension.
        DeliveryPolicy.objects.create(
            community=self.community,
            weekdays="0123456",
            lead_hours=0,
            gate_opens=datetime.time(0, 0),
            gate_closes=datetime.time(23, 59, 59),
        )
        self.ordered_buy = make_ordered_buy(place)
        self.filing = filing_submit(
            actor=place.leader.user, buy=self.ordered_buy, **filing_kwargs(now=None, **live_times())
        )
        self.document = self.filing.documents.order_by("pk").first()
        self.evidence = Evidence.objects.create(
            filing=self.filing, kind="photo", status="ready", file="compliance/x.jpg", uploaded_by=place.leader.user
        )
        self.suspension = Suspension.objects.create(
            community=self.community,
            starts_at=timezone.now() + datetime.timedelta(days=10),
            ends_at=timezone.now() + datetime.timedelta(days=11),
            reason="inspection",
            created_by=place.committee.user,
        )
        # A pool hosted by the leader's buy, offered to community B.
        from groupbuy.services.pools import pool_create, pool_offer

        self.other_community = other_place.community
        self.pool_buy = GroupBuyFactory(community=self.community, leader=place.leader.user, moq=Decimal("100"))
        self.pool = pool_create(actor=place.leader.user, buy=self.pool_buy)
        pool_offer(actor=place.leader.user, pool=self.pool, community=other_place.community)
        # Joining, notices, the catalogue.
        self.applicant = UserFactory(username="applicant")
        self.join_request = JoinRequest.objects.create(
            user=self.applicant, community=self.community, building=place.building, room="901", name="申请人"
        )
        self.notification = Notification.objects.create(
            user=place.resident.user, community=self.community, kind="buy_changed", dedupe_key="w:1", params={}
        )
        self.offer = OfferFactory(supplier__community=self.community)
        self.supplier = self.offer.supplier
        self.photo = OfferPhoto.objects.create(offer=self.offer, status="ready", image=_stored("offers/x.jpg"))
        # The open buy's share link (made with the buy) and a photo of its offer, for the public preview.
        self.share_token = ShareLink.objects.get(buy=self.open_buy, revoked_at__isnull=True).token
        self.share_photo = OfferPhoto.objects.create(
            offer=self.open_item.offer, status="ready", image=_stored("offers/y.jpg")
        )
        Evidence.objects.filter(pk=self.evidence.pk).update(file=_stored("compliance/evidence/x.jpg"))
        self.payment = Payment.objects.get(entry=self.resident_entry)
        Payment.objects.filter(pk=self.payment.pk).update(screenshot=_stored("settlement/payments/x.jpg"))
        # The leader's default 收款码, used by the closed buy (which has none of its own).
        self.payee = PayeeAccount.objects.create(
            owner=place.leader.user, name="王团长", qr_image=_stored("settlement/payees/x.jpg")
        )
