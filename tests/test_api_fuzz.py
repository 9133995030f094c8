"""The API never answers 5xx, and every answer's status code, content type and body conform to
its own OpenAPI document: schemathesis generates requests for every operation from that document
(a bounded number each, so the suite stays within minutes), with a token and without."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from learnloop.accounts.models import ApiToken
from tests.conftest import World

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 8


def _schema() -> Any:
    from learnloop.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


schema = _schema()


@pytest.fixture(autouse=True)
def one_connection() -> Iterator[None]:
    """The WSGI handler closes the database connection after each request; the test's
    transaction lives on that connection (Django's test client keeps it open the same way)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def token(world: World) -> str:
    _, raw = ApiToken.issue(world.admin, "fuzz")
    return raw


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_answers_every_generated_request_as_documented(case: Any, token: str) -> None:
    for headers in ({"Authorization": f"Bearer {token}"}, {}):
        case.call_and_validate(headers=headers, checks=CHECKS)
