"""Budget for slow phones (issue 9): each main page's HTML plus the CSS and JS it links, gzip-compressed, stays
within 60 KB, and nothing is loaded from another site. Photos are outside the budget (they load lazily).

The measured sizes are written to test-artifacts/page-weight.json so a change that eats the budget shows."""

from __future__ import annotations

import gzip
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

from accounts.models import Household
from groupbuy.factories import GroupBuyFactory, main_item
from groupbuy.models import BuyStatus, Entry, EntryLine, GroupBuy

BUDGET = 60 * 1024
ASSET = re.compile(r"""<(?:link|script|img|iframe|source|video|audio)\b[^>]*?\b(?:href|src)=["']([^"']+)["']""", re.I)
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)""", re.I)
FOREIGN = re.compile(r"^(?:https?:)?//", re.I)
REPORT = Path(settings.BASE_DIR) / "test-artifacts" / "page-weight.json"
MEASURED: dict[str, dict[str, int]] = {}


def _gzip_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def _static(url: str) -> bytes:
    assert url.startswith(settings.STATIC_URL), url
    path = finders.find(url[len(settings.STATIC_URL) :].split("?")[0])
    assert path, f"linked asset not found: {url}"
    return Path(path).read_bytes()


def weigh(name: str, response) -> int:
    assert response.status_code == 200, (name, response.status_code)
    html = response.content
    text = html.decode()
    linked = [
        url
        for url in ASSET.findall(text)
        if re.search(rf"""<(?:link[^>]*stylesheet|script)[^>]*["']{re.escape(url)}["']""", text)
    ]
    foreign = [url for url in ASSET.findall(text) if FOREIGN.match(url)]
    assert foreign == [], f"{name} loads from other sites: {foreign}"
    sizes = {"html": _gzip_size(html)}
    for url in linked:
        body = _static(url)
        outside = [u for u in CSS_URL.findall(body.decode()) if FOREIGN.match(u)]
        assert outside == [], f"{url} loads from other sites: {outside}"
        sizes[url] = _gzip_size(body)
    total = sum(sizes.values())
    MEASURED[name] = {**sizes, "total": total, "html_raw": len(html)}
    assert total <= BUDGET, f"{name}: {total} bytes compressed > {BUDGET}: {sizes}"
    return total


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    if MEASURED:
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text(json.dumps(MEASURED, indent=2, ensure_ascii=False))


def both_languages(client, name: str, url: str) -> None:
    """Weigh the page in Chinese (the default) and in English (as chosen with the language switch)."""
    for lang in ("zh-hans", "en"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
        weigh(f"{name} {lang}", client.get(url))


def long_list(place, buy, n=500) -> None:
    """n households in one building signed up (bulk, as the buy page's query-count test does)."""
    item = main_item(buy)
    households = Household.objects.bulk_create(
        [Household(community=place.community, building=place.other_building, room=str(1000 + k)) for k in range(n)]
    )
    entries = Entry.objects.bulk_create(
        [
            Entry(
                buy=buy,
                household=h,
                seq=k + 1,
                placed_by=place.building_leader.user,
                display_name=f"李{k}",
                units=1,
                amount=item.unit_price,
            )
            for k, h in enumerate(households)
        ]
    )
    EntryLine.objects.bulk_create([EntryLine(entry=e, item=item, quantity=1) for e in entries])
    GroupBuy.objects.filter(pk=buy.pk).update(
        last_seq=n, entry_count=n, total_units=n, main_units=n, total_amount=item.unit_price * n
    )


@pytest.fixture
def big_buy(place):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, title="蔬菜套餐", moq=Decimal("600"))
    long_list(place, buy)
    return buy


def test_buy_list_is_light(place, web):
    for n in range(12):
        GroupBuyFactory(community=place.community, leader=place.leader.user, title=f"第{n}团 蔬菜套餐")
    both_languages(web(place.resident.user), "buy list (12 buys)", reverse("groupbuy:buy_list"))


def test_buy_page_with_500_entries_is_light(place, web, big_buy):
    url = reverse("groupbuy:buy_detail", args=[big_buy.pk])
    both_languages(web(place.resident.user), "buy page (500 entries)", url)


def test_buy_page_with_500_entries_is_light_for_the_leader_who_shares(place, web, big_buy):
    """The leader always gets the 接龙 text box to copy (issue 15): the whole list a second time on the page."""
    url = reverse("groupbuy:buy_detail", args=[big_buy.pk])
    both_languages(web(place.leader.user), "buy page, leader with the 接龙 text (500 entries)", url)


def test_leader_pages_with_500_entries_are_light(place, web, big_buy):
    client = web(place.leader.user)
    both_languages(client, "dashboard (500 entries)", reverse("groupbuy:dashboard", args=[big_buy.pk]))
    both_languages(client, "charts (500 entries)", reverse("printables:stats", args=[big_buy.pk]))
    sheets = reverse("printables:signup_sheet", args=[big_buy.pk]) + "?building=all"
    both_languages(client, "sign-up sheets, all buildings (500 entries)", sheets)
    GroupBuy.objects.filter(pk=big_buy.pk).update(status=BuyStatus.CLOSED)
    both_languages(client, "reconciliation (500 entries)", reverse("settlement:reconcile", args=[big_buy.pk]))


def test_filing_and_gate_pages_are_light(place, web):
    from compliance.services.filings import filing_submit
    from compliance.services.review import filing_approve
    from tests.compliance.conftest import NOW, filing_kwargs, make_ordered_buy

    buy = make_ordered_buy(place)
    filing = filing_submit(actor=place.leader.user, buy=buy, **filing_kwargs())
    both_languages(web(place.committee.user), "filing", reverse("compliance:filing_detail", args=[filing.pk]))
    slip = filing_approve(actor=place.committee.user, filing=filing, now=NOW)
    client = web(place.gate_guard.user)
    both_languages(client, "gate verify", reverse("compliance:gate") + f"?code={slip.code}")


def test_a_page_linking_a_foreign_asset_is_caught():
    """The check itself: a page pulling a script from a CDN fails the budget test."""

    class Page:
        status_code = 200
        content = b'<html><head><script src="https://cdn.example.com/x.js"></script></head></html>'

    with pytest.raises(AssertionError, match="loads from other sites"):
        weigh("fake", Page())
