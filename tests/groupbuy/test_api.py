"""The group-buy API: same services as the pages, coded JSON errors, nothing changed on refusal,
no phones in public payloads, read-only fields not settable, query counts pinned."""

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from PIL import Image

from groupbuy.factories import (
    BuyItemFactory,
    GroupBuyFactory,
    OfferFactory,
    SupplierFactory,
    buy_state,
    main_item,
    signup,
)
from groupbuy.models import BuyStatus, Entry, EntryStatus, GroupBuy, Offer, OfferPhoto, Supplier


@pytest.fixture
def buy(place):
    return GroupBuyFactory(
        community=place.community, leader=place.leader.user, moq=Decimal("3"), household_limit=5, item__cap=10
    )


def entries_url(buy):
    return reverse("api-buy-entries", args=[buy.pk])


def refused(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert body["message"]
    return body


# --- reading -------------------------------------------------------------------------------------------------------


def test_list_buys_of_my_community(place, other_place, api, buy):
    GroupBuyFactory(community=other_place.community, leader=other_place.leader.user)
    signup(buy, place.neighbour, 1)
    response = api(place.resident.user).get(reverse("api-buys"))
    assert response.status_code == 200
    body = response.json()
    assert [b["id"] for b in body["results"]] == [buy.pk]
    row = body["results"][0]
    assert row["progress"] == {
        "counts": "units",
        "current": "1.00",
        "moq": "3.00",
        "remaining": "2.00",
        "percent": 33,
        "reached": False,
    }
    item = row["items"][0]
    assert (item["unit_price"], item["supplier_cost"], item["markup"], item["markup_percent"]) == (
        "59.00",
        "50.00",
        "9.00",
        18,
    )
    assert item["photo_url"] is None


def test_list_buys_of_another_community_is_refused(place, other_place, api):
    refused(
        api(place.resident.user).get(reverse("api-buys"), {"community": other_place.community.pk}),
        403,
        "wrong_community",
    )


def test_list_query_count_does_not_grow(place, api, django_assert_max_num_queries):
    for _ in range(30):
        BuyItemFactory(buy=GroupBuyFactory(community=place.community, leader=place.leader.user))
    client = api(place.resident.user)
    with django_assert_max_num_queries(5):
        response = client.get(reverse("api-buys"))
    assert response.json()["count"] == 30


def test_detail_has_the_masked_public_list_and_no_phones(place, api, buy):
    signup(buy, place.resident, 2)
    response = api(place.neighbour.user).get(reverse("api-buy", args=[buy.pk]))
    assert response.status_code == 200
    body = response.json()
    assert body["public_list"] == [
        {"seq": 1, "identity": "12-301 王**", "lines": [{"item_id": main_item(buy).pk, "quantity": 2}]}
    ]
    assert body["my_entry_id"] is None
    raw = response.content.decode()
    assert place.resident.user.phone not in raw
    assert "王resident" not in raw


def test_detail_query_count_with_a_long_list(place, api, buy, django_assert_max_num_queries):
    for member in (place.resident, place.neighbour, place.building_leader, place.data_volunteer):
        signup(buy, member, 1)
    client = api(place.resident.user)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("api-buy", args=[buy.pk]))
    assert len(response.json()["public_list"]) == 4


def test_detail_of_another_community_and_missing(place, other_place, api):
    foreign = GroupBuyFactory(community=other_place.community, leader=other_place.leader.user)
    client = api(place.resident.user)
    refused(client.get(reverse("api-buy", args=[foreign.pk])), 403, "wrong_community")
    refused(client.get(reverse("api-buy", args=[987654])), 404, "not_found")


def test_unauthenticated_is_refused_with_a_code(api, buy):
    refused(api().get(reverse("api-buys")), 403, "not_authenticated")


# --- sign-ups -----------------------------------------------------------------------------------------------------


def test_sign_up_with_an_idempotency_key_twice_makes_one_entry(place, api, buy):
    client = api(place.resident.user)
    payload = {"quantities": {str(main_item(buy).pk): 2}}
    first = client.post(entries_url(buy), payload, format="json", headers={"Idempotency-Key": "phone-1"})
    second = client.post(entries_url(buy), payload, format="json", headers={"Idempotency-Key": "phone-1"})
    assert first.status_code == 201
    assert second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["seq"] == 1
    assert first.json()["identity"] == "12-301 王**"
    assert Entry.objects.filter(buy=buy).count() == 1
    buy.refresh_from_db()
    assert (buy.total_units, buy.entry_count) == (2, 1)


def test_sign_up_request_is_a_fixed_number_of_queries(place, api, buy, django_assert_num_queries):
    """The hot endpoint, whole request with a real token: token + user, the buy with its items and the caller's
    membership (one SELECT since session 6), then BEGIN, the counters UPDATE ... RETURNING, the item, the entry,
    its lines, COMMIT (a savepoint pair here); the answer is built from what was written."""
    item = main_item(buy)
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=place.resident.user)[1]}")
    with django_assert_num_queries(8):
        response = client.post(
            entries_url(buy), {"quantities": {str(item.pk): 1}}, format="json", headers={"Idempotency-Key": "pin-1"}
        )
    assert response.status_code == 201, response.content


def test_sign_up_answer_is_the_entry_as_stored(place, api, buy):
    """The answer is built from the rows just written; it must say what a fresh read says, forming included."""
    client = api(place.resident.user)
    answer = client.post(entries_url(buy), {"quantities": {str(main_item(buy).pk): 3}}, format="json").json()
    stored = next(e for e in client.get(reverse("api-my-entries")).json() if e["id"] == answer["id"])
    assert answer == stored
    assert answer["buy_status"] == BuyStatus.FORMED  # 3 units reach the MOQ of 3
    assert answer["lines"] == [{"item_id": main_item(buy).pk, "quantity": 3, "tolerance": 0}]


def test_the_quick_sign_up_answer_is_the_serializers_answer(place, buy):
    """EntryOut.answer (the sign-up's answer without DRF's per-instance set-up) says what EntryOut(...).data says,
    key for key, for a new entry (lines as written, a note, a price with cents) and for one read back."""
    from groupbuy.selectors import entry_get_any
    from groupbuy.serializers import EntryOut
    from groupbuy.services.signup import signup_create

    extra = BuyItemFactory(buy=buy, offer__unit_price=Decimal("3.35"))
    entry = signup_create(
        actor=place.resident.user,
        buy=buy,
        household=place.resident.household,
        quantities={main_item(buy).pk: 1, extra.pk: 3},
        note="放门口",
    )
    assert EntryOut.answer(entry) == EntryOut(entry).data
    stored = entry_get_any(user=place.resident.user, entry_id=entry.pk)
    assert EntryOut.answer(stored) == EntryOut(stored).data
    assert list(EntryOut.answer(stored)) == list(EntryOut().fields)


def test_a_repeated_sign_up_after_the_close_still_gets_its_entry(place, api, buy):
    """No idempotency read before the attempt: a phone retrying after the buy closed is answered from the key."""
    client = api(place.resident.user)
    payload = {"quantities": {str(main_item(buy).pk): 1}}
    first = client.post(entries_url(buy), payload, format="json", headers={"Idempotency-Key": "late-retry"})
    GroupBuy.objects.filter(pk=buy.pk).update(status=BuyStatus.CLOSED)
    before = buy_state(buy)
    again = client.post(entries_url(buy), payload, format="json", headers={"Idempotency-Key": "late-retry"})
    assert again.status_code == 201, again.content
    assert again.json()["id"] == first.json()["id"]
    assert buy_state(buy) == before
    # A new key after the close is refused, as before.
    refused(
        client.post(entries_url(buy), payload, format="json", headers={"Idempotency-Key": "new"}),
        409,
        "group_buy_closed",
    )


@pytest.mark.parametrize("quantity", [0, -1, 1.5, "abc", 10**9, None, True])
def test_bad_quantities_are_refused(place, api, buy, quantity):
    before = buy_state(buy)
    response = api(place.resident.user).post(
        entries_url(buy), {"quantities": {str(main_item(buy).pk): quantity}}, format="json"
    )
    refused(response, 400, "invalid_quantity")
    assert buy_state(buy) == before


@pytest.mark.parametrize("quantities", [[], "2", {}])
def test_malformed_quantities_are_refused(place, api, buy, quantities):
    before = buy_state(buy)
    response = api(place.resident.user).post(entries_url(buy), {"quantities": quantities}, format="json")
    refused(response, 400, "invalid_quantity")
    assert buy_state(buy) == before


def test_unknown_item_is_refused(place, other_place, api, buy):
    other_item = main_item(GroupBuyFactory(community=place.community, leader=place.leader.user))
    before = buy_state(buy)
    client = api(place.resident.user)
    refused(client.post(entries_url(buy), {"quantities": {"999999": 1}}, format="json"), 400, "unknown_item")
    refused(client.post(entries_url(buy), {"quantities": {str(other_item.pk): 1}}, format="json"), 400, "unknown_item")
    assert buy_state(buy) == before


def test_limits_deadline_and_state_are_refused(place, api, buy):
    client = api(place.resident.user)
    item = str(main_item(buy).pk)
    before = buy_state(buy)
    refused(client.post(entries_url(buy), {"quantities": {item: 6}}, format="json"), 400, "over_household_limit")
    GroupBuy.objects.filter(pk=buy.pk).update(household_limit=None)
    refused(client.post(entries_url(buy), {"quantities": {item: 11}}, format="json"), 409, "over_cap")
    GroupBuy.objects.filter(pk=buy.pk).update(deadline=timezone.now() - datetime.timedelta(seconds=1))
    refused(client.post(entries_url(buy), {"quantities": {item: 1}}, format="json"), 409, "deadline_passed")
    for status in (BuyStatus.CLOSED, BuyStatus.FAILED, BuyStatus.CANCELLED):
        GroupBuy.objects.filter(pk=buy.pk).update(status=status, deadline=timezone.now() + datetime.timedelta(days=1))
        refused(client.post(entries_url(buy), {"quantities": {item: 1}}, format="json"), 409, "group_buy_closed")
    GroupBuy.objects.filter(pk=buy.pk).update(status=BuyStatus.OPEN, household_limit=5)
    assert buy_state(buy) == before


def test_sign_up_on_another_communitys_buy_is_refused(place, other_place, api):
    foreign = GroupBuyFactory(community=other_place.community, leader=other_place.leader.user)
    before = buy_state(foreign)
    response = api(place.resident.user).post(
        entries_url(foreign), {"quantities": {str(main_item(foreign).pk): 1}}, format="json"
    )
    refused(response, 403, "wrong_community")
    assert buy_state(foreign) == before


def test_change_withdraw_and_my_entries(place, api, buy):
    client = api(place.resident.user)
    item = str(main_item(buy).pk)
    entry_id = client.post(entries_url(buy), {"quantities": {item: 1}}, format="json").json()["id"]
    response = client.patch(reverse("api-entry", args=[entry_id]), {"quantities": {item: 3}}, format="json")
    assert response.status_code == 200
    assert response.json()["units"] == 3
    buy.refresh_from_db()
    assert buy.status == BuyStatus.FORMED  # 3 reaches the minimum
    mine = client.get(reverse("api-my-entries")).json()
    assert [(e["id"], e["units"], e["status"]) for e in mine] == [(entry_id, 3, "active")]
    response = client.post(reverse("api-entry-withdraw", args=[entry_id]))
    assert response.status_code == 200
    assert response.json()["status"] == EntryStatus.WITHDRAWN
    buy.refresh_from_db()
    assert (buy.status, buy.total_units, buy.entry_count) == (BuyStatus.OPEN, 0, 0)


def test_someone_elses_entry_cannot_be_changed(place, api, buy):
    entry = signup(buy, place.resident, 2)
    before = buy_state(buy)
    client = api(place.neighbour.user)
    item = str(main_item(buy).pk)
    refused(
        client.patch(reverse("api-entry", args=[entry.pk]), {"quantities": {item: 1}}, format="json"),
        403,
        "not_your_entry",
    )
    refused(client.post(reverse("api-entry-withdraw", args=[entry.pk])), 403, "not_your_entry")
    assert buy_state(buy) == before


def test_proxy_sign_up_by_a_volunteer_and_refused_for_a_resident(place, api, buy):
    place.receiving_volunteer.proxy_buildings.set([place.building])  # the proxy role, for the neighbour's building
    item = str(main_item(buy).pk)
    payload = {"quantities": {item: 1}, "household_id": place.neighbour.household_id}
    before = buy_state(buy)
    refused(api(place.resident.user).post(entries_url(buy), payload, format="json"), 403, "forbidden")
    assert buy_state(buy) == before
    response = api(place.receiving_volunteer.user).post(entries_url(buy), payload, format="json")
    assert response.status_code == 201
    entry = Entry.objects.get(pk=response.json()["id"])
    assert (entry.household_id, entry.placed_by_id) == (place.neighbour.household_id, place.receiving_volunteer.user.pk)


def test_proxy_for_a_household_of_another_community_is_not_found(place, other_place, api, buy):
    before = buy_state(buy)
    payload = {"quantities": {str(main_item(buy).pk): 1}, "household_id": other_place.resident.household_id}
    refused(api(place.building_leader.user).post(entries_url(buy), payload, format="json"), 404, "not_found")
    assert buy_state(buy) == before


# --- leaders ------------------------------------------------------------------------------------------------------


def open_payload(place, offer, **overrides):
    deadline = timezone.now() + datetime.timedelta(days=1)
    payload = {
        "community_id": place.community.pk,
        "title": "土豆团",
        "kind": "fair",
        "items": [{"offer_id": offer.pk, "cap": 40}],
        "moq_kind": "units",
        "moq": "20",
        "deadline": deadline.isoformat(),
        "delivery_date": (timezone.localdate(deadline) + datetime.timedelta(days=1)).isoformat(),
        "distribution_mode": "gate",
        "drop_point": "北门",
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def offer(place):
    return OfferFactory(supplier=SupplierFactory(community=place.community))


def test_leader_opens_a_buy_and_read_only_fields_are_ignored(place, api, offer):
    payload = open_payload(
        place,
        offer,
        status="closed",
        total_units=999,
        entry_count=7,
        last_seq=40,
        leader=place.other_leader.user.pk,
        items=[{"offer_id": offer.pk, "cap": 40, "unit_price": "1.00", "supplier_cost": "0.10"}],
    )
    response = api(place.leader.user).post(reverse("api-buys"), payload, format="json")
    assert response.status_code == 201, response.content
    buy = GroupBuy.objects.get()
    assert (buy.status, buy.total_units, buy.entry_count, buy.last_seq, buy.leader_id) == (
        BuyStatus.OPEN,
        0,
        0,
        0,
        place.leader.user.pk,
    )
    item = main_item(buy)
    assert (item.unit_price, item.supplier_cost, item.cap) == (offer.unit_price, offer.supplier_cost, 40)
    assert response.json()["id"] == buy.pk


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"kind": "charity"}, 400, "charity_has_markup"),
        ({"moq": "0"}, 400, "invalid_moq"),
        ({"moq": "abc"}, 400, "invalid_moq"),
        ({"items": []}, 400, "no_items"),
        ({"items": [{"offer_id": 999999}]}, 400, "unknown_item"),
        ({"kind": "weird"}, 400, "invalid"),
        ({"deadline": "2020-01-01T00:00:00+08:00"}, 400, "invalid_deadline"),
    ],
)
def test_bad_buy_settings_are_refused(place, api, offer, overrides, status, code):
    response = api(place.leader.user).post(reverse("api-buys"), open_payload(place, offer, **overrides), format="json")
    refused(response, status, code)
    assert not GroupBuy.objects.exists()


def test_resident_cannot_open_a_buy(place, api, offer):
    refused(
        api(place.resident.user).post(reverse("api-buys"), open_payload(place, offer), format="json"), 403, "forbidden"
    )
    assert not GroupBuy.objects.exists()


def test_leader_cannot_open_a_buy_in_another_community(place, other_place, api, offer):
    payload = open_payload(place, offer, community_id=other_place.community.pk)
    refused(api(place.leader.user).post(reverse("api-buys"), payload, format="json"), 403, "wrong_community")
    assert not GroupBuy.objects.exists()


def test_close_order_and_purchase_order_json(place, api, buy):
    signup(buy, place.resident, 2)
    client = api(place.leader.user)
    refused(client.post(reverse("api-buy-close", args=[buy.pk])), 409, "below_moq")
    signup(buy, place.neighbour, 1)
    preview = client.get(reverse("api-buy-purchase-order", args=[buy.pk])).json()
    assert preview["is_final"] is False
    response = client.post(reverse("api-buy-close", args=[buy.pk]))
    assert response.status_code == 200
    assert response.json()["status"] == BuyStatus.CLOSED
    order = client.get(reverse("api-buy-purchase-order", args=[buy.pk])).json()
    assert order["is_final"] is True
    assert order["delivery_date"] == buy.delivery_date.isoformat()
    assert [(line["quantity"], line["amount"]) for line in order["lines"]] == [(3, "150.00")]
    assert order["total_cost"] == "150.00"
    response = client.post(reverse("api-buy-mark-ordered", args=[buy.pk]))
    assert response.json()["status"] == BuyStatus.ORDERED
    refused(client.post(reverse("api-buy-mark-ordered", args=[buy.pk])), 409, "invalid_state")


def test_cancel_with_a_reason(place, api, buy):
    signup(buy, place.resident, 1)
    client = api(place.leader.user)
    before = buy_state(buy)
    refused(
        client.post(reverse("api-buy-cancel", args=[buy.pk]), {"reason": ""}, format="json"), 400, "reason_required"
    )
    assert buy_state(buy) == before
    response = client.post(reverse("api-buy-cancel", args=[buy.pk]), {"reason": "断货"}, format="json")
    assert response.json()["status"] == BuyStatus.CANCELLED
    assert response.json()["cancel_reason"] == "断货"


@pytest.mark.parametrize(("who", "code"), [("other_leader", "not_your_buy"), ("resident", "forbidden")])
def test_leader_actions_refused_for_others(place, api, buy, who, code):
    signup(buy, place.resident, 3)
    before = buy_state(buy)
    client = api(getattr(place, who).user)
    refused(client.post(reverse("api-buy-close", args=[buy.pk])), 403, code)
    refused(client.post(reverse("api-buy-cancel", args=[buy.pk]), {"reason": "x"}, format="json"), 403, code)
    refused(client.post(reverse("api-buy-mark-ordered", args=[buy.pk])), 403, code)
    refused(client.get(reverse("api-buy-purchase-order", args=[buy.pk])), 403, code)
    refused(client.get(entries_url(buy)), 403, code)
    assert buy_state(buy) == before


def test_contact_list_for_leader_and_data_volunteer(place, api, buy):
    signup(buy, place.resident, 1)
    for member in (place.leader, place.data_volunteer):
        rows = api(member.user).get(entries_url(buy)).json()
        assert [(r["seq"], r["household"], r["contact_phone"]) for r in rows] == [
            (1, "12-301", place.resident.user.phone)
        ]


# --- suppliers and offers -----------------------------------------------------------------------------------------


def test_supplier_and_offer_crud(place, api):
    client = api(place.leader.user)
    response = client.post(
        reverse("api-suppliers"), {"community_id": place.community.pk, "name": "老王", "phone": "139"}, format="json"
    )
    assert response.status_code == 201
    supplier_id = response.json()["id"]
    response = client.patch(reverse("api-supplier", args=[supplier_id]), {"is_supply_guaranteed": True}, format="json")
    assert response.json()["is_supply_guaranteed"] is True
    assert [s["id"] for s in client.get(reverse("api-suppliers")).json()] == [supplier_id]
    response = client.post(
        reverse("api-supplier-offers", args=[supplier_id]),
        {"title": "青菜", "unit": "斤", "unit_price": "3.5", "supplier_cost": "3"},
        format="json",
    )
    assert response.status_code == 201
    offer_id = response.json()["id"]
    assert response.json()["photos"] == []
    response = client.patch(reverse("api-offer", args=[offer_id]), {"unit_price": "4.00"}, format="json")
    assert response.json()["unit_price"] == "4.00"
    refused(client.patch(reverse("api-offer", args=[offer_id]), {"unit_price": "-1"}, format="json"), 400, "invalid")
    assert Offer.objects.get().unit_price == Decimal("4.00")


def test_resident_cannot_manage_suppliers(place, api, offer):
    client = api(place.resident.user)
    refused(client.get(reverse("api-suppliers")), 403, "forbidden")
    refused(
        client.post(reverse("api-suppliers"), {"community_id": place.community.pk, "name": "x"}, format="json"),
        403,
        "forbidden",
    )
    refused(client.patch(reverse("api-offer", args=[offer.pk]), {"title": "x"}, format="json"), 403, "forbidden")
    assert Supplier.objects.count() == 1
    assert Offer.objects.get().title == offer.title


def test_schema_lists_the_group_buy_api(place, api):
    response = api(place.resident.user).get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    for path in (
        "/api/buys/",
        "/api/buys/{id}/",
        "/api/buys/{id}/entries/",
        "/api/buys/{id}/close/",
        "/api/buys/{id}/cancel/",
        "/api/buys/{id}/mark-ordered/",
        "/api/buys/{id}/purchase-order/",
        "/api/entries/mine/",
        "/api/entries/{id}/",
        "/api/entries/{id}/withdraw/",
        "/api/suppliers/",
        "/api/suppliers/{id}/offers/",
        "/api/offers/{id}/photos/",
    ):
        assert path in paths, path
    params = paths["/api/buys/{id}/entries/"]["post"]["parameters"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in params)


def test_offer_photo_upload_is_pending_until_processed(place, api, offer, django_capture_on_commit_callbacks):
    data = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 128, 0)).save(data, "PNG")
    client = api(place.leader.user)
    url = reverse("api-offer-photos", args=[offer.pk])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url, {"upload": SimpleUploadedFile("a.png", data.getvalue())}, format="multipart")
    assert response.status_code == 201, response.content
    assert (response.json()["status"], response.json()["thumbnail_url"]) == ("pending", None)
    for callback in callbacks:
        callback()
    photo = api(place.resident.user).get(reverse("api-offer", args=[offer.pk])).json()["photos"][0]
    assert photo["status"] == "ready"
    assert photo["thumbnail_url"] == reverse("groupbuy:offer_photo", args=[photo["id"], "thumb"])

    bad = SimpleUploadedFile("b.jpg", b"<html>not an image</html>")
    refused(client.post(url, {"upload": bad}, format="multipart"), 400, "image_format_not_allowed")
    assert OfferPhoto.objects.count() == 1
    refused(
        api(place.resident.user).post(
            url, {"upload": SimpleUploadedFile("c.png", data.getvalue())}, format="multipart"
        ),
        403,
        "forbidden",
    )
    assert OfferPhoto.objects.count() == 1


def test_a_second_buy_of_the_same_offer_needs_confirmation(place, api, offer):
    running = GroupBuyFactory(community=place.community, leader=place.other_leader.user, item__offer=offer)
    client = api(place.leader.user)
    body = refused(client.post(reverse("api-buys"), open_payload(place, offer), format="json"), 409, "similar_buy_open")
    assert body["detail"] == {"buys": [running.pk]}
    assert GroupBuy.objects.count() == 1
    response = client.post(reverse("api-buys"), open_payload(place, offer, confirm_duplicate=True), format="json")
    assert response.status_code == 201
    assert GroupBuy.objects.count() == 2


def test_tolerance_for_pack_size_items(place, api, buy):
    eggs = BuyItemFactory(buy=buy, offer__pack_size=6)
    client = api(place.resident.user)
    before = buy_state(buy)
    for bad in ({str(eggs.pk): 7}, {str(eggs.pk): "x"}, "2"):
        response = client.post(entries_url(buy), {"quantities": {str(eggs.pk): 4}, "tolerances": bad}, format="json")
        refused(response, 400, "invalid_tolerance")
    assert buy_state(buy) == before
    response = client.post(
        entries_url(buy), {"quantities": {str(eggs.pk): 4}, "tolerances": {str(eggs.pk): 2}}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["lines"] == [{"item_id": eggs.pk, "quantity": 4, "tolerance": 2}]
    entry_id = response.json()["id"]
    response = client.patch(
        reverse("api-entry", args=[entry_id]),
        {"quantities": {str(eggs.pk): 5}, "tolerances": {str(eggs.pk): 1}},
        format="json",
    )
    assert response.json()["lines"] == [{"item_id": eggs.pk, "quantity": 5, "tolerance": 1}]
