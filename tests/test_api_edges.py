"""Inputs that once made the API answer 500, and the OpenAPI document's promises about errors and
media types: each is a 4xx naming the field now, and the document says so."""

from __future__ import annotations

from typing import Any

import pytest

from learnloop.incidents.models import Incident
from tests.conftest import World

HUGE = "9223372036854775808"


@pytest.fixture
def api(world: World) -> Any:
    return world.client_for(world.admin)


def fields_of(response: Any) -> set[str]:
    return {error["field"] for error in response.json()["detail"]}


@pytest.mark.parametrize(
    "url", ["/api/v1/incidents", "/api/v1/portal/narratives", "/api/v1/search"]
)
def test_an_offset_past_any_integer_is_refused_on_every_list(api: Any, url: str):
    answer = api.get(url, {"offset": HUGE, "q": "x"})
    assert answer.status_code == 422 and fields_of(answer) == {"offset"}


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/assignments/{HUGE}/invitation.ics",
        f"/api/v1/assignments/{HUGE}/interviews",
        f"/api/v1/publishing/channels/{HUGE}",
    ],
)
def test_an_identifier_past_any_integer_is_refused(api: Any, url: str):
    answer = api.get(url)
    assert answer.status_code in (405, 422), answer.content  # never a database error


def test_an_empty_team_or_service_means_none(api: Any, world: World):
    created = api.post(
        "/api/v1/incidents",
        {"title": "Blank team", "team": "", "service": ""},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["team"] is None and created.json()["service"] is None
    key = created.json()["key"]
    api.patch(f"/api/v1/incidents/{key}", {"team": "payments"}, content_type="application/json")
    cleared = api.patch(f"/api/v1/incidents/{key}", {"team": ""}, content_type="application/json")
    assert cleared.status_code == 200 and cleared.json()["team"] is None


@pytest.mark.parametrize(
    "moment",
    ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1899-12-31T23:59:59Z"],
)
def test_a_time_outside_the_stored_span_is_refused_with_its_field(api: Any, moment: str):
    answer = api.post(
        "/api/v1/incidents",
        {"title": "Long ago", "started_at": moment},
        content_type="application/json",
    )
    assert answer.status_code == 422 and fields_of(answer) == {"started_at"}
    assert "1900-01-01" in answer.content.decode()
    assert not Incident.objects.filter(title="Long ago").exists()


def test_the_document_declares_errors_and_media_types(api: Any):
    spec = api.get("/api/v1/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "403", "404"} <= codes, (method, path)
            if operation.get("parameters") or operation.get("requestBody"):
                assert "422" in codes, (method, path)
    ics = spec["paths"]["/api/v1/assignments/{pk}/invitation.ics"]["get"]["responses"]["200"]
    assert list(ics["content"]) == ["text/calendar"]
    narrative = spec["paths"]["/api/v1/incidents/{key}/narrative"]["get"]["responses"]["200"]
    published = spec["paths"]["/api/v1/portal/narratives/{key}"]["get"]["responses"]["200"]
    assert narrative["content"] != published["content"]  # two shapes, two names
    narratives = spec["components"]["schemas"]
    assert "current_revision" in narratives["NarrativeOut"]["properties"]
    assert "body_html" in narratives["PublishedNarrativeOut"]["properties"] or (
        narratives["PublishedNarrativeOut"] != narratives["NarrativeOut"]
    )
