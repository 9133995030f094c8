"""Every request the Slack and Confluence channels send validates against the vendors' own
descriptions in ../shared/contracts (read there at test time), and the local server's answers
have the documented shapes, so the end-to-end tests exercise the real contracts."""

from __future__ import annotations

import gzip
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from jsonschema import Draft4Validator

from learnloop.publishing import services
from learnloop.publishing.models import ChannelKind
from tests.conftest import SHARED, World
from tests.fake_publishing import BODY, SLACK_PATH, FakePublishing, Recorded, publish
from tests.test_delivery import an_incident, channel, due_now, work
from tests.test_tracker_contracts import body_validator, operation, parameters

CONTRACTS = SHARED / "contracts"


@pytest.fixture
def fake(settings) -> Iterator[FakePublishing]:
    settings.ALLOW_PRIVATE_DESTINATIONS = True
    settings.HTTP_TIMEOUT = 2.0
    server = FakePublishing()
    yield server
    server.close()


@cache
def slack_contract() -> dict[str, Any]:
    path = CONTRACTS / "slack" / "incoming-webhook.contract.json"
    assert path.exists(), f"{path} is missing: contract tests read ../shared/contracts"
    return dict(json.loads(path.read_text()))


def _text(kind: str, limit: int) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", "text"],
        "properties": {
            "type": {"enum": [kind] if kind else ["plain_text", "mrkdwn"]},
            "text": {"type": "string", "minLength": 1, "maxLength": limit},
            "emoji": {"type": "boolean"},
            "verbatim": {"type": "boolean"},
        },
        "additionalProperties": False,
    }


# Block Kit's documented rules for the blocks learnloop uses (types and limits as Slack's
# @slack/types describes them, named in the contract file): a message of at most 50 blocks;
# a header's plain text up to 150 characters; a section's text up to 3000 and at most 10 fields
# of up to 2000; actions with up to 25 elements; a button's label up to 75 and URL up to 3000;
# context with up to 10 elements.
BLOCK_KIT = {
    "type": "array",
    "maxItems": 50,
    "items": {
        "oneOf": [
            {
                "type": "object",
                "required": ["type", "text"],
                "properties": {
                    "type": {"enum": ["header"]},
                    "text": _text("plain_text", 150),
                    "block_id": {"type": "string", "maxLength": 255},
                },
                "additionalProperties": False,
            },
            {
                "type": "object",
                "required": ["type"],
                "anyOf": [{"required": ["text"]}, {"required": ["fields"]}],
                "properties": {
                    "type": {"enum": ["section"]},
                    "text": _text("", 3000),
                    "fields": {"type": "array", "maxItems": 10, "items": _text("", 2000)},
                    "block_id": {"type": "string", "maxLength": 255},
                },
                "additionalProperties": False,
            },
            {
                "type": "object",
                "required": ["type", "elements"],
                "properties": {
                    "type": {"enum": ["actions"]},
                    "elements": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": 25,
                        "items": {
                            "type": "object",
                            "required": ["type", "text"],
                            "properties": {
                                "type": {"enum": ["button"]},
                                "text": _text("plain_text", 75),
                                "url": {
                                    "type": "string",
                                    "maxLength": 3000,
                                    "pattern": "^https?://",
                                },
                                "action_id": {"type": "string", "maxLength": 255},
                                "style": {"enum": ["primary", "danger"]},
                            },
                            "additionalProperties": False,
                        },
                    },
                },
                "additionalProperties": False,
            },
            {
                "type": "object",
                "required": ["type", "elements"],
                "properties": {
                    "type": {"enum": ["context"]},
                    "elements": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": 10,
                        "items": _text("", 3000),
                    },
                },
                "additionalProperties": False,
            },
        ]
    },
}


def slack_requests(world: World, fake: FakePublishing) -> list[Recorded]:
    made = channel(world, ChannelKind.SLACK, fake)
    services.send_test(made, "Ada Admin")
    long = an_incident(world, "A title far longer than any header may be " * 6)
    publish(long, BODY * 20)
    publish(an_incident(world), "No summary heading here & <b>markup</b>.")
    work()
    return [r for r in fake.state.requests if r.path == SLACK_PATH]


def test_every_slack_message_follows_the_webhook_contract(world: World, fake):
    contract = slack_contract()
    requests = slack_requests(world, fake)
    assert len(requests) == 3
    allowed = set(contract["request"]["body_fields"])
    blocks = Draft4Validator(BLOCK_KIT)
    for request in requests:
        assert request.method == contract["request"]["method"]
        assert request.headers["Content-Type"] == contract["request"]["content_type"]
        assert set(request.body) <= allowed, set(request.body) - allowed
        assert isinstance(request.body["text"], str) and request.body["text"]  # the fallback
        errors = list(blocks.iter_errors(request.body["blocks"]))
        assert not errors, errors[0].message


def test_the_local_slack_answers_as_the_contract_documents():
    documented = {(r["status"], r["body"]) for r in slack_contract()["responses"]}
    assert {(200, "ok"), (400, "invalid_payload"), (410, "channel_is_archived")} <= documented
    assert any(
        r["status"] == 429 and "retry-after" in r.get("headers", {})
        for r in slack_contract()["responses"]
    )


@cache
def confluence_spec(kind: str) -> dict[str, Any]:
    if kind == ChannelKind.CONFLUENCE_CLOUD:
        path = CONTRACTS / "confluence-cloud-v2.excerpt.openapi.json"
        assert path.exists(), f"{path} is missing: contract tests read ../shared/contracts"
        document = dict(json.loads(path.read_text()))
        # The only leniency: a page body may be given as {representation, value} or nested
        # under its format; the description says "oneOf" of two object schemas that require
        # nothing, so any object matches both and strict oneOf would refuse every body. It is
        # checked as anyOf: it must still match one of the two shapes.
        for name in ("PageCreateRequest", "PageUpdateRequest"):
            schema = document["components"]["requestBodies"][name]["content"]["application/json"]
            body = schema["schema"]["properties"]["body"]
            body["anyOf"] = body.pop("oneOf")
        return document
    # Data Center: the whole description, since the excerpt leaves out the search by title
    # (GET /rest/api/content?spaceKey=&title=) that find-before-create needs.
    path = CONTRACTS / "confluence-datacenter-10.0.3.full.openapi.json.gz"
    assert path.exists(), f"{path} is missing: contract tests read ../shared/contracts"
    return dict(json.loads(gzip.decompress(path.read_bytes())))


PREFIX = {ChannelKind.CONFLUENCE_CLOUD: "/wiki/api/v2", ChannelKind.CONFLUENCE_DC: "/dc"}


def confluence_requests(world: World, fake: FakePublishing, kind: str) -> list[Recorded]:
    """A test, a page created (with a lost answer, so find runs), then updated."""
    made = channel(world, kind, fake, parent_id="42")
    assert services.send_test(made, "Ada Admin"), made.last_test
    incident = an_incident(world)
    fake.state.faults = ["drop"]
    publish(incident, BODY)
    work()
    due_now()
    work()
    publish(incident, BODY + "\n## Learned\n\nA lot.\n", title="Card declines, revised")
    work()
    return [r for r in fake.state.requests if r.path.startswith(PREFIX[kind])]


@pytest.mark.parametrize("kind", [ChannelKind.CONFLUENCE_CLOUD, ChannelKind.CONFLUENCE_DC])
def test_every_confluence_request_matches_the_vendor_description(world: World, fake, kind):
    document = confluence_spec(kind)
    requests = confluence_requests(world, fake, kind)
    methods = {(r.method, r.path.rsplit("/", 1)[-1].isdigit()) for r in requests}
    assert {("GET", False), ("POST", False), ("PUT", True)} <= methods
    for request in requests:
        path = request.path.removeprefix(PREFIX[kind])
        op = operation(document, path, request.method)
        documented = {p.get("name") for p in parameters(document, op)}
        unknown = set(request.query) - documented
        assert not unknown, f"{request.method} {path}: undocumented parameters {unknown}"
        body = op.get("requestBody", {})
        if "$ref" in body:
            body = document["components"]["requestBodies"][body["$ref"].split("/")[-1]]
        content = body.get("content", {}).get("application/json")
        if request.body is not None:
            assert content, f"{request.method} {path} sends a body the vendor does not take"
            errors = list(body_validator(document, content["schema"]).iter_errors(request.body))
            assert not errors, f"{request.method} {path}: {errors[0].message}"
    pages = [r for r in requests if r.method in ("POST", "PUT")]
    for request in pages:
        storage = request.body["body"]
        value = storage["value"] if "value" in storage else storage["storage"]["value"]
        ET.fromstring(f"<page>{value}</page>")  # noqa: S314 - our own output: well-formed XHTML
    assert len(fake.state.pages) == 1  # a changed title still updates the same page


@pytest.mark.parametrize(
    ("kind", "path", "method", "answer"),
    [
        (ChannelKind.CONFLUENCE_CLOUD, "/pages", "post", "cloud"),
        (ChannelKind.CONFLUENCE_CLOUD, "/pages/{id}", "put", "cloud"),
        (ChannelKind.CONFLUENCE_DC, "/rest/api/content", "post", "dc"),
        (ChannelKind.CONFLUENCE_DC, "/rest/api/content/{contentId}", "put", "dc"),
    ],
)
def test_the_local_confluence_answers_in_the_vendors_shape(
    world: World, fake: FakePublishing, kind, path, method, answer
):
    from tests.fake_publishing import Handler

    document = confluence_spec(kind)
    fake.state.pages["100"] = {
        "space": "ENG",
        "title": "T",
        "body": "<p/>",
        "parent": "",
        "version": 3,
        "message": "m",
    }
    handler = Handler.__new__(Handler)
    handler.state, handler.base = fake.state, fake.base
    sample = handler._cloud_page("100") if answer == "cloud" else handler._dc_page("100")
    responses = document["paths"][path][method]["responses"]
    ok = next(v for k, v in responses.items() if k.startswith("2"))
    schema = ok["content"]["application/json"]["schema"]
    assert not list(body_validator(document, schema).iter_errors(sample))
