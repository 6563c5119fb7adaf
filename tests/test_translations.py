"""Complete translations: every string marked in the code has a real translation in both catalogues
(zh-hans, the default, and en), the committed .mo files are what the .po files say, placeholders survive
translation, pages speak Chinese by default and English after switching, and money reads ¥0.00.

The msgids are extracted the way the catalogues are made (README / locale/*/django.po header):
`manage.py makemessages -l zh_Hans -l en --ignore=.venv/* --ignore=var/* --ignore=bench/*`,
run on a copy of the sources so locale/ is never touched. That needs GNU gettext; `make test` installs it.
"""

import contextlib
import os
import re
import shutil
from decimal import Decimal
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.template import Context, Template
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from groupbuy.factories import GroupBuyFactory, signup

BASE_DIR = Path(settings.BASE_DIR)
LOCALE_DIR = BASE_DIR / "locale"
LOCALES = {"zh_Hans": 1, "en": 2}  # language -> number of plural forms
DOMAINS = ("django", "djangojs")
IGNORE_PATTERNS = [".venv/*", "var/*", "bench/*"]  # the documented makemessages command's --ignore
SOURCE_SUFFIXES = {".py", ".html", ".txt", ".js"}  # what makemessages reads for the two domains
SKIP_DIRS = {"var", "locale", "__pycache__", "node_modules", "test-artifacts", "staticfiles"}

REGENERATE = (
    "Run `.venv/bin/python manage.py makemessages -l zh_Hans -l en --ignore=.venv/* --ignore=var/* "
    "--ignore=bench/*`, translate the new entries in locale/*/LC_MESSAGES/django.po (no fuzzy ones), then "
    "`.venv/bin/python manage.py compilemessages --ignore=.venv` and commit the .po and .mo files."
)


def key(entry: polib.POEntry) -> tuple:
    return (entry.msgctxt, entry.msgid)


def catalogue(lang: str, domain: str = "django") -> polib.POFile | None:
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"
    return polib.pofile(str(path)) if path.exists() else None


def _copy_sources(target: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(BASE_DIR):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in SKIP_DIRS]
        here = Path(dirpath)
        for name in filenames:
            if Path(name).suffix in SOURCE_SUFFIXES:
                destination = target / here.relative_to(BASE_DIR) / name
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(here / name, destination)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[str, list[polib.POEntry]]:
    """domain -> the entries makemessages finds in the code as it is now."""
    missing = [tool for tool in ("xgettext", "msguniq", "msgmerge", "msgattrib") if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"GNU gettext is needed to extract the strings ({', '.join(missing)} missing): apt-get install gettext"
        )
    copy = tmp_path_factory.mktemp("sources")
    _copy_sources(copy)
    (copy / "locale").mkdir()
    found = {}
    with override_settings(LOCALE_PATHS=[str(copy / "locale")]), contextlib.chdir(copy):
        for domain in DOMAINS:
            call_command(
                "makemessages", locale=["zh_Hans"], domain=domain, ignore_patterns=IGNORE_PATTERNS, verbosity=0
            )
            po = copy / "locale" / "zh_Hans" / "LC_MESSAGES" / f"{domain}.po"
            found[domain] = [e for e in polib.pofile(str(po)) if not e.obsolete] if po.exists() else []
    return found


def test_extraction_finds_the_strings_of_python_and_templates(extracted):
    msgids = {e.msgid for e in extracted["django"]}
    # One from a service error, one from a template, one plural from a template, one notification.
    assert "The order deadline (截单时间) has passed." in msgids
    assert "Nobody yet. Be the first!" in msgids
    assert "%(n)s household" in msgids
    assert "“{title}” reached its minimum order (成团)." in msgids
    assert len(msgids) > 900


@pytest.mark.parametrize("lang", LOCALES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_every_marked_string_is_translated(extracted, lang, domain):
    wanted = extracted[domain]
    po = catalogue(lang, domain)
    if not wanted:
        return  # nothing marked in this domain (no JavaScript text today): no catalogue needed
    assert po is not None, f"locale/{lang}/LC_MESSAGES/{domain}.po is missing. {REGENERATE}"
    known = {key(e): e for e in po if not e.obsolete}
    problems = []
    for entry in wanted:
        found = known.get(key(entry))
        if found is None:
            problems.append(f"not in the catalogue: {entry.msgid!r}")
        elif found.fuzzy:
            problems.append(f"fuzzy: {entry.msgid!r}")
        elif found.msgid_plural != entry.msgid_plural:
            problems.append(f"plural changed: {entry.msgid!r}")
        elif entry.msgid_plural:
            forms = [found.msgstr_plural.get(i, "") for i in range(LOCALES[lang])]
            if not all(forms) or len(found.msgstr_plural) != LOCALES[lang]:
                problems.append(f"plural forms missing: {entry.msgid!r}")
        elif not found.msgstr:
            problems.append(f"untranslated: {entry.msgid!r}")
    assert problems == [], (
        f"{len(problems)} problem(s) in {lang}/{domain}.po:\n" + "\n".join(problems) + f"\n{REGENERATE}"
    )


@pytest.mark.parametrize("lang", LOCALES)
def test_catalogue_headers_and_no_fuzzy_entries(lang):
    po = catalogue(lang)
    assert po.metadata["Language"] == lang
    assert po.metadata["Plural-Forms"].startswith(f"nplurals={LOCALES[lang]};")
    assert not po.metadata_is_fuzzy
    assert [e.msgid for e in po if e.fuzzy and not e.obsolete] == []


@pytest.mark.parametrize("lang", LOCALES)
def test_the_committed_mo_file_is_compiled_from_the_po_file(lang):
    po = catalogue(lang)
    mo_path = LOCALE_DIR / lang / "LC_MESSAGES" / "django.mo"
    assert mo_path.exists(), f"{mo_path} is missing. {REGENERATE}"
    mo = polib.mofile(str(mo_path))

    def table(entries):
        out = {}
        for e in entries:
            if e.obsolete or "fuzzy" in e.flags or not e.msgid:
                continue
            if e.msgid_plural:
                out[key(e)] = tuple(e.msgstr_plural[i] for i in sorted(e.msgstr_plural))
            elif e.msgstr:
                out[key(e)] = e.msgstr
        return out

    assert table(mo) == table(po), f"{mo_path.name} is out of date. {REGENERATE}"
    assert mo.metadata.get("Plural-Forms") == po.metadata["Plural-Forms"]


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd%]|\{\w*\}|</?\w+[^>]*>")


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("lang", LOCALES)
def test_translations_keep_every_placeholder(lang):
    problems = []
    for e in catalogue(lang):
        if e.obsolete:
            continue
        if e.msgid_plural:
            pairs = [
                (e.msgid if i == 0 and LOCALES[lang] > 1 else e.msgid_plural, s) for i, s in e.msgstr_plural.items()
            ]
        else:
            pairs = [(e.msgid, e.msgstr)]
        for source, text in pairs:
            if text and _placeholders(text) != _placeholders(source):
                problems.append(f"{source!r} -> {text!r}")
    assert problems == [], "\n".join(problems)


def test_english_catalogue_is_the_source_text():
    for e in catalogue("en"):
        if e.obsolete:
            continue
        if e.msgid_plural:
            assert e.msgstr_plural == {0: e.msgid, 1: e.msgid_plural}
        else:
            assert e.msgstr == e.msgid


def test_chinese_is_the_product_default():
    from config import settings as product

    assert product.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _name in product.LANGUAGES] == ["zh-hans", "en"]
    with translation.override("zh-hans"):
        assert translation.gettext("The order deadline (截单时间) has passed.") == "已过截单时间。"
        assert translation.ngettext("%(n)s household", "%(n)s households", 3) % {"n": 3} == "3 户"
    with translation.override("en"):
        assert translation.ngettext("%(n)s household", "%(n)s households", 1) % {"n": 1} == "1 household"
        assert translation.ngettext("%(n)s household", "%(n)s households", 3) % {"n": 3} == "3 households"


# --- pages --------------------------------------------------------------------------------------------------------


@pytest.fixture
def buy(place):
    made = GroupBuyFactory(
        community=place.community, leader=place.leader.user, title="蔬菜套餐 第1团", moq=Decimal("10")
    )
    signup(made, place.neighbour, 3)
    return made


@pytest.fixture
def product_default(settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the test settings use English for the rest of the suite


def _pages(buy):
    return {
        "home": reverse("home"),
        "buy list": reverse("groupbuy:buy_list"),
        "buy page": reverse("groupbuy:buy_detail", args=[buy.pk]),
    }


CHINESE = {
    "home": ["团购", "修改密码"],
    "buy list": ["还差 7 份成团", "截单"],
    "buy page": ["接龙名单：1 户", "计划送货"],
}
ENGLISH = {
    "home": ["Group buys", "Change password"],
    "buy list": ["7 份 (portions) more to form", "Closes in"],
    "buy page": ["The list: 1 household", "Planned delivery"],
}


def test_pages_are_in_chinese_by_default(product_default, place, web, buy):
    client = web(place.resident.user)
    for name, url in _pages(buy).items():
        text = client.get(url).content.decode()
        assert '<html lang="zh-hans">' in text, name
        for shown in CHINESE[name]:
            assert shown in text, f"{name}: {shown}"
        for english in ENGLISH[name]:
            assert english not in text, f"{name}: {english}"


def test_pages_are_in_english_after_switching(product_default, place, web, buy):
    client = web(place.resident.user)
    pages = _pages(buy)
    response = client.post(reverse("set_language"), {"language": "en", "next": pages["buy page"]})
    assert response.status_code == 302
    assert response.headers["Location"] == pages["buy page"]
    for name, url in pages.items():
        text = client.get(url).content.decode()
        assert '<html lang="en">' in text, name
        for shown in ENGLISH[name]:
            assert shown in text, f"{name}: {shown}"
        for chinese in CHINESE[name]:
            assert chinese not in text, f"{name}: {chinese}"
    client.post(reverse("set_language"), {"language": "zh-hans", "next": pages["home"]})
    assert "还差 7 份成团" in client.get(pages["buy list"]).content.decode()


def test_a_phone_set_to_english_gets_english_without_switching(product_default, place, web, buy):
    text = web(place.resident.user).get(reverse("groupbuy:buy_list"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8").content
    assert "7 份 (portions) more to form" in text.decode()


# --- money --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("59"), "¥59.00"),
        (Decimal("12.5"), "¥12.50"),
        (Decimal("0.005"), "¥0.01"),
        (Decimal("-3.2"), "-¥3.20"),
        (7, "¥7.00"),
        ("8.1", "¥8.10"),
        (None, ""),
        ("", ""),
    ],
)
def test_money_shows_yuan_with_two_decimals_in_both_languages(value, shown):
    template = Template("{% load money %}{{ value|money }}")
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            assert template.render(Context({"value": value})) == shown


# --- notices ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "params", "zh", "en"),
    [
        (
            "refund_due",
            {"title": "豆腐", "amount": "12.00", "reason": "after_sales"},
            "“豆腐”：应退您 12.00 元（售后）。",
            "“豆腐”: a refund of 12.00 yuan is due to you (after-sales).",
        ),
        (
            "price_change_resolved",
            {"title": "豆腐", "item": "豆腐套餐", "choice": "withdraw"},
            "“豆腐”：豆腐套餐 的改价已确定：撤回。",
            "“豆腐”: the price change for 豆腐套餐 is settled: withdraw.",
        ),
        (
            "buy_changed",
            {"title": "豆腐", "text": "截单时间", "fields": ["deadline", "delivery_date"]},
            "“豆腐”有变动：截单时间, 计划送货日期",
            "“豆腐” was changed: order deadline (截单), planned delivery date",
        ),
        (
            "after_sales_resolved",
            {"title": "豆腐", "resolution": "replacement"},
            "“豆腐”：您反映的问题已处理：换货。",
            "“豆腐”: your report was resolved: replacement.",
        ),
    ],
)
def test_a_notice_reads_in_the_readers_language_codes_included(kind, params, zh, en):
    from accounts.models import Notification
    from accounts.notifications import render

    notice = Notification(kind=kind, params=params)
    with translation.override("zh-hans"):
        assert render(notice) == zh
    with translation.override("en"):
        assert render(notice) == en
