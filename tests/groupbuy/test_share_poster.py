"""Issue 15, items 1 and 9: the share poster (a PNG whose QR code is the buy's share link, drawn once per shown
state, for those who may share the buy) and the lobby sign-up sheet (Chinese by default, its QR the share link)."""

import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse

from groupbuy import poster
from groupbuy.factories import GroupBuyFactory, signup
from groupbuy.models import BuyStatus, GroupBuy, ShareLink
from groupbuy.services.share import share_link_reset
from tests.conftest import require_tool


@pytest.fixture(autouse=True)
def _zbarimg():
    require_tool("zbarimg", "Debian zbar-tools decodes the poster's QR code")


@pytest.fixture
def buy(place):
    buy = GroupBuyFactory(
        community=place.community,
        leader=place.leader.user,
        title="蔬菜套餐 第1团",
        moq=Decimal("10"),
        drop_point="北门快递架",
    )
    signup(buy, place.resident, 2)
    return buy


@pytest.fixture
def renders(monkeypatch):
    """Count poster drawings (not time): wrap the real renderer."""
    calls = []
    real = poster.poster_render

    def counting(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(poster, "poster_render", counting)
    return calls


def poster_url(buy):
    return reverse("groupbuy:buy_poster", args=[buy.pk])


def decode(png: bytes, tmp_path) -> str:
    path = tmp_path / "poster.png"
    path.write_bytes(png)
    out = subprocess.run(["zbarimg", "--raw", "-q", str(path)], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def live_link(buy) -> str:
    return f"http://testserver/s/{ShareLink.objects.get(buy=buy, revoked_at__isnull=True).token}/"


def test_the_poster_is_a_png_whose_qr_is_the_share_link(place, web, buy, tmp_path):
    response = web(place.resident.user).get(poster_url(buy))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment")
    assert decode(response.content, tmp_path) == live_link(buy)


def test_a_second_request_is_a_cache_hit_and_a_change_redraws(place, web, buy, renders):
    client = web(place.leader.user)
    first = client.get(poster_url(buy)).content
    assert client.get(poster_url(buy)).content == first
    assert len(renders) == 1
    signup(buy, place.neighbour, 1)  # the poster shows the household count
    client.get(poster_url(buy))
    assert len(renders) == 2
    language = renders[-1]["language"]
    client.cookies["django_language"] = "en" if language != "en" else "zh-hans"
    client.get(poster_url(buy))  # another language, another poster
    assert renders[-1]["language"] != language
    assert len(renders) == 3


def test_a_reset_link_redraws_the_poster_with_the_new_link(place, web, buy, renders, tmp_path):
    client = web(place.leader.user)
    client.get(poster_url(buy))
    share_link_reset(actor=place.leader.user, buy=buy)
    response = client.get(poster_url(buy))
    assert len(renders) == 2
    assert decode(response.content, tmp_path) == live_link(buy)


def test_non_members_and_residents_of_a_closed_buy_get_no_poster(place, other_place, web, client, buy, renders):
    assert web(other_place.resident.user).get(poster_url(buy)).status_code == 403
    GroupBuy.objects.filter(pk=buy.pk).update(status=BuyStatus.CLOSED)
    assert web(place.resident.user).get(poster_url(buy)).status_code == 403  # share_allowed: open buys only
    assert renders == []
    client.logout()
    anonymous = client.get(poster_url(buy))
    assert anonymous.status_code == 302
    assert renders == []


def test_the_share_panel_links_the_poster_and_the_leader_gets_a_reset_button(place, web, buy):
    html = web(place.leader.user).get(reverse("groupbuy:buy_detail", args=[buy.pk])).content.decode()
    assert f'href="{poster_url(buy)}"' in html
    assert reverse("groupbuy:share_link_reset", args=[buy.pk]) in html
    html = web(place.resident.user).get(reverse("groupbuy:buy_detail", args=[buy.pk])).content.decode()
    assert f'href="{poster_url(buy)}"' in html
    assert reverse("groupbuy:share_link_reset", args=[buy.pk]) not in html


def sheet(client, buy, **params):
    return client.get(reverse("printables:signup_sheet", args=[buy.pk]), params)


def test_the_lobby_sheet_prints_in_chinese_whatever_the_leaders_language(place, web, buy):
    client = web(place.leader.user)
    client.cookies["django_language"] = "en"
    response = sheet(client, buy)
    html = response.content.decode()
    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in html
    assert "Print in English" in html
    assert "Sign-up sheet (接龙) for neighbours" not in html
    english = sheet(client, buy, lang="en")
    assert english["Content-Language"] == "en"
    assert "Sign-up sheet (接龙) for neighbours" in english.content.decode()
    assert sheet(client, buy, lang="fr")["Content-Language"] == "zh-hans"


def test_the_lobby_sheet_has_a_qr_of_the_share_link(place, web, buy):
    response = sheet(web(place.leader.user), buy)
    assert response.context["share_link"] == live_link(buy)
    assert response.content.decode().count('class="share-qr"') == 2  # one per building sheet
