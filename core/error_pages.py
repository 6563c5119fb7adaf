"""Friendly error pages (400, 403, 404, 405, 500) in the visitor's language, with the site header and a
way back; under /api/ the API's coded JSON instead, like every other API error.

Django calls the handlers named in config/urls.py (`handler400` …) and `CSRF_FAILURE_VIEW`; a bare 405
from `require_http_methods` (and a bare 403 a view returns) becomes the friendly page in
`core.middleware.FriendlyErrorPageMiddleware`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from core.errors import ApplicationError, NotFound, PermissionRefused

logger = logging.getLogger(__name__)

TEMPLATE = "core/http_error.html"

# Title and sentence per status, in both catalogues (tests/test_translations.py): what happened, and what to do.
_NOT_POSSIBLE = gettext_lazy("Not possible")
_STALE_PAGE = gettext_lazy("This page was open too long and has expired. Go back, reload it and try again.")
PAGES = {
    400: (_NOT_POSSIBLE, gettext_lazy("The request could not be carried out. Go back and try again.")),
    403: (_NOT_POSSIBLE, gettext_lazy("You are not allowed to do this.")),
    404: (
        gettext_lazy("Page not found"),
        gettext_lazy("This page does not exist or was removed. Check the link, or start again from the home page."),
    ),
    405: (
        gettext_lazy("Please go back"),
        gettext_lazy("This page cannot be opened this way. Go back to the page you came from and use its buttons."),
    ),
    500: (
        gettext_lazy("Something went wrong"),
        gettext_lazy("Something went wrong on our side and it has been recorded. Please try again in a moment."),
    ),
}
CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 500: "server_error"}


def is_api(request: HttpRequest) -> bool:
    """A request the API answers (coded JSON), not a page."""
    return request.path.startswith("/api/")


def api_error(status: int) -> JsonResponse:
    """The API's ``{"code", "message", "detail"}`` for a status Django answered itself."""
    exc: ApplicationError
    if status == 404:
        exc = NotFound()
    elif status == 403:
        exc = PermissionRefused()
    else:
        exc = ApplicationError(PAGES[status][1], code=CODES[status])
    response = JsonResponse(exc.as_dict(), status=status)
    response["X-Error-Code"] = exc.code
    return response


def error_page(request: HttpRequest, status: int, *, message: Any = None) -> HttpResponse:
    """The friendly page for `status` (one of PAGES), or `message` instead of the status's own;
    the API's JSON under /api/."""
    if is_api(request):
        return api_error(status)
    title, default = PAGES[status]
    context = {"status": status, "title": title, "message": message or default, "code": CODES[status]}
    html: str
    try:
        html = render_to_string(TEMPLATE, context, request=request)
    except Exception:  # noqa: BLE001 - the error page must answer even when the header cannot be drawn (DB down)
        logger.exception("error page %s could not be rendered; answering the plain one", status)
        html = plain_page(status)
    return HttpResponse(html, status=status, content_type="text/html; charset=utf-8")


def plain_page(status: int) -> str:
    """The error page without the site template (nothing but translations; no database, no URLs)."""
    title, message = PAGES[status]
    return format_html(
        '<!DOCTYPE html><html lang="{}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>{}</title></head>'
        '<body style="font: 18px/1.5 sans-serif; margin: 1.5rem"><h1>{}</h1><p>{}</p><p><a href="/">{}</a></p>'
        "</body></html>",
        get_language() or "zh-hans",
        title,
        title,
        message,
        _("Home"),
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400 (e.g. a disallowed Host, a malformed upload)."""
    return error_page(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403: PermissionDenied raised by a view."""
    return error_page(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: URLs nothing matches, and Http404 raised by a view."""
    return error_page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: never shows a stack trace (DEBUG is off wherever this handler runs)."""
    return error_page(request, 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: an expired or missing form token (a page left open, cookies off). `reason` is
    for the log only."""
    logger.warning("CSRF failure on %s: %s", request.path, reason)
    return error_page(request, 403, message=_STALE_PAGE)  # not "not allowed": the page is just stale
