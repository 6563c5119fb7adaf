"""Filings that keep work (issue 16): ISO dates in every locale, uploads kept across a refusal,
filing offered only when allowed, supplier qualifications stored once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone, translation

from compliance.models import Filing, PendingDocument, SupplierQualification, VehiclePass
from compliance.services.filings import filing_allowed
from compliance.services.pending import pending_documents_get, pending_documents_sweep
from groupbuy.models import BuyItem, BuyStatus, GroupBuy, PurchaseOrder

from .conftest import live_times, pdf_upload, stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def chinese(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    with translation.override("zh-hans"):
        yield


def test_chinese_filing_form_prefills_iso_dates(place, buy, live_policy, web, chinese):
    body = (
        web(place.leader.user)
        .get(reverse("compliance:filing_create", args=[buy.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
        .content.decode()
    )
    assert f'value="{buy.delivery_date.isoformat()}"' in body


def test_chinese_resubmit_form_prefills_iso_dates_and_times(place, live_filed, web, chinese):
    from django.utils import timezone

    start = timezone.localtime(live_filed.arrival_start)
    sampled = timezone.localtime(live_filed.test_sampled_at)
    body = (
        web(place.leader.user)
        .get(reverse("compliance:filing_edit", args=[live_filed.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
        .content.decode()
    )
    assert f'name="arrival_date" value="{start.date().isoformat()}"' in body
    assert f'name="arrival_from" value="{start:%H:%M}"' in body
    assert f'name="test_sampled_at" value="{sampled:%Y-%m-%dT%H:%M}"' in body


# --- uploads kept across a refused submit -------------------------------------------------------


def post_filing(client, url, times, **overrides):
    from .test_pages import form_data

    return client.post(url, form_data(times, **overrides))


def test_refused_submit_keeps_the_documents_and_the_next_submit_uses_them(place, buy, live_policy, web):
    client = web(place.leader.user)
    url = reverse("compliance:filing_create", args=[buy.pk])
    times = live_times()

    refused = post_filing(client, url, times, vehicle_plate="!")
    body = refused.content.decode()
    assert refused.status_code == 400
    assert 'data-code="invalid_vehicle_plate"' in body or "plate" in body
    assert not Filing.objects.exists()
    kept = PendingDocument.objects.filter(user=place.leader.user, buy=buy)
    assert sorted(kept.values_list("kind", flat=True)) == ["qualification", "test_report", "vehicle_pass"]
    assert "Uploaded: doc.pdf" in body
    assert "Uploaded: test.pdf" in body

    data = dict(form_data_without_files(times).items())
    response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    filing = Filing.objects.get()
    names = dict(filing.documents.values_list("kind", "file"))
    assert sorted(names) == ["qualification", "test_report", "vehicle_pass"]
    assert not PendingDocument.objects.exists()
    for name in names.values():
        assert default_storage.exists(name)


def form_data_without_files(times, **overrides):
    from .test_pages import form_data

    data = form_data(times, **overrides)
    for kind in ("qualification", "vehicle_pass", "test_report"):
        data.pop(kind)
    return data


def test_a_form_refused_before_the_service_keeps_its_files_too(place, buy, live_policy, web):
    client = web(place.leader.user)
    url = reverse("compliance:filing_create", args=[buy.pk])
    response = post_filing(client, url, live_times(), driver_name="")
    assert "Uploaded: doc.pdf" in response.content.decode()
    assert PendingDocument.objects.filter(user=place.leader.user, buy=buy).count() == 3


def test_a_new_upload_replaces_the_kept_one_and_its_file(
    place, buy, live_policy, web, django_capture_on_commit_callbacks
):
    client = web(place.leader.user)
    url = reverse("compliance:filing_create", args=[buy.pk])
    with django_capture_on_commit_callbacks(execute=True):
        post_filing(client, url, live_times(), vehicle_plate="!")
    old = PendingDocument.objects.get(kind="qualification").file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**form_data_without_files(live_times()), "qualification": pdf_upload("new.pdf")})
    assert response.status_code == 302
    assert not default_storage.exists(old)
    filed = Filing.objects.get().documents.get(kind="qualification").file.name
    assert filed != old
    assert default_storage.exists(filed)


def test_kept_documents_are_the_uploaders_own(place, buy, live_policy, web):
    post_filing(
        web(place.leader.user), reverse("compliance:filing_create", args=[buy.pk]), live_times(), vehicle_plate="!"
    )
    assert pending_documents_get(user_id=place.committee.user.pk, buy_id=buy.pk) == {}


def test_abandoned_kept_documents_are_swept_with_their_files(place, buy, live_policy, web, settings):
    before = stored_files(settings.MEDIA_ROOT)
    post_filing(
        web(place.leader.user), reverse("compliance:filing_create", args=[buy.pk]), live_times(), vehicle_plate="!"
    )
    assert PendingDocument.objects.count() == 3
    assert pending_documents_sweep(now=timezone.now() + timedelta(hours=23)) == 0  # not yet abandoned

    from compliance.tasks import repair_pending_evidence

    PendingDocument.objects.update(uploaded_at=timezone.now() - timedelta(days=1, minutes=1))
    assert repair_pending_evidence() == 3
    assert not PendingDocument.objects.exists()
    assert stored_files(settings.MEDIA_ROOT) == before  # no orphan files


def test_resubmit_after_a_refusal_keeps_the_new_documents(place, live_filed, web):
    from compliance.services.review import filing_reject

    filing_reject(actor=place.committee.user, filing=live_filed, reason="pass expired")
    client = web(place.leader.user)
    url = reverse("compliance:filing_edit", args=[live_filed.pk])
    old_pass = live_filed.documents.get(kind="vehicle_pass").file.name
    data = form_data_without_files(live_times(), vehicle_plate="!")
    refused = client.post(url, {**data, "vehicle_pass": pdf_upload("pass.pdf")})
    assert refused.status_code == 400
    assert "Uploaded: pass.pdf" in refused.content.decode()

    response = client.post(url, form_data_without_files(live_times()))
    assert response.status_code == 302
    live_filed.refresh_from_db()
    assert live_filed.revision == 2
    new_pass = live_filed.documents.get(kind="vehicle_pass")
    assert new_pass.file.name != old_pass
    assert new_pass.content_type == "application/pdf"
    assert not PendingDocument.objects.exists()


# --- filing offered only when the buy can be filed ----------------------------------------------


def test_an_open_buy_cannot_be_filed_and_the_form_says_why_before_it_is_filled(place, buy, web):
    GroupBuy.objects.filter(pk=buy.pk).update(status=BuyStatus.OPEN)
    client = web(place.leader.user)
    response = client.get(reverse("compliance:filing_create", args=[buy.pk]))
    body = response.content.decode()
    assert response.status_code == 409
    assert 'data-code="buy_not_ready"' in body
    assert 'name="vehicle_plate"' not in body
    delivery = client.get(reverse("compliance:buy_delivery", args=[buy.pk]))
    assert delivery.status_code == 200
    assert "Only a closed or ordered group buy" in delivery.content.decode()
    assert client.post(reverse("compliance:filing_create", args=[buy.pk]), {}).status_code == 409
    assert not PendingDocument.objects.exists()


def test_filing_allowed_gives_the_reason(place, buy):
    assert filing_allowed(buy=buy) == (True, "")
    PurchaseOrder.objects.filter(buy=buy).delete()
    allowed, reason = filing_allowed(buy=buy)
    assert not allowed
    assert "no purchase order" in reason


# --- supplier qualifications ---------------------------------------------------------------------


def test_a_qualification_with_an_expiry_is_reused_by_the_suppliers_next_filing(place, buy, live_policy, web):
    from .conftest import make_ordered_buy

    client = web(place.leader.user)
    times = live_times()
    expires = timezone.localdate() + timedelta(days=30)
    response = post_filing(
        client, reverse("compliance:filing_create", args=[buy.pk]), times, qualification_expires_on=expires.isoformat()
    )
    assert response.status_code == 302
    qualification = SupplierQualification.objects.get()
    assert qualification.expires_on == expires
    assert qualification.supplier_id == buy.items.get().offer.supplier_id
    assert default_storage.exists(qualification.file.name)

    second = make_ordered_buy(place)
    BuyItem.objects.filter(buy=second).update(offer=buy.items.get().offer)
    url = reverse("compliance:filing_create", args=[second.pk])
    page_body = client.get(url).content.decode()
    assert f"valid until {expires.isoformat()}" in page_body
    data = post_data_without(times, "qualification")
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    document = Filing.objects.get(buy=second).documents.get(kind="qualification")
    assert document.file.name != qualification.file.name  # each filing holds its own copy
    assert default_storage.exists(document.file.name)


def post_data_without(times, *kinds):
    from .test_pages import form_data

    data = form_data(times)
    for kind in kinds:
        data.pop(kind)
    return data


def test_an_expired_qualification_is_not_reused(place, buy, live_policy, web):
    supplier_id = buy.items.get().offer.supplier_id
    SupplierQualification.objects.create(
        supplier_id=supplier_id,
        file="compliance/qualifications/x.pdf",
        content_type="application/pdf",
        expires_on=timezone.localdate() - timedelta(days=1),
    )
    response = web(place.leader.user).post(
        reverse("compliance:filing_create", args=[buy.pk]), post_data_without(live_times(), "qualification")
    )
    assert "On file for this supplier" not in response.content.decode()
    assert not Filing.objects.exists()


def test_queue_lists_qualifications_expiring_within_14_days(place, buy, web):
    supplier = buy.items.get().offer.supplier
    SupplierQualification.objects.create(
        supplier=supplier,
        file="compliance/qualifications/x.pdf",
        content_type="application/pdf",
        expires_on=timezone.localdate() + timedelta(days=10),
    )
    body = web(place.committee.user).get(reverse("compliance:queue", args=[place.community.pk])).content.decode()
    assert 'id="expiring-qualifications"' in body
    assert supplier.name in body


def test_a_vehicle_pass_with_an_expiry_is_reused_for_the_same_plate_only(place, buy, live_policy, web):
    from .conftest import make_ordered_buy

    client = web(place.leader.user)
    expires = timezone.localdate() + timedelta(days=20)
    response = post_filing(
        client, reverse("compliance:filing_create", args=[buy.pk]), live_times(), vehicle_pass_expires_on=expires
    )
    assert response.status_code == 302
    kept = VehiclePass.objects.get()
    assert (kept.vehicle_plate, kept.expires_on) == ("沪A12345", expires)

    second = make_ordered_buy(place)
    url = reverse("compliance:filing_create", args=[second.pk])
    assert "沪A12345" in client.get(url).content.decode()
    other_plate = client.post(url, {**post_data_without(live_times(), "vehicle_pass"), "vehicle_plate": "沪B99999"})
    assert other_plate.status_code == 400
    assert 'data-code="documents_missing"' in other_plate.content.decode()
    response = client.post(url, post_data_without(live_times(), "vehicle_pass"))
    assert response.status_code == 302
    document = Filing.objects.get(buy=second).documents.get(kind="vehicle_pass")
    assert document.file.name != kept.file.name
    assert default_storage.exists(document.file.name)


def test_a_keep_date_before_the_arrival_is_refused_and_keeps_nothing(place, buy, live_policy, web):
    response = post_filing(
        web(place.leader.user),
        reverse("compliance:filing_create", args=[buy.pk]),
        live_times(),
        qualification_expires_on=timezone.localdate() - timedelta(days=1),
    )
    assert response.status_code == 400
    assert not Filing.objects.exists()
    assert not SupplierQualification.objects.exists()
