"""Issue 16, item 3: opening a buy in one pass. The offer is chosen first (or comes from the offer page), the
title and deadline are prefilled, only chosen items ask for caps, the duplicate warning sits on top and keeps its
tick across other errors, and 预览 shows what residents will see without writing anything."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from groupbuy.factories import GroupBuyFactory, OfferFactory, SupplierFactory
from groupbuy.models import BuyItem, GroupBuy

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer(place):
    return OfferFactory(supplier=SupplierFactory(community=place.community), title="土豆 5斤", unit="袋")


@pytest.fixture
def other_offer(place):
    return OfferFactory(supplier=SupplierFactory(community=place.community), title="鸡蛋 30枚", unit="盒")


def text_of(response):
    return response.content.decode()


def form_data(offer, **overrides):
    deadline = timezone.localtime() + datetime.timedelta(days=1)
    data = {
        "title": "土豆团",
        "kind": "fair",
        "offers": [str(offer.pk)],
        "moq_kind": "units",
        "moq": "20",
        "deadline": deadline.strftime("%Y-%m-%dT%H:%M"),
        "delivery_date": (deadline.date() + datetime.timedelta(days=1)).isoformat(),
        "distribution_mode": "building",
        "allocation_rule": "fcfs",
    }
    data.update(overrides)
    return data


def test_the_offer_page_leads_to_the_form_with_the_offer_chosen_and_the_title_prefilled(place, web, offer, other_offer):
    client = web(place.leader.user)
    page = text_of(client.get(reverse("groupbuy:offer_detail", args=[offer.pk])))
    link = f"{reverse('groupbuy:buy_create')}?community={place.community.pk}&amp;offer={offer.pk}"
    assert f'id="open-buy" href="{link}"' in page
    text = text_of(client.get(reverse("groupbuy:buy_create"), {"community": place.community.pk, "offer": offer.pk}))
    assert re.search(rf'name="offers" value="{offer.pk}" id="[^"]+" checked', text)
    assert not re.search(rf'name="offers" value="{other_offer.pk}" id="[^"]+" checked', text)
    assert 'value="土豆 5斤"' in text  # the title
    assert 'name="deadline" value="' in text  # a deadline to start from
    assert "Stock cap in 袋" in text


def test_without_an_offer_the_leader_chooses_one_first(place, web, offer, other_offer):
    text = text_of(web(place.leader.user).get(reverse("groupbuy:buy_create"), {"community": place.community.pk}))
    assert 'id="choose-offer"' in text
    assert f"offer={offer.pk}" in text
    assert f"offer={other_offer.pk}" in text
    assert 'id="buy-form"' not in text


def test_the_prefilled_form_opens_the_buy_in_one_submit(place, web, offer):
    client = web(place.leader.user)
    response = client.get(reverse("groupbuy:buy_create"), {"community": place.community.pk, "offer": offer.pk})
    form = response.context["form"]
    data = {name: form[name].value() for name in ("title", "kind", "moq_kind", "distribution_mode", "allocation_rule")}
    data["deadline"] = form["deadline"].value().strftime("%Y-%m-%dT%H:%M")
    data["delivery_date"] = form["delivery_date"].value().isoformat()
    response = client.post(reverse("groupbuy:buy_create"), {**data, "offers": [str(offer.pk)], "moq": "10"})
    assert response.status_code == 302
    assert GroupBuy.objects.get().title == "土豆 5斤"


def test_caps_of_unchosen_offers_are_ignored(place, web, offer, other_offer):
    data = form_data(offer, **{f"cap_{offer.pk}": "50", f"cap_{other_offer.pk}": "not a number at all"})
    response = web(place.leader.user).post(reverse("groupbuy:buy_create"), data)
    assert response.status_code == 302
    buy = GroupBuy.objects.get()
    assert list(BuyItem.objects.filter(buy=buy).values_list("offer_id", "cap")) == [(offer.pk, 50)]


def test_preview_shows_what_residents_will_see_and_writes_nothing(place, web, offer):
    client = web(place.leader.user)
    response = client.post(reverse("groupbuy:buy_create"), form_data(offer, preview="1", drop_point="南门"))
    assert response.status_code == 200
    text = text_of(response)
    assert 'id="preview"' in text
    assert "土豆团" in text
    assert "20 袋" in text
    assert "南门" in text
    assert not GroupBuy.objects.exists()
    assert client.post(reverse("groupbuy:buy_create"), form_data(offer)).status_code == 302
    assert GroupBuy.objects.count() == 1


def test_the_duplicate_warning_is_on_top_and_its_tick_survives_another_error(place, web, offer):
    GroupBuyFactory(community=place.community, leader=place.other_leader.user, item__offer=offer, title="已有的团")
    client = web(place.leader.user)
    response = client.post(reverse("groupbuy:buy_create"), form_data(offer))
    assert response.status_code == 409
    text = text_of(response)
    assert text.index('data-code="similar_buy_open"') < text.index('name="title"')
    assert 'name="confirm_duplicate"' in text

    # Ticked, but the minimum is wrong: refused for that, the warning still on top and still ticked.
    response = client.post(reverse("groupbuy:buy_create"), form_data(offer, moq="0", confirm_duplicate="on"))
    assert response.status_code == 400
    text = text_of(response)
    assert 'data-code="invalid_moq"' in text
    assert text.index('data-code="similar_buy_open"') < text.index('name="title"')
    assert re.search(r'name="confirm_duplicate"[^>]*checked', text)
    assert GroupBuy.objects.count() == 1

    response = client.post(reverse("groupbuy:buy_create"), form_data(offer, confirm_duplicate="on"))
    assert response.status_code == 302
    assert GroupBuy.objects.count() == 2
