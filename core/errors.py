"""One error family with stable codes, and the one DRF handler that renders it.

Services raise ApplicationError subclasses with a stable machine `code` and a
translated human `message`. The API renders {"code", "message", "detail"} with
the class's HTTP status; pages show the same message in the form.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_default_handler


class ApplicationError(Exception):
    """A refused action. Raising it must leave nothing changed (use transactions)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"
    default_message = _("The request could not be carried out.")

    def __init__(self, message: Any = None, *, code: str | None = None, detail: Any = None) -> None:
        self.code = code or self.default_code
        self.message = message if message is not None else self.default_message
        self.detail = detail
        super().__init__(str(self.message))

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self.message), "detail": self.detail}


class ValidationFailed(ApplicationError):
    default_code = "invalid"


class PermissionRefused(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "forbidden"
    default_message = _("You are not allowed to do this.")


class NotFound(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "not_found"
    default_message = _("Not found.")


class Conflict(ApplicationError):
    """The action is valid in general but not in the current state (closed, full, used)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class RateLimited(ApplicationError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "rate_limited"
    default_message = _("Too many attempts. Please wait a moment and try again.")


class PayloadTooLarge(ApplicationError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_message = _("The upload is too large.")


_DRF_CODES = {
    drf_exceptions.NotAuthenticated: "not_authenticated",
    drf_exceptions.AuthenticationFailed: "authentication_failed",
    drf_exceptions.PermissionDenied: "forbidden",
    drf_exceptions.NotFound: "not_found",
    drf_exceptions.MethodNotAllowed: "method_not_allowed",
    drf_exceptions.NotAcceptable: "not_acceptable",
    drf_exceptions.UnsupportedMediaType: "unsupported_media_type",
    drf_exceptions.Throttled: "rate_limited",
    drf_exceptions.ParseError: "parse_error",
    drf_exceptions.ValidationError: "invalid",
}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    response = drf_default_handler(exc, context)
    if response is None or not isinstance(exc, drf_exceptions.APIException):
        return response
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    if isinstance(exc, drf_exceptions.ValidationError):
        message = _("Some fields are not valid.")
        detail = response.data
    else:
        message = str(exc.detail) if not isinstance(exc.detail, list | dict) else str(exc.default_detail)
        detail = None
    response.data = {"code": code, "message": str(message), "detail": detail}
    return response
