"""The installable web app (core/pwa.py): the manifest with icons that exist, the service worker served from the
root with the headers that let it control every page and update at once, the offline page in both languages,
and the head of every page linking them."""

from __future__ import annotations

import json
import re
from io import BytesIO

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils import translation
from PIL import Image

from core import pwa

pytestmark = pytest.mark.django_db


def _static_bytes(url: str) -> bytes:
    assert url.startswith(settings.STATIC_URL), url
    path = finders.find(url[len(settings.STATIC_URL) :])
    assert path, f"{url} does not exist"
    with open(path, "rb") as handle:
        return handle.read()


def _translated(language: str, msgid: str) -> str:
    with translation.override(language):
        return translation.gettext(msgid)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_manifest_names_the_app_in_the_language_asked_for(client, language):
    response = client.get(reverse("pwa_manifest") + f"?lang={language}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == manifest["short_name"] == _translated(language, "Jielong")
    assert manifest["lang"] == language
    assert manifest["start_url"] == "/"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#b3261e"
    assert manifest["background_color"] == "#fafaf7"


def test_manifest_without_a_language_follows_the_visitor(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert json.loads(client.get("/manifest.webmanifest?lang=xx").content)["lang"] == "zh-hans"


def test_manifest_colours_are_the_stylesheets(client):
    css = _static_bytes(settings.STATIC_URL + "css/app.css").decode()
    manifest = json.loads(client.get(reverse("pwa_manifest")).content)
    assert f"--pri:{manifest['theme_color']}" in css
    assert f"--bg:{manifest['background_color']}" in css


def test_manifest_icons_exist_as_the_sizes_they_claim(client):
    manifest = json.loads(client.get(reverse("pwa_manifest")).content)
    purposes = set()
    for icon in manifest["icons"]:
        assert icon["type"] == "image/png"
        with Image.open(BytesIO(_static_bytes(icon["src"]))) as image:
            assert image.format == "PNG"
            assert f"{image.width}x{image.height}" == icon["sizes"]
        purposes.add((icon["sizes"], icon["purpose"]))
    assert {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"), ("512x512", "maskable")} <= purposes


def test_every_page_links_the_manifest_icons_and_the_worker(place, web):
    html = web(place.resident.user).get(reverse("groupbuy:buy_list")).content.decode()
    manifest = re.search(r'<link rel="manifest" href="([^"]+)"', html)
    assert manifest
    assert manifest.group(1) == "/manifest.webmanifest?lang=en"
    icons = re.findall(r'<link rel="(?:icon|apple-touch-icon)" href="([^"]+)"', html)
    assert len(icons) == 2
    for url in icons:
        with Image.open(BytesIO(_static_bytes(url))) as image:
            assert image.format == "PNG"
    theme = re.search(r'<meta name="theme-color" content="([^"]+)"', html)
    assert theme
    assert theme.group(1) == pwa.brand_colours()["theme"]
    script = re.search(r'<script src="([^"]+sw-register\.js)" defer data-sw="/sw.js" data-user="(\d*)">', html)
    assert script
    assert script.group(2) == str(place.resident.user.pk)
    assert _static_bytes(script.group(1))


def test_an_anonymous_page_tells_the_worker_nobody_is_signed_in():
    html = Client().get(reverse("accounts:login")).content.decode()
    assert 'data-user=""' in html


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert _static_bytes(response["Location"])[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_service_worker_is_served_from_the_root_uncached(client):
    response = client.get(reverse("pwa_sw"))
    assert reverse("pwa_sw") == "/sw.js"
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    assert body.startswith("self.JL = {")
    assert 'addEventListener("fetch"' in body


def _config(client) -> dict:
    first_line = client.get(reverse("pwa_sw")).content.decode().split("\n", 1)[0]
    return json.loads(first_line.removeprefix("self.JL = ").removesuffix(";"))


def test_service_worker_caches_the_shell_that_exists(client):
    config = _config(client)
    static_urls = [url for url in config["shell"] if url.startswith(settings.STATIC_URL)]
    assert settings.STATIC_URL + "css/app.css" in static_urls
    assert settings.STATIC_URL + "js/sw-register.js" in static_urls
    assert settings.STATIC_URL + "js/sw.js" not in static_urls  # the worker is never served from /static/
    for url in static_urls:
        assert _static_bytes(url)
    for language in ("zh-hans", "en"):
        offline = config["offline"][language]
        assert offline in config["shell"]
        assert client.get(offline).status_code == 200
    assert config["banner"] == {
        "zh-hans": _translated("zh-hans", "Offline: as of %(time)s"),
        "en": "Offline: as of %(time)s",
    }
    assert config["time_zone"] == "Asia/Shanghai"


def test_service_worker_version_follows_the_files_it_caches(client, monkeypatch):
    """A deploy that changes a cached file gives a new version, so the worker replaces its caches."""
    version = _config(client)["version"]
    assert re.fullmatch(r"[0-9a-f]{12}", version)
    assert _config(client)["version"] == version
    real = pwa._static_file

    class Changed:
        def __init__(self, path):
            self.path = path

        def read_bytes(self):
            return self.path.read_bytes() + b"/* changed */"

        def read_text(self):
            return self.path.read_text()

    monkeypatch.setattr(pwa, "_static_file", lambda p: Changed(real(p)) if p == "css/app.css" else real(p))
    pwa._worker_cached.cache_clear()
    try:
        assert _config(client)["version"] != version
    finally:
        monkeypatch.undo()
        pwa._worker_cached.cache_clear()


def test_service_worker_answers_not_modified_to_its_own_etag(client):
    """Also in the weak form GZipMiddleware gives the ETag of a compressed answer."""
    compressed = client.get(reverse("pwa_sw"), HTTP_ACCEPT_ENCODING="gzip")
    assert compressed["Content-Encoding"] == "gzip"
    etag = compressed["ETag"]
    assert etag.startswith('W/"')
    for sent in (etag, etag.removeprefix("W/")):
        response = client.get(reverse("pwa_sw"), HTTP_IF_NONE_MATCH=sent, HTTP_ACCEPT_ENCODING="gzip")
        assert response.status_code == 304
        assert response["Service-Worker-Allowed"] == "/"
    assert client.get(reverse("pwa_sw"), HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_service_worker_stores_only_buy_pages():
    """The safe list in sw.js: the buy list and buy pages, nothing under /settlement/, /accounts/ or /api/."""
    source = _static_bytes(settings.STATIC_URL + "js/sw.js").decode()
    pattern = re.search(r"const SAVED_PAGE = /(.+)/;", source)
    assert pattern
    saved = re.compile(pattern.group(1).replace("\\/", "/"))
    for path in ("/buys/", "/buys/12/"):
        assert saved.match(path), path
    for path in (
        "/",
        "/buys/mine/",
        "/buys/12/manage/",
        "/buys/12/order/",
        "/buys/12/join/",
        "/settlement/12/pickup/",
        "/accounts/notifications/",
        "/api/buys/12/",
        "/admin/",
    ):
        assert not saved.match(path), path


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_worker_manifest_and_offline_page_are_read_only(client, method):
    for name in ("pwa_sw", "pwa_manifest", "pwa_offline"):
        assert getattr(client, method)(reverse(name)).status_code == 405


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_offline_page_speaks_the_language_asked_for_and_shows_nobody(place, web, language):
    client = web(place.resident.user)
    response = client.get(reverse("pwa_offline") + f"?lang={language}")
    assert response.status_code == 200
    assert response["Content-Language"] == language
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert _translated(language, "No network") in html
    assert _translated(language, "Reload the page when the connection is back.") in html
    assert reverse("groupbuy:buy_list") in html
    # Cached for whoever holds the phone: no name, no notices, no log-out form, no form token.
    assert place.resident.user.display_name not in html
    assert "csrfmiddlewaretoken" not in html
    assert reverse("accounts:logout") not in html
