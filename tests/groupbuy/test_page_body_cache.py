"""The whole buy page and buy list kept per viewer (issue 17, item 1, second step): a reload by the same viewer is
served from the cache after the membership check, with its own CSRF token and a fresh idempotency key put in;
nothing kept for one viewer reaches another; a sign-up, a waiting message, a new notice, a language switch and a
share link's quantities are never hidden by a kept page; with the cache down the pages render as before."""

import re
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import Membership, Notification
from groupbuy.factories import GroupBuyFactory, main_item, signup

pytestmark = pytest.mark.django_db

SENTINEL = re.compile(r"(csrf|idem)[0-9a-f]{32}")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


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


def list_url():
    return reverse("groupbuy:buy_list")


def text(response):
    assert response.status_code == 200
    body = response.content.decode()
    assert not SENTINEL.search(body), "a sentinel reached the viewer"
    return body


def without_tokens(body):
    return KEY.sub("", CSRF.sub("", body))


def add_message(client, message="hello"):
    storage = CookieStorage(RequestFactory().get("/"))
    storage.add(constants.INFO, message)
    carrier = HttpResponse()
    storage.update(carrier)
    client.cookies[storage.cookie_name] = carrier.cookies[storage.cookie_name].value


def dead_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }


# --- the buy page ---------------------------------------------------------------------------------------------


def test_a_reload_is_the_kept_page_at_four_statements(place, buy, web, django_assert_num_queries):
    signup(buy, place.neighbour, 1)
    client = web(place.resident.user)
    first = text(client.get(detail_url(buy)))
    with django_assert_num_queries(4):  # session, user, the buy's version with the membership, unread notices
        again = client.get(detail_url(buy))
    assert without_tokens(text(again)) == without_tokens(first)
    assert "#1</span> 12-302" in first
    assert again["ETag"]


def test_each_serve_has_its_own_idempotency_key_and_a_working_csrf_token(place, buy):
    client = Client(enforce_csrf_checks=True)
    client.force_login(place.resident.user)
    pages = [text(client.get(detail_url(buy))) for _ in range(3)]  # the render, then two kept serves
    keys = [KEY.search(page).group(1) for page in pages]
    assert len(set(keys)) == 3
    assert all(re.fullmatch(r"[0-9a-f]{32}", key) for key in keys)
    posted = client.post(
        detail_url(buy),
        {
            "action": "join",
            f"q_{main_item(buy).pk}": 2,
            "note": "",
            "idempotency_key": keys[2],
            "csrfmiddlewaretoken": CSRF.search(pages[2]).group(1),
        },
    )
    assert posted.status_code == 302  # signed up from a kept page
    after = text(client.get(detail_url(buy)))  # the redirect's GET: the new version, and the message
    assert 'class="msg msg-success" role="status">You are #1 in the list' in after
    assert "#1</span> 12-301" in after
    kept = text(client.get(detail_url(buy)))  # the message was shown: kept again, with the entry
    assert 'class="msg msg-success"' not in kept
    assert "#1</span> 12-301" in kept


def test_a_sign_up_by_someone_else_shows_at_once(place, buy, web):
    client = web(place.resident.user)
    assert "12-302" not in text(client.get(detail_url(buy)))
    signup(buy, place.neighbour, 1)
    assert "#1</span> 12-302" in text(client.get(detail_url(buy)))


def test_no_viewer_is_served_another_viewers_page(place, buy, web):
    signup(buy, place.neighbour, 1)
    client = web(place.leader.user)
    leader = text(client.get(detail_url(buy)))
    assert "Manage this buy" in leader
    pages = {}
    for who in (place.resident, place.neighbour, place.resident, place.neighbour):  # each twice: kept
        client.force_login(who.user)
        pages[who.user.pk] = page = text(client.get(detail_url(buy)))
        assert "Manage this buy" not in page
        assert f'data-user="{who.user.pk}"' in page
    assert 'id="change-form"' in pages[place.neighbour.user.pk]  # the neighbour's own entry
    assert 'id="change-form"' not in pages[place.resident.user.pk]
    assert 'id="signup-form"' in pages[place.resident.user.pk]


def test_a_language_switch_gets_the_page_in_that_language(place, buy, web):
    client = web(place.resident.user)
    assert '<html lang="en">' in text(client.get(detail_url(buy)))
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert '<html lang="zh-hans">' in text(client.get(detail_url(buy)))
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    assert '<html lang="en">' in text(client.get(detail_url(buy)))


def test_a_waiting_message_is_shown_not_swallowed(place, buy, web):
    client = web(place.resident.user)
    text(client.get(detail_url(buy)))
    text(client.get(detail_url(buy)))
    add_message(client)
    assert "hello" in text(client.get(detail_url(buy)))
    assert "hello" not in text(client.get(detail_url(buy)))  # shown once, then kept again


def test_a_new_notice_shows_in_the_header_at_once(place, buy, web):
    client = web(place.resident.user)
    assert 'class="badge"' not in text(client.get(detail_url(buy)))
    Notification.objects.create(user=place.resident.user, kind="test", dedupe_key="n-1")
    assert 'class="badge"' in text(client.get(detail_url(buy)))
    assert 'class="badge"' in text(client.get(list_url()))


def test_the_share_links_quantities_are_not_kept(place, buy, web):
    client = web(place.resident.user)
    field = f'name="q_{main_item(buy).pk}"'
    text(client.get(detail_url(buy)))
    page = text(client.get(detail_url(buy), {f"item{main_item(buy).pk}": 3}))
    assert re.search(field + r'[^>]*value="3"', page)
    assert not re.search(field + r'[^>]*value="3"', text(client.get(detail_url(buy))))


def test_a_removed_member_is_refused_though_a_page_is_kept(place, buy, web):
    client = web(place.resident.user)
    text(client.get(detail_url(buy)))
    text(client.get(detail_url(buy)))
    Membership.objects.filter(user=place.resident.user, community=place.community).update(is_active=False)
    refused = client.get(detail_url(buy))
    assert refused.status_code == 403
    assert 'id="signup-form"' not in refused.content.decode()  # the refusal page, not the kept page


def test_with_the_cache_down_the_page_renders_each_time(place, buy, web, settings):
    dead_cache(settings)
    client = web(place.resident.user)
    keys = {KEY.search(text(client.get(detail_url(buy)))).group(1) for _ in range(2)}
    assert len(keys) == 2


# --- the buy list ---------------------------------------------------------------------------------------------


def test_a_reload_of_the_buy_list_is_the_kept_page(place, buy, web, django_assert_num_queries):
    client = web(place.resident.user)
    first = text(client.get(list_url()))
    assert buy.title in first
    # session, user, memberships, the listed buys' versions, unread notices
    with django_assert_num_queries(5):
        again = text(client.get(list_url()))
    assert without_tokens(again) == without_tokens(first)


def test_the_buy_list_is_kept_per_viewer(place, buy, web):
    client = web(place.leader.user)
    assert "Buys you lead" in text(client.get(list_url()))
    client.force_login(place.resident.user)
    for _ in range(2):
        page = text(client.get(list_url()))
        assert "Buys you lead" not in page
        assert f'data-user="{place.resident.user.pk}"' in page


def test_a_leaders_new_buy_shows_in_their_list_at_once(place, buy, web):
    client = web(place.leader.user)
    text(client.get(list_url()))
    GroupBuyFactory(community=place.community, leader=place.leader.user, title="刚开的团", status="draft")
    assert "刚开的团" in text(client.get(list_url()))


def test_the_buy_list_in_each_language_and_with_messages(place, buy, web):
    client = web(place.resident.user)
    assert '<html lang="en">' in text(client.get(list_url()))
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert '<html lang="zh-hans">' in text(client.get(list_url()))
    add_message(client)
    assert "hello" in text(client.get(list_url()))


def test_with_the_cache_down_the_buy_list_renders_each_time(place, buy, web, settings):
    dead_cache(settings)
    client = web(place.resident.user)
    for _ in range(2):
        assert buy.title in text(client.get(list_url()))
