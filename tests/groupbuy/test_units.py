"""Units for the reader (issue 16, item 7): a known unit reads "瓶 (bottles)" on an English page and "瓶" on a
Chinese one; a unit typed freely reads as typed. One filter for every page, the 接龙 text and the exports."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from groupbuy.factories import GroupBuyFactory, main_item
from groupbuy.models import Offer
from groupbuy.units import KNOWN_UNITS, unit_label


@pytest.mark.parametrize(
    ("unit", "n", "english"),
    [
        ("斤", None, "斤 (jin, 500 g)"),
        ("斤", 3, "斤 (jin, 500 g)"),
        ("两", 2, "两 (liang, 50 g)"),
        ("公斤", 5, "公斤 (kg)"),
        ("千克", 1, "千克 (kg)"),
        ("瓶", None, "瓶 (bottle)"),
        ("瓶", 1, "瓶 (bottle)"),
        ("瓶", 24, "瓶 (bottles)"),
        ("瓶", Decimal("1.00"), "瓶 (bottle)"),
        ("瓶", Decimal("2.5"), "瓶 (bottles)"),
        ("瓶", 0, "瓶 (bottles)"),
        ("份", 8, "份 (portions)"),
        ("箱", 2, "箱 (cases)"),
        ("盒", 12, "盒 (boxes)"),
        ("袋", 1, "袋 (bag)"),
        ("个", 6, "个 (pieces)"),
        (" 瓶 ", 2, "瓶 (bottles)"),  # typed with spaces
        ("扎", 3, "扎"),  # free text: as typed
        ("bunch", 3, "bunch"),
        ("", 3, ""),
        (None, 3, ""),
    ],
)
def test_unit_labels_in_english_and_chinese(unit, n, english):
    with translation.override("en"):
        assert unit_label(unit, n) == english
    with translation.override("zh-hans"):
        assert unit_label(unit, n) == ("" if unit is None else unit)


def test_every_unit_the_issue_lists_is_known():
    assert {"斤", "两", "瓶", "份", "箱", "盒", "袋", "个", "公斤"} <= set(KNOWN_UNITS)


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "12 瓶 (bottles) · ¥5.00/瓶 (bottle) · 扎"), ("zh-hans", "12 瓶 · ¥5.00/瓶 · 扎")]
)
def test_the_filter_escapes_and_counts(language, expected):
    template = Template(
        "{% load jl_buys %}{{ n }} {{ unit|unit_label:n }} · ¥5.00/{{ unit|unit_label }} · {{ free|unit_label }}"
    )
    with translation.override(language):
        assert template.render(Context({"n": 12, "unit": "瓶", "free": "扎"})) == expected
        assert Template("{% load jl_buys %}{{ u|unit_label }}").render(Context({"u": "<b>"})) == "&lt;b&gt;"


# A unit shown in a template: printed (`{{ x.unit }}`, `{{ preview.moq_unit }}`), passed to blocktranslate
# (`unit=x.unit`) or picked by firstof and printed.
UNIT_USE = re.compile(
    r"""( \{\{[^}]*(?:\.|_)unit\b[^}]*\}\}
        | unit=[\w.]+(?:\.|_)unit\b\S*
        | firstof\ [^%]*\.unit\b[^%]*%\}[^{]*\{\{[^}]*\}\} )""",
    re.VERBOSE,
)


def test_every_template_that_shows_a_unit_uses_the_filter():
    missing = []
    for path in sorted((Path(settings.BASE_DIR) / "templates").rglob("*.html")):
        for use in UNIT_USE.findall(path.read_text(encoding="utf-8")):
            if "unit_label" not in use and "form.unit" not in use:
                missing.append(f"{path.name}: {use}")
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "wanted", "unwanted"),
    [("en", ["0 of 24 瓶 (bottles)", "/瓶 (bottle)"], ["24 瓶 (minimum"]), ("zh-hans", ["/瓶"], ["(bottle"])],
)
def test_the_buy_page_shows_units_in_the_readers_language(place, web, language, wanted, unwanted):
    buy = GroupBuyFactory(community=place.community, leader=place.leader.user, moq=Decimal("24"))
    Offer.objects.filter(pk=main_item(buy).offer_id).update(unit="瓶")
    client = web(place.resident.user)
    client.cookies["django_language"] = language
    body = client.get(reverse("groupbuy:buy_detail", args=[buy.pk])).content.decode()
    for text in wanted:
        assert text in body
    for text in unwanted:
        assert text not in body
