"""core.http.safe_next: a `next` that leaves this site falls back (issue 13 item 14)."""

import pytest
from django.test import RequestFactory


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/buys/12/", "/buys/12/"),
        ("/buys/12/?tab=refunds#r3", "/buys/12/?tab=refunds#r3"),
        ("//evil.example/x", "/fallback/"),
        ("https://evil.example/x", "/fallback/"),
        ("http://testserver/buys/", "/fallback/"),  # a plain-HTTP copy of an HTTPS site
        ("https://testserver/buys/", "https://testserver/buys/"),
        ("/\\evil.example", "/fallback/"),
        ("\\\\evil.example", "/fallback/"),
        ("javascript:alert(1)", "/fallback/"),
        (" //evil.example", "/fallback/"),
        ("", "/fallback/"),
        (None, "/fallback/"),
    ],
)
def test_safe_next_keeps_only_this_sites_addresses(settings, raw, expected):
    from core.http import safe_next

    settings.ALLOWED_HOSTS = ["testserver"]
    request = RequestFactory().post("/", {} if raw is None else {"next": raw}, secure=True)
    assert safe_next(request, "/fallback/") == expected
