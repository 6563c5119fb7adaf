"""Request-size guard (refuse oversized bodies before anything reads them) and friendly error pages.

RequestSizeLimitMiddleware:

Django only reads as many body bytes as Content-Length announces (a body
without one is not read at all), so checking the header up front is enough to
keep a huge upload out of memory and temp files. A reverse proxy in front
should have the same cap (nginx ``client_max_body_size``) so the bytes are not
even received.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext as _

from core.error_pages import error_page, is_api
from core.errors import PayloadTooLarge


def _wants_json(request: HttpRequest) -> bool:
    if request.path.startswith("/api/"):
        return True
    accept = request.META.get("HTTP_ACCEPT", "")
    return "application/json" in accept and "text/html" not in accept


class RequestSizeLimitMiddleware:
    """413 with code ``request_too_large`` when Content-Length exceeds UPLOAD_MAX_REQUEST_BYTES."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.UPLOAD_MAX_REQUEST_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body for a malformed length either
        if limit and length > limit:
            return self.refuse(request, limit)
        return self.get_response(request)

    def refuse(self, request: HttpRequest, limit: int) -> HttpResponse:
        # LocaleMiddleware has not run yet: pick the language from the cookie / Accept-Language.
        language = translation.get_language_from_request(request)
        with translation.override(language):
            return self._refusal(request, limit, language)

    def _refusal(self, request: HttpRequest, limit: int, language: str) -> HttpResponse:
        mb = max(1, limit // (1024 * 1024))
        error = PayloadTooLarge(
            _("The request is too large. The limit is %(mb)s MB.") % {"mb": mb},
            code="request_too_large",
            detail={"max_bytes": limit},
        )
        if _wants_json(request):
            response: HttpResponse = JsonResponse(error.as_dict(), status=error.status_code)
        else:
            page = format_html(
                '<!DOCTYPE html><html lang="{}"><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                "<title>{}</title></head>"
                '<body style="font: 18px/1.5 sans-serif; margin: 1.5rem">'
                '<p class="error" data-code="{}">{}</p><p><a href="/">{}</a></p>'
                "</body></html>",
                language,
                _("Upload too large"),
                error.code,
                error.message,
                _("Home"),
            )
            response = HttpResponse(page, status=error.status_code, content_type="text/html; charset=utf-8")
        response["X-Error-Code"] = error.code
        return response


class FriendlyErrorPageMiddleware:
    """A bare 405 (``require_http_methods``) or a bare, empty 403 a view returned becomes the friendly
    error page (core.error_pages) for a page request, keeping the status and the ``Allow`` header.
    Under /api/ DRF already answers coded JSON; a bare one there becomes the coded JSON too.
    After AuthenticationMiddleware and LocaleMiddleware: the page draws the header in the visitor's language."""

    STATUSES = (403, 405)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code not in self.STATUSES or response.streaming or response.content:
            return response
        if is_api(request) and response.status_code == 403:
            return error_page(request, 403)
        friendly = error_page(request, response.status_code)
        if "Allow" in response:
            friendly["Allow"] = response["Allow"]
        return friendly
