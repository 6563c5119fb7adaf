"""Issue 13 item 13: the duplicate-buy rule lives in one place (group_buy_open) and never answers 500.

The old code warned on the same offer only (selectors.similar_open_buys) while the service recorded
same-supplier-and-category duplicates into a 20-character column: "same_supplier_category" is 22, so
PostgreSQL refused the row and opening a buy answered 500.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from groupbuy.factories import GroupBuyFactory, OfferFactory, SupplierFactory
from groupbuy.models import BuyStatus, DuplicateBuyNotice, GroupBuy
from tests.groupbuy.test_api import open_payload, refused
from tests.groupbuy.test_pages_leader import open_form, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def supplier(place):
    return SupplierFactory(community=place.community)


@pytest.fixture
def running_sibling(place, supplier):
    """Another leader's buy of a different offer from the same supplier and category, opened yesterday."""
    sibling = OfferFactory(supplier=supplier, category="蔬菜")
    return GroupBuyFactory(
        community=place.community,
        leader=place.other_leader.user,
        item__offer=sibling,
        title="隔壁的蔬菜团",
        opened_at=timezone.now() - datetime.timedelta(days=1),
    )


def test_api_same_supplier_and_category_asks_first_then_records_the_notice(place, api, supplier, running_sibling):
    offer = OfferFactory(supplier=supplier, category="蔬菜")
    client = api(place.leader.user)
    body = refused(client.post(reverse("api-buys"), open_payload(place, offer), format="json"), 409, "similar_buy_open")
    assert body["detail"] == {"buys": [running_sibling.pk]}
    assert GroupBuy.objects.count() == 1
    assert DuplicateBuyNotice.objects.count() == 0

    response = client.post(reverse("api-buys"), open_payload(place, offer, confirm_duplicate=True), format="json")
    assert response.status_code == 201, response.content
    notice = DuplicateBuyNotice.objects.get()
    assert (notice.buy_id, notice.other_buy_id, notice.reason) == (
        response.json()["id"],
        running_sibling.pk,
        "same_supplier_category",
    )


def test_page_same_supplier_and_category_asks_first_then_records_the_notice(place, web, supplier, running_sibling):
    offer = OfferFactory(supplier=supplier, category="蔬菜")
    client = web(place.leader.user)
    shown = text_of(client.get(reverse("groupbuy:buy_create"), {"offer": offer.pk}))
    assert "隔壁的蔬菜团" in shown
    response = client.post(reverse("groupbuy:buy_create"), open_form(offer))
    assert response.status_code == 409
    assert 'data-code="similar_buy_open"' in text_of(response)
    assert GroupBuy.objects.count() == 1

    response = client.post(reverse("groupbuy:buy_create"), open_form(offer, confirm_duplicate="on"))
    assert response.status_code == 302
    assert DuplicateBuyNotice.objects.get().reason == "same_supplier_category"


def test_failed_or_other_category_buys_are_not_duplicates(place, api, supplier, running_sibling):
    GroupBuy.objects.filter(pk=running_sibling.pk).update(status=BuyStatus.FAILED)
    offer = OfferFactory(supplier=supplier, category="蔬菜")
    other_category = OfferFactory(supplier=supplier, category="肉")
    client = api(place.leader.user)
    for chosen in (offer, other_category):
        response = client.post(reverse("api-buys"), open_payload(place, chosen), format="json")
        assert response.status_code == 201, response.content
    assert DuplicateBuyNotice.objects.count() == 0


def test_a_resident_opening_a_duplicate_is_refused_before_the_duplicate_is_shown(place, api, supplier, running_sibling):
    offer = OfferFactory(supplier=supplier, category="蔬菜")
    refused(
        api(place.resident.user).post(reverse("api-buys"), open_payload(place, offer), format="json"), 403, "forbidden"
    )
    assert GroupBuy.objects.count() == 1
