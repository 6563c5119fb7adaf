"""Issue 15, item 2: the public preview behind /s/<token>/ — no login, the buy's own facts only (never a name, a
room, a phone or the list, also not in meta tags), photos through token-scoped addresses, 我要接龙 hands over to
login / joining / the buy page, and the committee's policy can turn previews off."""

import io
import re
from decimal import Decimal
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.shortcuts import resolve_url
from django.urls import reverse
from PIL import Image

from accounts.factories import MembershipFactory
from compliance.models import AuditEvent, DeliveryPolicy
from compliance.services.policy import policy_update
from groupbuy.factories import BuyItemFactory, GroupBuyFactory, OfferFactory, main_item, signup
from groupbuy.models import BuyStatus, GroupBuy, OfferPhoto, PhotoStatus
from groupbuy.services.share import share_link_get_or_create, share_link_reset


def jpeg(name: str) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 160, 60)).save(buffer, format="JPEG")
    return default_storage.save(name, ContentFile(buffer.getvalue()))


@pytest.fixture
def buy(place):
    buy = GroupBuyFactory(
        community=place.community,
        leader=place.leader.user,
        title="蔬菜套餐 第1团",
        moq=Decimal("10"),
        drop_point="北门快递架",
        item__cap=20,
    )
    signup(buy, place.resident, 2, note="老人独居，请送上门")
    signup(buy, place.neighbour, 1)
    return buy


@pytest.fixture
def token(buy):
    return share_link_get_or_create(buy=buy).token


def preview(client, token):
    return client.get(reverse("share:preview", args=[token]))


def test_anyone_sees_the_buys_facts_without_logging_in(place, web, buy, token):
    response = preview(web(), token)
    assert response.status_code == 200
    html = unescape(response.content.decode())
    item = main_item(buy)
    assert "<title>蔬菜套餐 第1团" in html
    assert '<meta property="og:title" content="蔬菜套餐 第1团">' in html
    assert 'property="og:image"' in html
    assert "北门快递架" in html
    assert item.offer.unit in html
    assert 'role="progressbar"' in html  # the buy page's own progress include
    assert re.search(r"2 households joined|已接 2 户", html)
    assert f'action="/s/{token}/go/"' in html
    assert f'name="item{item.pk}"' in html


def test_the_preview_shows_no_name_room_phone_note_or_list(place, web, buy, token):
    html = unescape(preview(web(), token).content.decode())
    for member in (place.resident, place.neighbour, place.leader):
        user, household = member.user, member.household
        assert user.phone not in html
        assert user.display_name not in html
        assert user.username not in html
        assert f"{place.building.label}-{household.room}" not in html
        assert household.room not in html
    assert "王**" not in html
    assert "老人独居" not in html
    assert 'class="jl"' not in html


def test_photos_are_served_through_the_token_and_only_the_buys_own(place, web, buy, token):
    item = main_item(buy)
    photo = OfferPhoto.objects.create(offer=item.offer, status=PhotoStatus.READY, image=jpeg("offers/a.jpg"))
    stranger = OfferPhoto.objects.create(
        offer=OfferFactory(supplier=item.offer.supplier), status=PhotoStatus.READY, image=jpeg("offers/b.jpg")
    )
    pending = OfferPhoto.objects.create(offer=item.offer, status=PhotoStatus.PENDING, image=jpeg("offers/c.jpg"))
    html = preview(web(), token).content.decode()
    url = reverse("share:photo", args=[token, photo.pk])
    assert f'src="{url}"' in html
    assert f'<meta property="og:image" content="http://testserver{url}">' in html
    response = web().get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert web().get(reverse("share:photo", args=[token, stranger.pk])).status_code == 404
    assert web().get(reverse("share:photo", args=[token, pending.pk])).status_code == 404
    other = GroupBuyFactory(community=place.community, leader=place.leader.user)
    other_token = share_link_get_or_create(buy=other).token
    assert web().get(reverse("share:photo", args=[other_token, photo.pk])).status_code == 404


def test_without_a_photo_the_og_image_is_the_token_poster(web, buy, token):
    html = preview(web(), token).content.decode()
    poster = reverse("share:poster", args=[token])
    assert f'<meta property="og:image" content="http://testserver{poster}">' in html
    response = web().get(poster)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


def test_a_closed_buy_says_so_and_has_no_button(web, buy, token):
    GroupBuy.objects.filter(pk=buy.pk).update(status=BuyStatus.CLOSED)
    html = preview(web(), token).content.decode()
    assert 'id="closed"' in html
    assert "/go/" not in html


def test_policy_off_shows_only_a_login_button(place, web, buy, token):
    policy_update(
        actor=place.committee.user,
        community=place.community,
        weekdays=[0, 1, 2, 3, 4, 5, 6],
        lead_hours=12,
        gate_opens=DeliveryPolicy._meta.get_field("gate_opens").default,
        gate_closes=DeliveryPolicy._meta.get_field("gate_closes").default,
        public_previews=False,
    )
    response = preview(web(), token)
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert 'id="preview-off"' in html
    assert f'href="/s/{token}/go/"' in html
    for fact in (buy.title, "北门快递架", main_item(buy).offer.unit, "og:"):
        assert fact not in html
    assert web().get(reverse("share:poster", args=[token])).status_code == 404
    # the members' share text still works
    text = web(place.resident.user).get(reverse("api-buy-share-text", args=[buy.pk]))
    assert text.status_code == 200
    assert f"/s/{token}/" in text.json()["text"]


def test_the_policy_switch_through_page_and_api(place, web, api):
    url = reverse("compliance:policy", args=[place.community.pk])
    form = {"weekdays": ["0", "2"], "lead_hours": "12", "gate_opens": "07:00", "gate_closes": "19:00"}
    assert web(place.committee.user).post(url, form).status_code == 302  # box unticked: off
    assert DeliveryPolicy.objects.get(community=place.community).public_previews is False
    web(place.committee.user).post(url, {**form, "public_previews": "on"})
    assert DeliveryPolicy.objects.get(community=place.community).public_previews is True
    client = api(place.committee.user)
    api_url = reverse("api-compliance-policy", args=[place.community.pk])
    body = {"weekdays": [0, 2], "lead_hours": 12, "gate_opens": "07:00", "gate_closes": "19:00"}
    response = client.put(api_url, body, format="json")
    assert response.status_code == 200
    assert response.json()["public_previews"] is True  # absent: unchanged
    response = client.put(api_url, {**body, "public_previews": False}, format="json")
    assert response.status_code == 200
    assert response.json()["public_previews"] is False
    assert DeliveryPolicy.objects.get(community=place.community).public_previews is False
    changed = AuditEvent.objects.filter(kind="policy_changed").order_by("pk").last()
    assert (changed.data["before"]["public_previews"], changed.data["after"]["public_previews"]) == (True, False)


def test_a_resident_cannot_turn_previews_off(place, api):
    api_url = reverse("api-compliance-policy", args=[place.community.pk])
    body = {"weekdays": [0], "lead_hours": 12, "gate_opens": "07:00", "gate_closes": "19:00", "public_previews": False}
    response = api(place.resident.user).put(api_url, body, format="json")
    assert response.status_code == 403
    assert not DeliveryPolicy.objects.filter(community=place.community, public_previews=False).exists()


def go(client, token, **params):
    return client.get(reverse("share:go", args=[token]), params)


def test_go_sends_a_visitor_to_log_in_and_back(web, buy, token):
    item = main_item(buy)
    response = go(web(), token, **{f"item{item.pk}": 2})
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == resolve_url(settings.LOGIN_URL)
    assert parse_qs(target.query)["next"] == [f"/s/{token}/go/?item{item.pk}=2"]


def test_go_sends_a_non_member_to_join_and_back(other_place, web, buy, token):
    item = main_item(buy)
    response = go(web(other_place.resident.user), token, **{f"item{item.pk}": 2})
    target = urlsplit(response["Location"])
    assert target.path == reverse("accounts:join_start")
    assert parse_qs(target.query)["next"] == [f"/s/{token}/go/?item{item.pk}=2"]


def test_go_lands_a_member_on_the_sign_up_with_the_quantities(place, web, buy, token):
    item = main_item(buy)
    second = BuyItemFactory(buy=buy, position=1)
    response = go(web(place.neighbour.user), token, **{f"item{item.pk}": 3, f"item{second.pk}": 0, "item999999": 5})
    assert response["Location"] == f"/buys/{buy.pk}/?item{item.pk}=3#signup"
    response = go(web(place.neighbour.user), token, **{f"item{item.pk}": 100000})
    assert response["Location"] == f"/buys/{buy.pk}/?item{item.pk}=999#signup"


def test_go_on_a_reset_link_is_a_404(place, web, buy, token):
    share_link_reset(actor=place.leader.user, buy=buy)
    assert go(web(place.neighbour.user), token).status_code == 404


def test_the_preview_query_count_does_not_grow_with_the_list(place, web, buy, token, django_assert_max_num_queries):
    for _ in range(10):
        signup(buy, MembershipFactory(community=place.community, household__community=place.community), 1)
    with django_assert_max_num_queries(5):  # link, buy, items with photos, policy (+ session)
        response = preview(web(), token)
    assert response.status_code == 200


def test_a_draft_buy_says_it_is_not_open_yet(web, buy, token):
    GroupBuy.objects.filter(pk=buy.pk).update(status=BuyStatus.DRAFT)
    html = preview(web(), token).content.decode()
    assert 'id="closed"' in html
    assert "not open for sign-ups yet" in html
    assert "/go/" not in html
