"""core.pages, core.api, core.qr, core.admin: the one page/API kit every app uses."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.test import RequestFactory
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from core.api import valid
from core.errors import ApplicationError, Conflict, NotFound, PermissionRefused, ValidationFailed
from core.pages import form_refusal, page, refusal_flashed, refusal_on, refusal_status, render_form
from core.qr import qr_svg


class ThingForm(forms.Form):
    name = forms.CharField(max_length=20, help_text="Your name")
    qty = forms.CharField(max_length=5)


def _request(user=None, method="get"):
    request = getattr(RequestFactory(), method)("/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    if user is not None:
        request.user = user
    return request


def test_refusal_on_a_named_field_goes_on_that_field_and_keeps_the_code():
    form = ThingForm({"name": "a", "qty": "x"})
    assert form.is_valid()
    form_refusal(form, ValidationFailed("Bad quantity", code="invalid_quantity", detail={"field": "qty"}))
    assert form.errors == {"qty": ["Bad quantity"]}
    assert form.error_code == "invalid_quantity"
    assert form.refusal.code == "invalid_quantity"


def test_refusal_with_field_lists_goes_on_the_fields_and_a_plain_invalid_adds_no_summary():
    form = ThingForm({"name": "a", "qty": "1"})
    form.is_valid()
    form_refusal(form, ValidationFailed(detail={"name": ["Taken"], "nope": ["ignored"]}))
    assert form.errors == {"name": ["Taken"]}


def test_refusal_with_violations_lists_each_on_top():
    form = ThingForm()
    form_refusal(form, Conflict("x", code="late", detail={"violations": [{"message": "one"}, {"message": "two"}]}))
    assert form.non_field_errors() == ["one", "two"]


def test_refusal_without_detail_goes_on_top_of_an_unvalidated_form():
    form = ThingForm()
    form_refusal(form, PermissionRefused())
    assert form.non_field_errors() == ["You are not allowed to do this."]
    assert refusal_status([form]) == 403


def test_refusal_on_catches_only_application_errors():
    form = ThingForm({"name": "a", "qty": "1"})
    form.is_valid()
    with refusal_on(form):
        raise Conflict("Full", code="full")
    assert form.non_field_errors() == ["Full"]
    with pytest.raises(KeyError), refusal_on(form):
        raise KeyError("x")


def test_refusal_status_is_the_refusals_then_invalid_then_200():
    assert refusal_status([None]) == 200
    invalid = ThingForm({"name": ""})
    assert refusal_status([invalid]) == 200
    assert refusal_status([invalid], invalid=400) == 400
    refused = ThingForm()
    form_refusal(refused, Conflict("Full", code="full"))
    assert refusal_status([invalid, refused], invalid=400) == 409


def test_render_form_answers_with_the_refusals_status(db, rf):
    form = ThingForm({"name": "a", "qty": "1"})
    form.is_valid()
    form_refusal(form, Conflict("Full", code="full"))
    response = render_form(_request(), "core/_form.html", {"form": form}, form)
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-code="full"' in html
    assert 'role="alert"' in html
    assert '<label for="id_name">' in html
    assert 'id="id_name_helptext"' in html
    assert 'aria-describedby="id_name_helptext"' in html


def test_field_errors_are_linked_to_their_input(db):
    form = ThingForm({"name": "", "qty": "1"})
    form.is_valid()
    html = render_form(_request(), "core/_form.html", {"form": form}, form).content.decode()
    assert 'id="id_name_error"' in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_name_helptext id_name_error"' in html


def test_refusals_named_in_passes_propagate():
    form = ThingForm()
    with pytest.raises(PermissionRefused), refusal_on(form, passes=(PermissionRefused,)):
        raise PermissionRefused()
    assert not form.errors
    request = _request(method="post")
    with pytest.raises(PermissionRefused), refusal_flashed(request, passes=(PermissionRefused,)):
        raise PermissionRefused()
    assert list(get_messages(request)) == []


def test_refusal_flashed_becomes_a_message():
    request = _request(method="post")
    with refusal_flashed(request) as attempt:
        raise Conflict("Already closed", code="closed")
    assert attempt.refusal.code == "closed"
    assert [str(m) for m in get_messages(request)] == ["Already closed"]


def test_page_renders_a_coded_refusal_with_its_status(place):
    @page
    def view(request):
        raise NotFound()

    response = view(_request(place.resident.user))
    assert response.status_code == 404
    assert response["X-Error-Code"] == "not_found"
    html = response.content.decode()
    assert 'data-code="not_found"' in html
    assert 'href="/"' in html


def test_page_sends_anonymous_visitors_to_login(db):
    from django.contrib.auth.models import AnonymousUser

    @page
    def view(request):
        raise AssertionError("not reached")

    response = view(_request(AnonymousUser()))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


class QtyIn(serializers.Serializer):
    qty = serializers.IntegerField(min_value=1)


def test_valid_returns_a_plain_dict_and_refuses_bad_input():
    assert valid(QtyIn, {"qty": "3"}) == {"qty": 3}
    with pytest.raises(ValidationError):
        valid(QtyIn, {"qty": 0})


def test_qr_svg_is_inline_svg():
    assert qr_svg("https://example.com/#code=ABC").startswith("<svg")
    assert qr_svg("x", fast=True, scale=3).startswith("<svg")


def test_application_error_status_is_kept():
    assert ApplicationError().status_code == 400
