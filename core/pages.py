"""The page kit: one `page` decorator and one way to show a service's coded refusal on a page.

Every page view is thin: parse the form, call one service, render. A service refuses by raising an
`ApplicationError` (core.errors) with a stable code, a translated message and an HTTP status. The page
shows that refusal in one of three ways, always with the error's status:

- outside any form (not found, another community, not allowed): let it propagate; `page` renders
  `core/refusal.html` with the message, `data-code` and the error's status;
- on a form the page re-renders: ``with refusal_on(form): ...`` records it on the form
  (`form_refusal`), then ``render_form(request, template, context, form)`` answers with its status;
- after a POST that redirects (a button in a list): ``with refusal_flashed(request): ...`` turns it
  into an error message shown on the next page.

    @require_http_methods(["GET", "POST"])
    @page
    def thing_edit(request, pk):
        form = ThingForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            with refusal_on(form):
                thing_update(actor=request.user, thing_id=pk, **form.cleaned_data)
                return redirect("app:thing", pk)
        return render_form(request, "app/thing_form.html", {"form": form}, form)

Templates show the form with ``{% include "core/_form.html" %}`` (or `core/_field.html` per field
and `core/_form_errors.html` for the refusal on top); the refusal carries ``data-code``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.errors import ApplicationError

View = Callable[..., HttpResponse]

REFUSAL_TEMPLATE = "core/refusal.html"


def refusal_page(
    request: HttpRequest, exc: ApplicationError, *, back_url: str | None = None, back_label: Any = None
) -> HttpResponse:
    """The coded refusal page (`core/refusal.html`) with the error's message, code and HTTP status.

    `back_url`/`back_label` name the way back; without them the page links home.
    """
    context = {"error": exc, "code": exc.code, "back_url": back_url, "back_label": back_label}
    response = render(request, REFUSAL_TEMPLATE, context, status=exc.status_code)
    response["X-Error-Code"] = exc.code
    return response


def public_page(view: View) -> View:
    """A page anyone may open: a coded refusal the view lets through becomes the refusal page with its status."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as exc:
            return refusal_page(request, exc)

    return wrapper


def page(view: View) -> View:
    """Login required (else the login page, then back); a coded refusal the view lets through
    (NotFound, PermissionRefused, Conflict, ...) becomes the refusal page with the error's status
    (404, 403, 409, ...) instead of a server error."""
    return login_required(public_page(view))


def form_refusal(form: forms.BaseForm, exc: ApplicationError) -> None:
    """Show a service's refusal on `form`, keeping what was typed.

    Where the error's detail names the form's fields (``{"field": "qty"}`` or ``{"qty": ["msg", ...]}``)
    the message goes on those fields, else on top; a list of ``{"message": ...}`` under
    ``detail["violations"]`` goes on top one by one. The form remembers the refusal
    (`form.refusal`, `form.error_code`) so `render_form` answers with its status and
    `core/_form_errors.html` can mark it with ``data-code``. Works on an unvalidated form too.
    """
    # Not validated (a GET, or refused before validation; a view may reset `_errors` to None to drop
    # the field errors and show the refusal alone): start with no errors, without running validation.
    if getattr(form, "_errors", None) is None:
        form._errors = ErrorDict()  # type: ignore[attr-defined]
        form.cleaned_data = {}
    form.refusal = exc  # type: ignore[attr-defined]
    form.error_code = exc.code  # type: ignore[attr-defined]
    form.application_error = exc  # type: ignore[attr-defined]  # the name groupbuy's templates read
    detail = exc.detail if isinstance(exc.detail, dict) else {}
    named = detail.get("field")
    if isinstance(named, str) and named in form.fields:
        form.add_error(named, str(exc.message))
        return
    violations = detail.get("violations")
    if isinstance(violations, list) and violations:
        for violation in violations:
            form.add_error(None, str(violation["message"]))
        return
    placed = False
    for name, msgs in detail.items():
        if name in form.fields and isinstance(msgs, list):
            for msg in msgs:
                form.add_error(name, str(msg))
            placed = True
    if not placed or exc.code != "invalid":  # a plain "fix the fields" summary adds nothing to field messages
        form.add_error(None, str(exc.message))


class refusal_on:  # noqa: N801 - used as a statement: `with refusal_on(form):`
    """``with refusal_on(form): <call the service; return the redirect>`` — a coded refusal raised in the
    block is put on `form` (`form_refusal`) and the code after the block runs (re-render the form).
    Only `ApplicationError` is caught; anything else propagates, and so do the kinds in `passes`
    (e.g. ``passes=(PermissionRefused,)``: not allowed at all is the 403 page from `page`, not a form message)."""

    def __init__(self, form: forms.BaseForm, *, passes: tuple[type[ApplicationError], ...] = ()) -> None:
        self.form = form
        self.passes = passes

    def __enter__(self) -> forms.BaseForm:
        return self.form

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        if isinstance(exc, ApplicationError) and not isinstance(exc, self.passes):
            form_refusal(self.form, exc)
            return True
        return False


class refusal_flashed:  # noqa: N801 - used as a statement: `with refusal_flashed(request):`
    """``with refusal_flashed(request): <call the service>`` then redirect — a coded refusal raised in the
    block becomes an error message on the next page (for buttons that post and redirect).
    `self.refusal` holds it afterwards (None when the block went through). The kinds in `passes`
    propagate (to `page`'s refusal page with their status), as in `refusal_on`."""

    def __init__(self, request: HttpRequest, *, passes: tuple[type[ApplicationError], ...] = ()) -> None:
        self.request = request
        self.passes = passes
        self.refusal: ApplicationError | None = None

    def __enter__(self) -> refusal_flashed:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        if isinstance(exc, ApplicationError) and not isinstance(exc, self.passes):
            self.refusal = exc
            messages.error(self.request, str(exc.message))
            return True
        return False


def refusal_status(forms_: Iterable[forms.BaseForm | None], *, invalid: int = 200) -> int:
    """The status a page re-rendering these forms answers: the first recorded refusal's status, else
    `invalid` when a bound form has errors (pages differ: some answer 400, some 200), else 200."""
    shown = [f for f in forms_ if f is not None]
    for form in shown:
        refusal = getattr(form, "refusal", None)
        if isinstance(refusal, ApplicationError):
            return refusal.status_code
    if any(f.is_bound and f.errors for f in shown):
        return invalid
    return 200


def render_form(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *forms_: forms.BaseForm | None,
    invalid: int = 200,
) -> HttpResponse:
    """Render `template` with the status of its forms (`refusal_status`): a refusal's own status, so a
    refused POST is never a 200."""
    return render(request, template, context, status=refusal_status(forms_, invalid=invalid))


CONFIRM_TEMPLATE = "core/confirm.html"


def confirm_first(
    request: HttpRequest,
    *,
    title: Any,
    consequence: Any,
    confirm_label: Any,
    back_url: str,
    back_label: Any = None,
) -> HttpResponse | None:
    """An action that cannot be undone asks first. A POST without ``confirm=yes`` answers the confirmation page
    (`core/confirm.html`, status 200, nothing changed) stating `consequence`; its button posts the same fields
    again to the same address with ``confirm=yes``. A confirmed POST returns None: the view then acts.

        require_buy_leader(request.user, buy)  # who may act is checked first: a refusal is never hidden
        if (asked := confirm_first(request, title=..., consequence=..., confirm_label=..., back_url=...)):
            return asked
        ...call the service...

    Works without script (a page of its own, like the withdrawal's). Uploaded files are not carried over."""
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        return None
    carried = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", "confirm")
        for value in values
    ]
    context = {
        "title": title,
        "consequence": consequence,
        "confirm_label": confirm_label,
        "back_url": back_url,
        "back_label": back_label,
        "action": request.get_full_path(),
        "carried": carried,
    }
    return render(request, CONFIRM_TEMPLATE, context)
