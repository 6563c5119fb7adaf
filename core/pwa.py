"""The installable web app: manifest, service worker and offline page (issue 15, item 8).

- ``/manifest.webmanifest`` names the app in the visitor's language (``?lang=`` from the page's <head>, because
  browsers fetch the manifest without cookies) with the brand colours read from static/css/app.css;
- ``/sw.js`` is static/js/sw.js served from the site root (so it may control every page) with its settings on top:
  the cache version (a hash of the files it caches, so a deploy replaces the caches), the app shell to cache at
  install, the offline page and the "offline: as of HH:MM" banner in each language. No-cache, so updates roll out;
- ``/offline/`` is what a page that was never saved shows without the network; it carries nothing personal (it is
  cached once per language at install).

What the worker may store, and when it forgets it, is written at the top of static/js/sw.js.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.http import parse_etags
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

WORKER_SOURCE = "js/sw.js"
STYLESHEET = "css/app.css"
# Icons the pages themselves show (the favicon) or a browser wants when installing: cached with the shell.
SHELL_ICONS = ("icons/favicon-32.png", "icons/icon-192.png")
MANIFEST_ICONS = (
    ("icons/icon-192.png", 192, "any"),
    ("icons/icon-512.png", 512, "any"),
    ("icons/maskable-192.png", 192, "maskable"),
    ("icons/maskable-512.png", 512, "maskable"),
)
CSS_COLOUR = r"--{name}\s*:\s*(#[0-9a-fA-F]{{3,8}})"


def _static_file(path: str) -> Path:
    found = finders.find(path)
    if not found:
        raise FileNotFoundError(f"static file {path} is missing")
    return Path(found)


def _language(request: HttpRequest) -> str:
    """``?lang=`` when it names one of our languages, else the request's language (LocaleMiddleware)."""
    wanted = request.GET.get("lang", "")
    return wanted if wanted in dict(settings.LANGUAGES) else translation.get_language()


def brand_colours() -> dict[str, str]:
    """The top bar's red (``--pri``) and the page background (``--bg``), as static/css/app.css defines them."""
    css = _static_file(STYLESHEET).read_text()
    colours = {}
    for key, name in (("theme", "pri"), ("background", "bg")):
        match = re.search(CSS_COLOUR.format(name=name), css)
        if match is None:
            raise ValueError(f"{STYLESHEET} defines no --{name} colour")
        colours[key] = match.group(1).lower()
    return colours


def shell_files() -> list[str]:
    """Static paths of the app shell: every stylesheet and script of ours (the worker itself aside) and the
    small icons. Large install icons and other apps' static files (the admin's) are fetched only when needed."""
    finder = finders.FileSystemFinder()
    # The files collectstatic collects (it skips hidden and backup files): anything else would 404 at install.
    ignore = apps.get_app_config("staticfiles").ignore_patterns
    paths = sorted(
        path.replace("\\", "/")
        for path, _storage in finder.list(ignore_patterns=ignore)
        if path.endswith((".css", ".js")) and path.replace("\\", "/") != WORKER_SOURCE
    )
    return paths + list(SHELL_ICONS)


def _worker_config() -> tuple[str, str]:
    """(the settings line put above sw.js, its version). The version hashes the worker and every shell file."""
    digest = hashlib.sha256(_static_file(WORKER_SOURCE).read_bytes())
    files = shell_files()
    for path in files:
        digest.update(path.encode())
        digest.update(_static_file(path).read_bytes())
    version = digest.hexdigest()[:12]
    offline = {}
    banner = {}
    for code, _name in settings.LANGUAGES:
        offline[code] = f"{reverse('pwa_offline')}?lang={code}"
        with translation.override(code):
            # %(time)s is filled in by the worker: the time the page was saved (with the date when not today).
            banner[code] = _("Offline: as of %(time)s")
    config: dict[str, Any] = {
        "version": version,
        "static_url": settings.STATIC_URL,
        "shell": [static(path) for path in files] + list(offline.values()),
        "offline": offline,
        "banner": banner,
        "default_language": settings.LANGUAGE_CODE,
        "time_zone": settings.TIME_ZONE,
    }
    line = f"self.JL = {json.dumps(config, ensure_ascii=False, sort_keys=True)};\n"
    return line, version


@functools.cache
def _worker_cached() -> tuple[str, str]:
    line, version = _worker_config()
    return line + _static_file(WORKER_SOURCE).read_text(), version


def worker_script() -> tuple[str, str]:
    """The body of /sw.js and its version. Computed once per process, except with DEBUG on (files change)."""
    if settings.DEBUG:
        _worker_cached.cache_clear()
    return _worker_cached()


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    body, version = worker_script()
    etag = f'"{version}"'
    # GZipMiddleware weakens the ETag it compresses (W/"…"): the browser sends that form back.
    sent = [tag.removeprefix("W/") for tag in parse_etags(request.headers.get("If-None-Match", ""))]
    if etag in sent:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    # The browser asks again on every update check instead of keeping a copy: a deploy reaches phones at once.
    response["Cache-Control"] = "no-cache, max-age=0"
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    language = _language(request)
    colours = brand_colours()
    with translation.override(language):
        data = {
            "id": "/",
            "name": _("Jielong"),
            "short_name": _("Jielong"),
            "description": _("Group buys with your neighbours: sign up, pay and pick up."),
            "lang": language,
            "dir": "ltr",
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "theme_color": colours["theme"],
            "background_color": colours["background"],
            "icons": [
                {"src": static(path), "sizes": f"{size}x{size}", "type": "image/png", "purpose": purpose}
                for path, size, purpose in MANIFEST_ICONS
            ],
        }
    response = JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """Shown by the service worker for a page it never saved, when the network is gone. Nothing personal on it:
    no header navigation, no user (it is cached for whoever uses the phone)."""
    language = _language(request)
    with translation.override(language):
        response = render(request, "core/offline.html", {"language": language})
    response["Content-Language"] = language
    return response


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico for browsers that ask for it without reading the page (images, JSON opened directly)."""
    return HttpResponseRedirect(static("icons/favicon.ico"))
