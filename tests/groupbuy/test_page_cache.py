"""The buy page at the cost of a cache hit (issue 17, item 1): GroupBuy.version moves with every write the page
shows, the public 接龙 list is rendered once per version and language, the page answers If-None-Match with 304
without rendering, a sign-up is never hidden from its own author by a cached list or a 304, no viewer's
privileged view reaches another, and with the cache down the page still renders."""

from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from groupbuy.factories import GroupBuyFactory, main_item, signup
from groupbuy.models import GroupBuy
from groupbuy.services.buys import group_buy_cancel
from groupbuy.services.catalog import offer_update
from groupbuy.services.pools import pool_create
from groupbuy.services.share import share_link_reset
from groupbuy.services.signup import signup_change, signup_create, signup_withdraw
from groupbuy.views import page_cache
from settlement.services.donations import donation_add

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def buy(place):
    return GroupBuyFactory(
        community=place.community, leader=place.leader.user, moq=Decimal("10"), household_limit=5, item__cap=20
    )


def detail_url(buy):
    return reverse("groupbuy:buy_detail", args=[buy.pk])


def version_of(buy):
    return GroupBuy.objects.values_list("version", flat=True).get(pk=buy.pk)


def _signup(place, buy):
    signup(buy, place.resident, 2)


def _change(place, buy):
    entry = signup(buy, place.neighbour, 1)
    before = version_of(buy)
    signup_change(actor=place.neighbour.user, entry=entry, quantities={main_item(buy).pk: 3})
    return before


def _withdraw(place, buy):
    entry = signup(buy, place.neighbour, 1)
    before = version_of(buy)
    signup_withdraw(actor=place.neighbour.user, entry=entry)
    return before


def _proxy(place, buy):
    signup_create(
        actor=place.building_leader.user,
        buy=buy,
        household=place.neighbour.household,
        quantities={main_item(buy).pk: 1},
    )


def _forms(place, buy):
    signup(buy, place.resident, 5)
    before = version_of(buy)
    signup(buy, place.neighbour, 5)  # reaches the MOQ of 10: open -> formed
    assert GroupBuy.objects.get(pk=buy.pk).status == "formed"
    return before


def _cancel(place, buy):
    group_buy_cancel(actor=place.leader.user, buy=buy, reason="supplier out of stock")


def _pool(place, buy):
    pool_create(actor=place.leader.user, buy=buy)


def _donate(place, buy):
    donation_add(actor=place.resident.user, buy=buy, item_id=main_item(buy).pk, quantity=1)


def _share_link_reset(place, buy):
    share_link_reset(actor=place.leader.user, buy=buy)


def _offer_title(place, buy):
    offer_update(actor=place.leader.user, offer=main_item(buy).offer, title="新的标题")


@pytest.mark.parametrize(
    "write",
    [_signup, _change, _withdraw, _proxy, _forms, _cancel, _pool, _donate, _offer_title, _share_link_reset],
    ids=lambda f: f.__name__.strip("_"),
)
def test_each_write_the_buy_page_shows_moves_the_version(place, buy, write):
    before = version_of(buy)
    before = write(place, buy) or before
    assert version_of(buy) > before


def test_the_list_is_read_once_per_version(place, buy, web, django_assert_max_num_queries, monkeypatch):
    monkeypatch.setattr(page_cache, "body_get", lambda key: None)  # the list alone, without the kept whole page
    signup(buy, place.neighbour, 1)
    client = web(place.resident.user)
    with CaptureQueriesContext(connection) as first:
        client.get(detail_url(buy))
    with CaptureQueriesContext(connection) as second:
        response = client.get(detail_url(buy))
    assert "#1</span> 12-302" in response.content.decode()
    reads_entries = [q for q in first.captured_queries if 'FROM "groupbuy_entry"' in q["sql"]]
    assert reads_entries, "the first view reads the list"
    assert not [q for q in second.captured_queries if 'FROM "groupbuy_entry"' in q["sql"]]
    assert len(second.captured_queries) == len(first.captured_queries) - len(reads_entries)
    # session, user, the buy's version with the membership, unread notices (the kept page's key), buy, items
    with django_assert_max_num_queries(6):
        client.get(detail_url(buy))


def test_an_unchanged_page_answers_304_without_rendering(place, buy, web, django_assert_num_queries):
    signup(buy, place.neighbour, 1)
    client = web(place.resident.user)
    first = client.get(detail_url(buy))
    etag = first["ETag"]
    assert f'data-etag="{escape(etag)}"' in first.content.decode()  # what live.js asks with
    with django_assert_num_queries(3):  # session, user, the buy's version with the viewer's membership
        again = client.get(detail_url(buy), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag


def test_a_removed_member_gets_no_304_but_the_refusal(place, buy, web):
    from accounts.models import Membership

    client = web(place.resident.user)
    etag = client.get(detail_url(buy))["ETag"]
    assert client.get(detail_url(buy), HTTP_IF_NONE_MATCH=etag).status_code == 304
    Membership.objects.filter(pk=place.resident.pk).update(is_active=False)
    refused = client.get(detail_url(buy), HTTP_IF_NONE_MATCH=etag)
    assert refused.status_code == 403
    assert "ETag" not in refused


def test_a_change_by_anyone_ends_the_304(place, buy, web):
    client = web(place.resident.user)
    etag = client.get(detail_url(buy))["ETag"]
    signup(buy, place.neighbour, 1)
    response = client.get(detail_url(buy), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert "#1</span> 12-302" in response.content.decode()
    assert response["ETag"] != etag


def test_after_signing_up_the_old_etag_gets_the_page_with_the_entry(place, buy, web):
    client = web(place.resident.user)
    before = client.get(detail_url(buy))
    etag = before["ETag"]
    assert "You are #" not in before.content.decode()
    posted = client.post(
        detail_url(buy),
        {"action": "join", f"q_{main_item(buy).pk}": 2, "note": "", "idempotency_key": "k-1"},
    )
    assert posted.status_code == 302
    after = client.get(detail_url(buy), HTTP_IF_NONE_MATCH=etag)  # the redirect's GET, as a browser revalidates
    assert after.status_code == 200
    text = after.content.decode()
    assert "You are #1 in the list" in text
    assert "#1</span> 12-301" in text
    # and once the confirmation is shown, the same page is a 304 again
    again = client.get(detail_url(buy), HTTP_IF_NONE_MATCH=client.get(detail_url(buy))["ETag"])
    assert again.status_code == 304


def test_a_waiting_message_is_never_hidden_by_a_304(place, buy, web):
    client = web(place.resident.user)
    etag = client.get(detail_url(buy))["ETag"]
    storage = CookieStorage(RequestFactory().get("/"))
    storage.add(constants.INFO, "hello")
    carrier = HttpResponse()
    storage.update(carrier)
    client.cookies[storage.cookie_name] = carrier.cookies[storage.cookie_name].value
    response = client.get(detail_url(buy), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert "hello" in response.content.decode()


def test_the_etag_is_per_viewer_and_per_language(place, buy, web, client):
    resident = web(place.resident.user).get(detail_url(buy))["ETag"]
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese = client.get(detail_url(buy))["ETag"]
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(place.leader.user)
    leader = client.get(detail_url(buy))["ETag"]
    assert len({resident, chinese, leader}) == 3
    # the resident's English ETag does not answer the leader's request
    assert client.get(detail_url(buy), HTTP_IF_NONE_MATCH=resident).status_code == 200


def test_the_cached_list_carries_no_viewer_privilege(place, buy, web, client):
    signup(buy, place.neighbour, 1)
    phone = place.neighbour.user.phone
    leader_page = web(place.leader.user).get(detail_url(buy)).content.decode()  # the leader fills the cache
    assert "Manage this buy" in leader_page
    client.force_login(place.resident.user)
    resident_page = client.get(detail_url(buy)).content.decode()  # served the cached list
    assert "Manage this buy" not in resident_page
    assert "12-302" in resident_page
    for page in (leader_page, resident_page):
        assert phone not in page
        assert place.neighbour.user.display_name not in page  # masked: 王**, never the full name


def test_each_language_gets_its_own_list(place, buy, web, client):
    signup(buy, place.neighbour, 1)
    english = web(place.resident.user).get(detail_url(buy)).content.decode()
    assert "The list: 1 household" in english
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese = client.get(detail_url(buy)).content.decode()
    assert "The list: 1 household" not in chinese


def test_with_the_cache_down_the_page_still_renders(place, buy, web, settings):
    signup(buy, place.neighbour, 1)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    response = web(place.resident.user).get(detail_url(buy))
    assert response.status_code == 200
    assert "12-302" in response.content.decode()


def test_a_pooled_buy_has_no_etag(place, buy, web):
    pool_create(actor=place.leader.user, buy=buy)
    response = web(place.resident.user).get(detail_url(buy))
    assert response.status_code == 200
    assert not response.has_header("ETag")


def test_the_gzipped_pages_weak_etag_still_matches(place, buy, web):
    client = web(place.resident.user)
    etag = client.get(detail_url(buy))["ETag"]
    assert client.get(detail_url(buy), HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304


# --- the buy list's cards ------------------------------------------------------------------------------------


def list_text(client, **params):
    return client.get(reverse("groupbuy:buy_list"), params).content.decode()


def test_the_buy_lists_cards_are_read_once_per_change(place, buy, web, django_assert_max_num_queries, monkeypatch):
    monkeypatch.setattr(page_cache, "body_get", lambda key: None)  # the cards alone, without the kept whole page
    client = web(place.resident.user)
    with CaptureQueriesContext(connection) as first:
        list_text(client)
    with CaptureQueriesContext(connection) as second:
        text = list_text(client)
    assert buy.title in text
    reads_items = [q for q in first.captured_queries if 'FROM "groupbuy_buyitem"' in q["sql"]]
    assert reads_items, "the first view reads the buys and their items"
    assert not [q for q in second.captured_queries if 'FROM "groupbuy_buyitem"' in q["sql"]]
    assert len(second.captured_queries) == len(first.captured_queries) - 2  # the buys, their items
    with django_assert_max_num_queries(7):
        list_text(client)


def test_the_buy_list_shows_a_sign_up_and_a_new_buy_at_once(place, buy, web):
    client = web(place.resident.user)
    assert "0 households" in list_text(client)
    signup(buy, place.neighbour, 1)
    assert "1 household" in list_text(client)
    GroupBuyFactory(community=place.community, leader=place.leader.user, title="新开的团")
    assert "新开的团" in list_text(client)


def test_the_buy_lists_cards_carry_no_viewer_privilege(place, buy, web, client):
    leader_list = web(place.leader.user).get(reverse("groupbuy:buy_list")).content.decode()
    assert "Buys you lead" in leader_list
    client.force_login(place.resident.user)
    resident_list = list_text(client)  # the cached cards
    assert buy.title in resident_list
    assert "Buys you lead" not in resident_list


def test_each_language_gets_its_own_cards(place, buy, web, client):
    assert "0 households" in list_text(web(place.resident.user))
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert "0 households" not in list_text(client)


def test_with_the_cache_down_the_buy_list_still_renders(place, buy, web, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    assert buy.title in list_text(web(place.resident.user))
