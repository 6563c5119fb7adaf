"""Team-leader pages: open a buy, the dashboard with contacts, close / cancel / mark ordered, the
purchase order, suppliers and offers with photos. Only the buy's own leader acts on it."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from groupbuy.factories import GroupBuyFactory, OfferFactory, SupplierFactory, buy_state, main_item, signup
from groupbuy.models import BuyStatus, GroupBuy, Offer, OfferPhoto, PhotoStatus, PurchaseOrder, Supplier


@pytest.fixture
def buy(place):
    return GroupBuyFactory(community=place.community, leader=place.leader.user, title="蔬菜套餐", moq=Decimal("3"))


@pytest.fixture
def offer(place):
    return OfferFactory(supplier=SupplierFactory(community=place.community), title="土豆 5斤")


def text_of(response):
    return response.content.decode()


def open_form(offer, **overrides):
    deadline = timezone.localtime() + datetime.timedelta(days=1)
    data = {
        "title": "土豆团",
        "description": "",
        "kind": "fair",
        "offers": [str(offer.pk)],
        "main_offer": "",
        f"cap_{offer.pk}": "",
        "moq_kind": "units",
        "moq": "20",
        "household_limit": "",
        "deadline": deadline.strftime("%Y-%m-%dT%H:%M"),
        "delivery_date": (deadline.date() + datetime.timedelta(days=1)).isoformat(),
        "distribution_mode": "building",
        "allocation_rule": "fcfs",
        "drop_point": "南门",
    }
    data.update(overrides)
    return data


# --- opening a buy ---------------------------------------------------------------------------------------------------


def test_leader_opens_a_buy_from_an_offer(place, web, offer):
    client = web(place.leader.user)
    assert "土豆 5斤" in text_of(client.get(reverse("groupbuy:buy_create")))
    response = client.post(reverse("groupbuy:buy_create"), open_form(offer, **{f"cap_{offer.pk}": "50"}))
    assert response.status_code == 302
    buy = GroupBuy.objects.get()
    assert response["Location"] == reverse("groupbuy:dashboard", args=[buy.pk])
    assert (buy.status, buy.leader_id, buy.moq, buy.drop_point) == (
        BuyStatus.OPEN,
        place.leader.user.pk,
        Decimal("20"),
        "南门",
    )
    item = main_item(buy)
    assert (item.offer_id, item.cap, item.unit_price) == (offer.pk, 50, offer.unit_price)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"kind": "charity"}, "charity_has_markup"),
        ({"moq": "0"}, "invalid_moq"),
        ({"moq": "2.5"}, "invalid_moq"),
        ({"offers": []}, None),  # the form itself asks for at least one offer
        ({"household_limit": "-3"}, "The household limit must be a whole number above zero."),
    ],
)
def test_bad_buy_settings_are_refused_and_keep_what_was_typed(place, web, offer, overrides, code):
    response = web(place.leader.user).post(reverse("groupbuy:buy_create"), open_form(offer, **overrides))
    assert response.status_code == 400
    text = text_of(response)
    if code and " " in code:  # shown next to the field it concerns
        assert code in text
    elif code:
        assert f'data-code="{code}"' in text
    assert 'value="土豆团"' in text
    assert not GroupBuy.objects.exists()


def test_a_past_deadline_is_refused(place, web, offer):
    past = (timezone.localtime() - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = web(place.leader.user).post(reverse("groupbuy:buy_create"), open_form(offer, deadline=past))
    assert response.status_code == 400
    assert 'data-code="invalid_deadline"' in text_of(response)
    assert not GroupBuy.objects.exists()


def test_an_offer_of_another_community_is_refused(place, other_place, web, offer):
    foreign = OfferFactory(supplier=SupplierFactory(community=other_place.community))
    data = open_form(offer)
    data["offers"] = [str(foreign.pk)]
    response = web(place.leader.user).post(reverse("groupbuy:buy_create"), data)
    assert response.status_code == 400  # not among the choices of this community
    assert not GroupBuy.objects.exists()


def test_a_resident_cannot_open_a_buy(place, web, offer):
    client = web(place.resident.user)
    assert client.get(reverse("groupbuy:buy_create")).status_code == 403
    response = client.post(reverse("groupbuy:buy_create"), open_form(offer))
    assert response.status_code == 403
    assert 'data-code="forbidden"' in text_of(response)
    assert not GroupBuy.objects.exists()


# --- dashboard and contacts -----------------------------------------------------------------------------------------


def test_dashboard_shows_contacts_to_the_leader_and_data_volunteer(place, web, buy):
    signup(buy, place.resident, 2)
    for member in (place.leader, place.data_volunteer):
        response = web(member.user).get(reverse("groupbuy:dashboard", args=[buy.pk]))
        assert response.status_code == 200
        text = text_of(response)
        assert place.resident.user.phone in text
        assert "王resident" in text


@pytest.mark.parametrize(("who", "code"), [("other_leader", "not_your_buy"), ("resident", "forbidden")])
def test_dashboard_refuses_others(place, web, buy, who, code):
    signup(buy, place.neighbour, 1)
    response = web(getattr(place, who).user).get(reverse("groupbuy:dashboard", args=[buy.pk]))
    assert response.status_code == 403
    text = text_of(response)
    assert f'data-code="{code}"' in text
    assert place.neighbour.user.phone not in text


def test_dashboard_of_another_community_is_refused(place, other_place, web):
    foreign = GroupBuyFactory(community=other_place.community, leader=other_place.leader.user)
    response = web(place.leader.user).get(reverse("groupbuy:dashboard", args=[foreign.pk]))
    assert response.status_code == 403
    assert 'data-code="wrong_community"' in text_of(response)


def test_dashboard_query_count_with_a_long_list(place, web, buy, django_assert_max_num_queries):
    for member in (place.resident, place.neighbour, place.building_leader, place.data_volunteer):
        signup(buy, member, 1)
    client = web(place.leader.user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("groupbuy:dashboard", args=[buy.pk]))
    assert text_of(response).count('href="tel:') == 4


# --- close / cancel / mark ordered ------------------------------------------------------------------------------------


def test_close_now_below_the_minimum_is_refused(place, web, buy):
    signup(buy, place.resident, 1)
    before = buy_state(buy)
    response = web(place.leader.user).post(reverse("groupbuy:buy_close_now", args=[buy.pk]), {"confirm": "yes"})
    assert response.status_code == 409
    assert 'data-code="below_moq"' in text_of(response)
    assert buy_state(buy) == before


def test_close_now_then_mark_ordered(place, web, buy):
    signup(buy, place.resident, 3)
    client = web(place.leader.user)
    assert client.post(reverse("groupbuy:buy_close_now", args=[buy.pk]), {"confirm": "yes"}).status_code == 302
    buy.refresh_from_db()
    assert buy.status == BuyStatus.CLOSED
    assert PurchaseOrder.objects.filter(buy=buy).count() == 1
    text = text_of(client.get(reverse("groupbuy:purchase_order", args=[buy.pk])))
    assert "3 份" in text
    assert "¥150.00" in text
    assert client.post(reverse("groupbuy:buy_mark_ordered", args=[buy.pk])).status_code == 302
    buy.refresh_from_db()
    assert buy.status == BuyStatus.ORDERED


@pytest.mark.parametrize(
    ("who", "code"), [("other_leader", "not_your_buy"), ("resident", "forbidden"), ("data_volunteer", "forbidden")]
)
@pytest.mark.parametrize("action", ["buy_close_now", "buy_cancel", "buy_mark_ordered"])
def test_only_the_buys_leader_may_act_on_it(place, web, buy, who, code, action):
    signup(buy, place.resident, 3)
    before = buy_state(buy)
    response = web(getattr(place, who).user).post(reverse(f"groupbuy:{action}", args=[buy.pk]), {"reason": "x"})
    assert response.status_code == 403
    assert f'data-code="{code}"' in text_of(response)
    assert buy_state(buy) == before


def test_cancel_needs_a_reason_and_tells_the_list(place, web, buy):
    signup(buy, place.resident, 1)
    client = web(place.leader.user)
    before = buy_state(buy)
    response = client.post(reverse("groupbuy:buy_cancel", args=[buy.pk]), {"reason": "  ", "confirm": "yes"})
    assert response.status_code == 400
    assert 'data-code="reason_required"' in text_of(response)
    assert buy_state(buy) == before
    response = client.post(reverse("groupbuy:buy_cancel", args=[buy.pk]), {"reason": "供应商缺货", "confirm": "yes"})
    assert response.status_code == 302
    buy.refresh_from_db()
    assert (buy.status, buy.cancel_reason) == (BuyStatus.CANCELLED, "供应商缺货")
    assert place.resident.user.notifications.filter(kind="buy_cancelled").count() == 1
    assert "供应商缺货" in text_of(web(place.resident.user).get(reverse("groupbuy:buy_detail", args=[buy.pk])))


# --- suppliers, offers and photos -------------------------------------------------------------------------------------


def jpeg_bytes():
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def test_leader_adds_a_supplier_and_an_offer(place, web):
    client = web(place.leader.user)
    response = client.post(reverse("groupbuy:supplier_list"), {"name": "老王蔬菜", "phone": "13900000000"})
    assert response.status_code == 302
    supplier = Supplier.objects.get()
    assert (supplier.community_id, supplier.name) == (place.community.pk, "老王蔬菜")
    response = client.post(
        reverse("groupbuy:supplier_detail", args=[supplier.pk]),
        {"form": "offer", "title": "青菜", "unit": "斤", "unit_price": "3.50", "supplier_cost": "3.00", "pack_size": 1},
    )
    assert response.status_code == 302
    offer = Offer.objects.get()
    assert (offer.supplier_id, offer.unit_price, offer.supplier_cost) == (supplier.pk, Decimal("3.50"), Decimal("3"))


def test_offer_form_keeps_typed_values_on_error(place, web, offer):
    response = web(place.leader.user).post(
        reverse("groupbuy:offer_detail", args=[offer.pk]),
        {"form": "offer", "title": "", "unit": "斤", "unit_price": "abc", "supplier_cost": "3", "pack_size": "1"},
    )
    assert response.status_code == 400
    assert 'value="abc"' in text_of(response)
    offer.refresh_from_db()
    assert offer.title == "土豆 5斤"


def test_a_resident_cannot_manage_suppliers(place, web, offer):
    client = web(place.resident.user)
    assert client.get(reverse("groupbuy:supplier_list")).status_code == 403
    assert client.post(reverse("groupbuy:supplier_list"), {"name": "x"}).status_code == 403
    assert client.get(reverse("groupbuy:offer_detail", args=[offer.pk])).status_code == 403
    assert Supplier.objects.count() == 1


def test_supplier_of_another_community_is_refused(place, other_place, web):
    foreign = SupplierFactory(community=other_place.community)
    response = web(place.leader.user).get(reverse("groupbuy:supplier_detail", args=[foreign.pk]))
    assert response.status_code == 403
    assert 'data-code="wrong_community"' in text_of(response)


def test_photo_shows_a_placeholder_until_processed_then_is_served_to_members_only(
    place, other_place, web, offer, django_capture_on_commit_callbacks
):
    client = web(place.leader.user)
    upload = SimpleUploadedFile("veg.jpg", jpeg_bytes(), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("groupbuy:offer_detail", args=[offer.pk]), {"form": "photo", "upload": upload})
    assert response.status_code == 302
    photo = OfferPhoto.objects.get()
    assert photo.status == PhotoStatus.PENDING
    text = text_of(client.get(reverse("groupbuy:offer_detail", args=[offer.pk])))
    assert "processing" in text
    assert reverse("groupbuy:offer_photo", args=[photo.pk, "thumb"]) not in text
    assert client.get(reverse("groupbuy:offer_photo", args=[photo.pk, "thumb"])).status_code == 404

    for callback in callbacks:  # the Celery task (eager in tests) re-encodes the photo
        callback()
    photo.refresh_from_db()
    assert photo.status == PhotoStatus.READY
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, item__offer=offer)
    resident = web(place.resident.user)
    listing = text_of(resident.get(reverse("groupbuy:buy_list")))
    url = reverse("groupbuy:offer_photo", args=[photo.pk, "thumb"])
    assert url in listing
    served = resident.get(url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert buy.pk

    resident.force_login(other_place.resident.user)
    refused = resident.get(url)
    assert refused.status_code == 403
    assert 'data-code="wrong_community"' in text_of(refused)


def test_a_bad_photo_is_refused_with_its_code_and_leaves_nothing(place, web, offer):
    upload = SimpleUploadedFile("veg.jpg", b"not an image at all", content_type="image/jpeg")
    response = web(place.leader.user).post(
        reverse("groupbuy:offer_detail", args=[offer.pk]), {"form": "photo", "upload": upload}
    )
    assert response.status_code == 400
    assert 'class="error"' in text_of(response)
    assert not OfferPhoto.objects.exists()


def test_leader_finds_all_their_buys_including_ended_ones(place, web, buy):
    failed = GroupBuyFactory(community=place.community, leader=place.leader.user, status=BuyStatus.FAILED, title="流团")
    GroupBuyFactory(community=place.community, leader=place.other_leader.user, title="别人的团")
    text = text_of(web(place.leader.user).get(reverse("groupbuy:buy_list")))
    assert reverse("groupbuy:dashboard", args=[failed.pk]) in text
    assert reverse("groupbuy:dashboard", args=[buy.pk]) in text
    resident_text = text_of(web(place.resident.user).get(reverse("groupbuy:buy_list")))
    assert "Buys you lead" not in resident_text
    assert "流团" not in resident_text


def test_open_pages_refresh_themselves_only_while_taking_sign_ups(place, web, buy):
    client = web(place.leader.user)
    assert "data-live-seconds" in text_of(client.get(reverse("groupbuy:dashboard", args=[buy.pk])))
    GroupBuy.objects.filter(pk=buy.pk).update(status=BuyStatus.CLOSED)
    assert "data-live-seconds" not in text_of(client.get(reverse("groupbuy:dashboard", args=[buy.pk])))
    assert "data-live-seconds" not in text_of(client.get(reverse("groupbuy:buy_detail", args=[buy.pk])))


def test_a_second_buy_of_the_same_product_asks_first(place, web, offer):
    running = GroupBuyFactory(
        community=place.community, leader=place.other_leader.user, item__offer=offer, title="已有的团"
    )
    client = web(place.leader.user)
    shown = text_of(client.get(reverse("groupbuy:buy_create"), {"offer": offer.pk}))
    assert reverse("groupbuy:buy_detail", args=[running.pk]) in shown
    response = client.post(reverse("groupbuy:buy_create"), open_form(offer))
    assert response.status_code == 409
    text = text_of(response)
    assert 'data-code="similar_buy_open"' in text
    assert "已有的团" in text
    assert 'value="土豆团"' in text
    assert GroupBuy.objects.count() == 1
    response = client.post(reverse("groupbuy:buy_create"), open_form(offer, confirm_duplicate="on"))
    assert response.status_code == 302
    assert GroupBuy.objects.count() == 2
