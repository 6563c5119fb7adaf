"""Issue 15, item 1 (first part): the 复制接龙 text on the buy page and in the API, and the page's meta tags.

The text is built by one selector (groupbuy.selectors.share) from the page's own public list rows, so its
numbered list is the page's list; it carries no phone, no full name and no note, in either language."""

import re
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from groupbuy.factories import BuyItemFactory, GroupBuyFactory, main_item, signup
from groupbuy.models import BuyStatus, GroupBuy, ShareLink
from groupbuy.services.signup import signup_create


@pytest.fixture
def buy(place):
    return GroupBuyFactory(
        community=place.community,
        leader=place.leader.user,
        title="蔬菜套餐 第1团",
        moq=Decimal("10"),
        drop_point="北门快递架",
        item__cap=20,
    )


@pytest.fixture
def two_item_buy(place, buy):
    """A buy with two items and three entries, one with a care note (never shared)."""
    first = main_item(buy)
    second = BuyItemFactory(buy=buy, position=1, offer__title="土豆")
    first.position = 0
    first.save(update_fields=["position"])
    signup_create(
        actor=place.resident.user,
        buy=buy,
        household=place.resident.household,
        quantities={first.pk: 2, second.pk: 1},
        note="老人独居，请送上门",
    )
    signup_create(actor=place.neighbour.user, buy=buy, household=place.neighbour.household, quantities={second.pk: 3})
    signup_create(
        actor=place.data_volunteer.user, buy=buy, household=place.data_volunteer.household, quantities={first.pk: 1}
    )
    return buy


def detail_url(buy):
    return reverse("groupbuy:buy_detail", args=[buy.pk])


def api_url(buy):
    return reverse("api-buy-share-text", args=[buy.pk])


def share_box(html: str) -> str | None:
    match = re.search(r'<textarea id="share-text"[^>]*>(.*?)</textarea>', html, re.S)
    return unescape(match.group(1)) if match else None


def page_list(html: str) -> list[str]:
    """The page's public list as `seq. identity quantities` lines."""
    section = html.split('<ol class="jl">', 1)[1].split("</ol>", 1)[0]
    lines = re.findall(r'<li><span class="seq">#(\d+)</span> (.*?)</li>', section)
    return [f"{seq}. {unescape(rest)}" for seq, rest in lines]


def close(buy):
    GroupBuy.objects.filter(pk=buy.pk).update(status=BuyStatus.CLOSED)


def test_the_text_list_equals_the_page_list(place, web, two_item_buy):
    html = web(place.neighbour.user).get(detail_url(two_item_buy)).content.decode()
    text = share_box(html)
    listed = page_list(html)
    assert listed == [
        "1. 12-301 王** 白菜 ×2, 土豆 ×1".replace("白菜", main_item(two_item_buy).offer.title),
        "2. 12-302 王** 土豆 ×3",
        f"3. 12-601 王** {main_item(two_item_buy).offer.title} ×1",
    ]
    assert text.splitlines()[-len(listed) :] == listed


def test_the_text_is_masked_no_name_phone_or_note(place, web, two_item_buy):
    for viewer in (place.leader, place.resident):
        text = share_box(web(viewer.user).get(detail_url(two_item_buy)).content.decode())
        payload = web(viewer.user).get(api_url(two_item_buy)).json()["text"]
        for shared in (text, payload):
            for m in (place.resident, place.neighbour, place.data_volunteer, place.leader):
                assert m.user.display_name not in shared
                assert m.user.phone not in shared
            assert "老人独居" not in shared


def test_the_api_gives_the_same_text_and_link(place, api, web, two_item_buy):
    page = share_box(web(place.resident.user).get(detail_url(two_item_buy)).content.decode())
    response = api(place.resident.user).get(api_url(two_item_buy))
    assert response.status_code == 200
    body = response.json()
    live = ShareLink.objects.get(buy=two_item_buy, revoked_at__isnull=True)
    assert body["link"] == f"http://testserver/s/{live.token}/"
    assert body["link"] in body["text"]
    assert body["text"] == page


def test_the_leader_shares_a_closed_buy_a_resident_only_an_open_one(place, web, api, buy):
    signup(buy, place.resident, 2)
    assert share_box(web(place.resident.user).get(detail_url(buy)).content.decode()) is not None
    close(buy)
    assert share_box(web(place.leader.user).get(detail_url(buy)).content.decode()) is not None
    assert api(place.leader.user).get(api_url(buy)).status_code == 200
    resident_page = web(place.resident.user).get(detail_url(buy))
    assert resident_page.status_code == 200
    assert share_box(resident_page.content.decode()) is None
    assert 'id="share"' not in resident_page.content.decode()
    refused = api(place.resident.user).get(api_url(buy))
    assert refused.status_code == 403
    assert "text" not in refused.json()


def test_a_member_of_another_community_is_refused(place, other_place, web, api, buy):
    signup(buy, place.resident, 2)
    page = web(other_place.leader.user).get(detail_url(buy))
    assert page.status_code == 403
    assert "12-301" not in page.content.decode()
    refused = api(other_place.leader.user).get(api_url(buy))
    assert refused.status_code == 403
    assert "text" not in refused.json()


@pytest.mark.parametrize(
    ("language", "labels", "remaining"),
    [
        (
            "zh-hans",
            ["【接龙】蔬菜套餐 第1团", "价格：¥59.00/", "团长加价", "截止：", "取货地点：北门快递架", "接龙链接："],
            "还差 8 份成团",
        ),
        (
            "en",
            ["[接龙] 蔬菜套餐 第1团", "Price: ¥59.00/", "leader's markup", "Deadline: ", "Pickup: 北门快递架"],
            "8 份 (portions) more to form",
        ),
    ],
)
def test_the_text_is_in_the_readers_language(place, web, api, buy, language, labels, remaining):
    signup(buy, place.resident, 2)
    client = web(place.resident.user)
    client.cookies["django_language"] = language
    html = client.get(detail_url(buy)).content.decode()
    text = share_box(html)
    for label in labels:
        assert label in text
    assert remaining in text
    assert "(UTC+08:00)" in text or "（北京时间 UTC+08:00）" in text
    assert text.splitlines()[-1] == "1. 12-301 王** ×2"
    assert ("复制接龙文本" in html) == (language == "zh-hans")
    assert ("Copy 接龙 text" in html) == (language == "en")
    api_text = api(place.resident.user).get(api_url(buy), HTTP_ACCEPT_LANGUAGE=language).json()["text"]
    assert api_text.splitlines()[0] == text.splitlines()[0]


def test_the_meta_tags_show_the_buy_and_never_a_person(place, web, buy):
    signup(buy, place.resident, 2)
    html = web(place.resident.user).get(detail_url(buy)).content.decode()
    assert "<title>蔬菜套餐 第1团 · " in html
    metas = "\n".join(re.findall(r"<meta [^>]*>", html))
    assert 'property="og:title" content="蔬菜套餐 第1团"' in metas
    description = re.search(r'<meta name="description" content="([^"]*)"', metas).group(1)
    assert "蔬菜套餐 第1团" in description
    assert "¥59.00/" in description
    assert "8 份 (portions) more to form" in description
    assert "Deadline: " in description
    assert "og:image" not in metas  # photos are private media: nothing a preview could fetch
    for m in (place.resident, place.leader):
        assert m.user.display_name not in metas
        assert m.user.phone not in metas
    assert "12-301" not in metas
    assert "王**" not in metas
