"""Text neither database can store (a NUL character; a lone surrogate, which JSON carries as an
escape) is refused where it comes in, never passed to the database: PostgreSQL failed such
requests with a 500. For every operation of the API's own OpenAPI document: a NUL in a path
parameter is a 404, in a query parameter a 400 naming it, and in a string of a JSON body a 422
naming the field. Pages' addresses likewise."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from pydantic import ValidationError

from learnloop.accounts.models import ApiToken
from learnloop.api.urls import api
from tests.conftest import World

SCHEMA = api.get_openapi_schema()
OPERATIONS = [
    (method, path, operation)
    for path, methods in SCHEMA["paths"].items()
    for method, operation in methods.items()
]
BAD = {"NUL": "a\x00b", "lone surrogate": "a\ud800b"}


def _resolved(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _address(path: str, operation: dict[str, Any], bad_path: bool) -> str:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            kind = parameter.get("schema", {}).get("type")
            value = "1" if kind == "integer" or not bad_path else "a%00b"
            path = path.replace("{" + parameter["name"] + "}", value)
    return path


@pytest.fixture
def client(world: World) -> Client:
    _, raw = ApiToken.issue(world.admin, "unstorable")
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=lambda v: str(v)[:40])
def test_a_nul_in_an_address_is_refused_before_the_database(
    client: Client, method: str, path: str, operation: dict[str, Any]
) -> None:
    texts = [
        p for p in operation.get("parameters", []) if p.get("schema", {}).get("type") != "integer"
    ]
    if any(p["in"] == "path" for p in texts):
        answer = client.generic(method.upper(), _address(path, operation, bad_path=True))
        assert answer.status_code == 404
    for parameter in (p for p in texts if p["in"] == "query"):
        address = f"{_address(path, operation, False)}?{parameter['name']}=a%00b"
        answer = client.generic(method.upper(), address)
        assert answer.status_code == 400
        assert parameter["name"] in answer.content.decode()


def _strings(operation: dict[str, Any]) -> list[str]:
    """The body's top-level text fields."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    properties = _resolved(content["schema"]).get("properties", {}) if content else {}
    return [name for name, kind in properties.items() if _resolved(kind).get("type") == "string"]


BODIES = [(method, path, op) for method, path, op in OPERATIONS if _strings(op)]


def test_most_bodies_have_text_to_refuse() -> None:
    assert len(BODIES) >= 30


@pytest.mark.parametrize("kind", sorted(BAD))
@pytest.mark.parametrize(("method", "path", "operation"), BODIES, ids=lambda v: str(v)[:40])
def test_unstorable_text_in_a_body_is_a_422_naming_its_field(
    client: Client, method: str, path: str, operation: dict[str, Any], kind: str
) -> None:
    body = {name: BAD[kind] for name in _strings(operation)}
    answer = client.generic(
        method.upper(),
        _address(path, operation, bad_path=False),
        json.dumps(body),
        content_type="application/json",
    )
    assert answer.status_code == 422, answer.content
    # Every field is refused: for the unstorable text, or first for not being a choice.
    assert {error["field"] for error in answer.json()["detail"]} >= set(body)


PAGES = ["/incidents/INC-1%00/", "/incidents/?q=a%00b", "/portal/?q=%00"]


@pytest.mark.parametrize("address", PAGES)
def test_a_nul_in_a_page_s_address_is_refused(world: World, address: str) -> None:
    answer = world.client_for(world.member).get(address)
    assert answer.status_code in (400, 404)


def test_an_answer_carrying_a_nul_stored_earlier_is_still_written() -> None:
    """SQLite stored NULs before they were refused: reading such text back must not fail."""
    from learnloop.api.reviews import ContextNoteIn

    answer = {"response_status": 200}
    assert ContextNoteIn.model_validate({"text": "a\x00b"}, context=answer).text == "a\x00b"
    with pytest.raises(ValidationError):
        ContextNoteIn.model_validate({"text": "a\x00b"}, context={})
