from decimal import Decimal

import pytest

from accounts.models import Household
from core.errors import Conflict, PermissionRefused, ValidationFailed
from groupbuy.models import BuyStatus, EntryLine, PurchaseOrderLine
from settlement.models import (
    Adjustment,
    AfterSalesReport,
    Donation,
    ItemArrival,
    Refund,
    RefundReason,
    ReportState,
    Resolution,
)
from settlement.services.after_sales import after_sales_report, after_sales_resolve
from settlement.services.common import purchase_order_include_donations
from settlement.services.donations import donation_add, donation_assign
from settlement.services.payments import payment_confirm, payment_mark
from settlement.services.shortages import arrivals_record
from tests.settlement.helpers import settlement_state

pytestmark = pytest.mark.django_db


def allocated(entry):
    return dict(EntryLine.objects.filter(entry=entry).values_list("item_id", "allocated"))


@pytest.mark.parametrize(("rule", "resident_main", "neighbour_main"), [("fcfs", 3, 3), ("fair_share", 3, 3)])
def test_shortage_allocates_by_the_buys_rule(make_closed, place, rule, resident_main, neighbour_main):
    closed = make_closed(allocation_rule=rule)
    arrivals_record(actor=place.leader.user, buy=closed.buy, arrived={closed.main.pk: 6})
    assert allocated(closed.resident_entry)[closed.main.pk] == resident_main
    assert allocated(closed.neighbour_entry)[closed.main.pk] == neighbour_main


def test_fair_share_differs_from_first_come_first_served(make_closed, place):
    closed = make_closed(allocation_rule="fair_share")
    arrivals_record(actor=place.leader.user, buy=closed.buy, arrived={closed.main.pk: 4})
    # resident asked 3, neighbour 7: water-filling gives 2 and 2 (fcfs would give 3 and 1).
    assert allocated(closed.resident_entry)[closed.main.pk] == 2
    assert allocated(closed.neighbour_entry)[closed.main.pk] == 2


def test_shortage_after_payment_becomes_a_refund(closed, place):
    entry = closed.neighbour_entry
    payment_mark(actor=place.neighbour.user, entry=entry, amount="413", method="wechat")
    payment_confirm(actor=place.leader.user, entry=entry)
    arrivals_record(actor=place.leader.user, buy=closed.buy, arrived={closed.main.pk: 6})
    refund = Refund.objects.get()
    assert (refund.entry_id, refund.amount, refund.reason) == (entry.pk, Decimal("236.00"), RefundReason.SHORTAGE)
    assert Adjustment.objects.filter(entry=closed.resident_entry).count() == 0


@pytest.mark.parametrize(
    ("arrived", "code"),
    [
        ({"main": 11}, "shortage_above_ordered"),
        ({"main": -1}, "invalid_quantity"),
        ({"main": "x"}, "invalid_quantity"),
        ({999999: 1}, "unknown_item"),
        ({}, "no_items"),
    ],
)
def test_bad_arrivals_are_refused(closed, place, arrived, code):
    data = {(closed.main.pk if k == "main" else k): v for k, v in arrived.items()}
    before = settlement_state(closed.buy)
    with pytest.raises(ValidationFailed) as exc:
        arrivals_record(actor=place.leader.user, buy=closed.buy, arrived=data)
    assert exc.value.code == code
    assert settlement_state(closed.buy) == before


def test_arrival_recorded_twice_is_refused(closed, place):
    arrivals_record(actor=place.leader.user, buy=closed.buy, arrived={closed.main.pk: 10})
    before = settlement_state(closed.buy)
    with pytest.raises(Conflict) as exc:
        arrivals_record(actor=place.leader.user, buy=closed.buy, arrived={closed.main.pk: 5, closed.extra.pk: 1})
    assert exc.value.code == "arrival_already_recorded"
    assert settlement_state(closed.buy) == before
    assert ItemArrival.objects.count() == 1


def test_after_sales_refund_flow(closed, place):
    entry = closed.resident_entry
    payment_mark(actor=place.resident.user, entry=entry, amount="197", method="wechat")
    payment_confirm(actor=place.leader.user, entry=entry)
    report = after_sales_report(
        actor=place.resident.user, entry=entry, kind="damaged", description="two eggs broken", item_id=closed.extra.pk
    )
    assert report.state == ReportState.OPEN
    report = after_sales_resolve(actor=place.leader.user, report=report, resolution="refund", refund_amount="5.00")
    assert (report.state, report.resolution) == (ReportState.RESOLVED, Resolution.REFUND)
    refund = Refund.objects.get()
    assert (refund.amount, refund.reason) == (Decimal("5.00"), RefundReason.AFTER_SALES)
    with pytest.raises(Conflict) as exc:
        after_sales_resolve(actor=place.leader.user, report=report, resolution="refund", refund_amount="1")
    assert exc.value.code == "already_resolved"
    assert Refund.objects.count() == 1


def test_after_sales_refund_larger_than_paid_is_refused(closed, place):
    entry = closed.resident_entry
    payment_mark(actor=place.resident.user, entry=entry, amount="100", method="wechat")
    payment_confirm(actor=place.leader.user, entry=entry)
    report = after_sales_report(actor=place.resident.user, entry=entry, kind="missing", description="no tofu")
    before = settlement_state(closed.buy)
    with pytest.raises(ValidationFailed) as exc:
        after_sales_resolve(actor=place.leader.user, report=report, resolution="refund", refund_amount="100.01")
    assert exc.value.code == "refund_exceeds_paid"
    assert settlement_state(closed.buy) == before
    assert AfterSalesReport.objects.get().state == ReportState.OPEN


def test_after_sales_on_an_entry_not_yours_is_refused(closed, place):
    before = settlement_state(closed.buy)
    with pytest.raises(PermissionRefused) as exc:
        after_sales_report(actor=place.neighbour.user, entry=closed.resident_entry, kind="missing", description="x")
    assert exc.value.code == "not_your_entry"
    assert settlement_state(closed.buy) == before


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"kind": "stolen"}, "invalid_kind"),
        ({"description": " "}, "description_required"),
        ({"item_id": 999999}, "item_not_in_entry"),
    ],
)
def test_bad_after_sales_reports_are_refused(closed, place, kwargs, code):
    data = {"kind": "missing", "description": "no tofu", **kwargs}
    before = settlement_state(closed.buy)
    with pytest.raises(ValidationFailed) as exc:
        after_sales_report(actor=place.resident.user, entry=closed.resident_entry, **data)
    assert exc.value.code == code
    assert settlement_state(closed.buy) == before


def test_rejecting_needs_a_reason(closed, place):
    report = after_sales_report(actor=place.resident.user, entry=closed.resident_entry, kind="wrong", description="x")
    with pytest.raises(ValidationFailed) as exc:
        after_sales_resolve(actor=place.leader.user, report=report, resolution="rejected")
    assert exc.value.code == "reason_required"
    report = after_sales_resolve(actor=place.leader.user, report=report, resolution="rejected", note="photo shows ok")
    assert report.resolution == Resolution.REJECTED


def test_after_sales_photo_is_stored_reencoded(closed, place, tmp_path, django_capture_on_commit_callbacks):
    import io

    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buf, "JPEG")
    upload = SimpleUploadedFile("broken.jpg", buf.getvalue(), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):  # the re-encoding task runs after commit
        report = after_sales_report(
            actor=place.resident.user, entry=closed.resident_entry, kind="damaged", description="x", photos=[upload]
        )
    path = report.photos.get().path
    assert path.startswith("settlement/after-sales/")
    assert default_storage.exists(path)


def test_bad_photo_leaves_nothing_behind(closed, place):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = settlement_state(closed.buy)
    upload = SimpleUploadedFile("x.jpg", b"not an image at all", content_type="image/jpeg")
    with pytest.raises(ValidationFailed):
        after_sales_report(
            actor=place.resident.user, entry=closed.resident_entry, kind="damaged", description="x", photos=[upload]
        )
    assert settlement_state(closed.buy) == before


def test_donation_for_a_vulnerable_household_joins_the_purchase_order(closed, place):
    Household.objects.filter(pk=place.neighbour.household_id).update(is_vulnerable=True)
    closed.set_status(BuyStatus.FORMED)  # donated while the buy took sign-ups; the close hook orders it
    donation = donation_add(actor=place.resident.user, buy=closed.buy, item_id=closed.extra.pk, quantity=2)
    closed.set_status(BuyStatus.CLOSED)
    assert donation.amount == Decimal("40.00")
    with pytest.raises(ValidationFailed) as exc:
        donation_assign(actor=place.leader.user, donation=donation, recipient_id=place.resident.household_id)
    assert exc.value.code == "not_vulnerable"
    donation = donation_assign(actor=place.leader.user, donation=donation, recipient_id=place.neighbour.household_id)
    assert donation.recipient_id == place.neighbour.household_id
    assert PurchaseOrderLine.objects.get(order__buy=closed.buy, item=closed.extra).quantity == 1
    purchase_order_include_donations(buy_id=closed.buy.pk)
    assert PurchaseOrderLine.objects.get(order__buy=closed.buy, item=closed.extra).quantity == 3
    purchase_order_include_donations(buy_id=closed.buy.pk)  # idempotent
    assert PurchaseOrderLine.objects.get(order__buy=closed.buy, item=closed.extra).quantity == 3


def test_donation_refused_after_the_order_went_out(closed, place):
    closed.set_status(BuyStatus.ORDERED)
    with pytest.raises(Conflict):
        donation_add(actor=place.resident.user, buy=closed.buy, item_id=closed.extra.pk, quantity=1)
    assert not Donation.objects.exists()
