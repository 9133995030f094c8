"""The API's own documentation works without the internet: Swagger UI comes from learnloop."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_render_with_no_request_leaving_the_machine(page: Any, live_server: Any):
    outside: list[str] = []

    def only_local(route: Any) -> None:
        host = urlsplit(route.request.url).hostname
        if host in ("localhost", "127.0.0.1"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.goto("/api/v1/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15000)
    assert "learnloop API" in page.inner_text(".swagger-ui .info .title")
    assert page.locator(".opblock").count() > 50  # every operation is listed
    assert outside == []


def test_the_api_root_points_to_its_docs(client: Any, db: Any):
    answer = client.get("/api/v1/")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
    found = answer.json()
    assert found["docs"].endswith("/api/v1/docs")
    assert found["openapi"].endswith("/api/v1/openapi.json")
    assert client.get(found["openapi"]).status_code == 200


def test_the_openapi_document_has_no_duplicated_keys(client: Any, db: Any):
    """Swagger UI reads the document as YAML, which refuses a key given twice (a declared 422
    beside the one every operation gets made "422" twice, and the docs page blank)."""
    import json

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), (
            f"duplicated: {sorted(k for k in keys if keys.count(k) > 1)}"
        )
        return dict(pairs)

    json.loads(client.get("/api/v1/openapi.json").content, object_pairs_hook=unique)
