"""Friendly error pages (issue 14): 400, 403, 404, 405, 500 in the visitor's language (zh-hans by
default, English on request), with the site header and a link home, no stack trace; /api/ stays JSON."""

import pytest
from django.conf import settings
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.error_urls")]


@pytest.fixture(autouse=True)
def _product_language_and_hosts(settings):
    settings.LANGUAGE_CODE = "zh-hans"  # the product default (the suite's settings use English)
    settings.ALLOWED_HOSTS = ["testserver"]  # so a foreign Host is a 400


ZH = {
    400: "请求无法执行，请返回后再试。",
    403: "您没有权限这样做。",
    404: "这个页面不存在或已被删除。请检查链接，或从首页重新开始。",
    405: "这个页面不能这样打开。请返回上一页，用页面上的按钮操作。",
    500: "我们这边出了问题，已经记录下来。请稍后再试。",
}
EN = {
    400: "The request could not be carried out. Go back and try again.",
    403: "You are not allowed to do this.",
    404: "This page does not exist or was removed. Check the link, or start again from the home page.",
    405: "This page cannot be opened this way. Go back to the page you came from and use its buttons.",
    500: "Something went wrong on our side and it has been recorded. Please try again in a moment.",
}


def _get(client, status, **extra):
    if status == 400:
        return client.get("/t/form/", HTTP_HOST="evil.example", **extra)  # a host not in ALLOWED_HOSTS
    path = {403: "/t/forbidden/", 404: "/no/such/page/", 405: "/t/post-only/", 500: "/t/broken/"}[status]
    return client.get(path, **extra)


def _client(lang=None):
    client = Client(raise_request_exception=False)
    if lang:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    return client


@pytest.mark.parametrize("status", [400, 403, 404, 405, 500])
def test_error_page_is_friendly_in_chinese_by_default(status):
    response = _get(_client(), status)
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert ZH[status] in html
    assert {400: "无法操作", 403: "无法操作", 404: "页面不存在", 405: "请返回上一页", 500: "出错了"}[
        status
    ] in html  # title
    assert "首页" in html  # "Home"
    assert 'class="topbar"' in html  # the site header
    assert 'href="/"' in html  # a way back
    assert "Traceback" not in html
    assert "secret stack detail" not in html


@pytest.mark.parametrize("status", [400, 403, 404, 405, 500])
def test_error_page_speaks_english_on_request(status):
    html = _get(_client("en"), status).content.decode()
    assert '<html lang="en">' in html
    assert EN[status] in html
    assert ">Home<" in html


def test_error_page_follows_accept_language():
    html = _client().get("/no/such/page/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8").content.decode()
    assert EN[404] in html


def test_405_keeps_the_allow_header():
    response = _client().get("/t/post-only/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_a_bare_403_becomes_the_friendly_page():
    response = _client().get("/t/bare-forbidden/")
    assert response.status_code == 403
    assert ZH[403] in response.content.decode()


def test_csrf_failure_is_the_friendly_403_with_a_hint():
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post("/t/form/", {"x": "1"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "This page was open too long and has expired. Go back, reload it and try again." in html  # not "not allowed"
    assert 'href="/"' in html


def test_error_page_for_a_signed_in_visitor_has_their_header(place):
    client = _client()
    client.force_login(place.resident.user)
    html = client.get("/no/such/page/").content.decode()
    assert ZH[404] in html
    assert "/accounts/logout/" in html


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/no/such/thing/", 404, "not_found"),
        ("/api/t/forbidden/", 403, "forbidden"),
        ("/api/t/broken/", 500, "server_error"),
    ],
)
def test_api_errors_stay_coded_json(path, status, code):
    response = _client().get(path)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == code
    assert "secret stack detail" not in response.content.decode()


def test_a_page_that_cannot_draw_its_header_still_answers(monkeypatch):
    from core import error_pages

    def boom(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(error_pages, "render_to_string", boom)
    response = _client("en").get("/no/such/page/")
    assert response.status_code == 404
    assert EN[404] in response.content.decode()
    assert 'href="/"' in response.content.decode()


def test_api_method_not_allowed_stays_coded_json(place):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(place.resident.user)
    response = client.get("/api/auth/token/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_a_real_page_answers_a_get_on_a_post_url_with_the_friendly_405(place):
    client = _client()
    client.force_login(place.committee.user)
    response = client.get("/compliance/suspensions/1/lift/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert ZH[405] in response.content.decode()
