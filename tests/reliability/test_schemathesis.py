"""Issue 8, test 13: Schemathesis against /api/schema/, as a resident and as a team leader.

Every operation of the published OpenAPI schema gets a few generated requests (bodies, query strings and
path parameters from the schema), sent through the Django WSGI app with the role's API token; each case is
sent twice, once with the generated path parameters and once pointed at real objects of the world (so the
happy paths with data are exercised too). Every response must not be a 5xx and must match the schema
(status code documented or a coded error, body and content type as declared). Each request runs in a
savepoint rolled back afterwards, so the world stays the same. Bounded: MAX_EXAMPLES per operation.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.urls import resolve
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from knox.models import AuthToken
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from tests.reliability.test_permission_matrix import API_OPS
from tests.reliability.world import World

pytestmark = [pytest.mark.faults, pytest.mark.django_db]

MAX_EXAMPLES = 6
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
# Operations that only make sense anonymously (they mint tokens/accounts) are still fuzzed; throttled
# answers (429) are documented by the coded error format.
PATH_KWARGS = {(op.name, op.method): op.kwargs for op in API_OPS}


def _describe(label: str, path_parameters: dict, exc: BaseException) -> str:
    parts = getattr(exc, "exceptions", None) or [exc]
    titles = sorted({f"{type(p).__name__}: {str(p).strip().splitlines()[0][:120]}" for p in parts})
    detail = str(exc)[:1500]
    return f"{label} {path_parameters}: {'; '.join(titles)}\n{detail}"


def _real_path_parameters(world: World, operation, generated: dict) -> dict | None:
    try:
        match = resolve(re.sub(r"\{[^}]+\}", "1", operation.full_path))
    except Exception:  # noqa: BLE001 - not one of ours: keep the generated values
        return None
    kwargs = PATH_KWARGS.get((match.url_name, operation.method.upper()))
    if kwargs is None:
        return None
    real = kwargs(world)
    return {name: real.get(name, value) for name, value in generated.items()}


@pytest.fixture
def _keep_the_test_connection():
    """The WSGI app is called directly (not through Django's test client), so stop it closing the test's
    database connection at the end of each request, as the test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("_keep_the_test_connection")
@pytest.mark.parametrize("role", ["resident", "leader"])
def test_every_api_operation_answers_within_its_schema(place, other_place, settings, role):
    settings.LANGUAGE_CODE = "en"
    world = World(place, other_place)
    token = AuthToken.objects.create(user=world.users[role])[1]
    headers = {"Authorization": f"Token {token}", "Accept-Encoding": "identity"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    failures: list[str] = []

    def exercise(operation):
        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            variants = [dict(case.path_parameters or {})]
            real = _real_path_parameters(world, operation, variants[0]) if variants[0] else None
            if real:
                variants.append(real)
            for path_parameters in variants:
                case.path_parameters = path_parameters
                sid = transaction.savepoint()
                try:
                    # identity: the in-process WSGI transport does not undo GZipMiddleware's compression.
                    case.call_and_validate(headers=headers, checks=CHECKS)
                except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - FailureGroup is a BaseExceptionGroup
                    failures.append(_describe(operation.label, path_parameters, exc))
                finally:
                    transaction.savepoint_rollback(sid)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - reported below
            failures.append(_describe(operation.label, {}, exc))

    labels = []
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)
        exercise(operation)

    if os.environ.get("SCHEMATHESIS_DUMP"):
        Path(os.environ["SCHEMATHESIS_DUMP"]).write_text("\n\n".join(sorted(set(failures))))
    assert len(labels) >= 60  # the whole API was walked
    assert failures == [], "\n\n".join(sorted(set(failures))[:15])


def test_unknown_api_urls_answer_in_the_coded_json_and_pages_keep_the_html_404(client):
    response = client.get("/api/buys/-614/cancel/", HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")
