"""One rights rule, tested exhaustively: every page (every URL pattern) and every API operation
(every path and method of the OpenAPI document) is asked by a person in every role, and what it
answers is checked against the table below: which roles it serves, and which private things
(tests/rights_scene.py: a private and a shared interview note, an analyst's key event, a draft
report, a narrative draft, a saved secret) each role may read in any answer. A page or operation
that is not in the table fails the test, so a new endpoint cannot arrive without its rule.

Writes are sent with a body that passes validation where the document describes one (or an empty
form), inside a transaction that is rolled back: a role the table refuses must be refused (401,
403, 404, or the login page), a role it serves must get past the rights check (any other
answer, a form's errors included).

Set RIGHTS_DISCOVER=1 to print what the application answers now, in the table's format."""

from __future__ import annotations

import functools
import json
import os
import re
from typing import Any
from uuid import uuid4

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from learnloop.api.urls import api
from tests.conftest import World
from tests.rights_scene import (
    CANARIES,
    CHAT_MESSAGE,
    DRAFT_REPORT,
    FINDS_KEY_EVENT,
    KEY_EVENT,
    NARRATIVE_DRAFT,
    PRIVATE_NOTE,
    ROLES,
    SECRET,
    SHARED_NOTE,
    Scene,
    build,
    values,
)

# Role groups, to keep the table readable.
MEMBERS = "admin problem_manager team_pm other_pm analyst other_analyst interviewee member"
MANAGERS = "admin problem_manager team_pm"
NOBODY = ""

# Who may read each private thing, wherever it appears.
READERS = {
    PRIVATE_NOTE: "analyst interviewee",
    SHARED_NOTE: f"{MANAGERS} analyst",
    KEY_EVENT: f"{MANAGERS} analyst",
    DRAFT_REPORT: f"{MANAGERS} analyst",
    NARRATIVE_DRAFT: f"{MANAGERS} analyst",
    SECRET: NOBODY,
    CHAT_MESSAGE: f"{MANAGERS} analyst",
}


def table(text: str) -> dict[str, str]:
    """Lines "PAGE-OR-OPERATION = ROLES  # why", role groups expanded."""
    rows: dict[str, str] = {}
    for line in text.strip().splitlines():
        where, _, roles = line.partition("#")[0].partition(" = ")
        rows[where.strip()] = " ".join(
            {"MEMBERS": MEMBERS, "MANAGERS": MANAGERS, "NOBODY": ""}.get(r, r)
            for r in roles.split()
        )
    return rows


@functools.cache
def openapi() -> dict[str, Any]:
    """Built once: building the document takes longer than most requests."""
    return dict(api.get_openapi_schema())


def routes() -> list[str]:
    def walk(resolver: URLResolver, prefix: str) -> list[str]:
        found: list[str] = []
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                found += walk(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                found.append(prefix + str(entry.pattern))
        return found

    every = walk(get_resolver(), "")
    # The API's operations have a table of their own; its root is a plain page.
    return [r for r in every if not r.startswith(("api/", "admin/")) or r == "api/v1/"]


def operations() -> list[str]:
    spec = openapi()
    return [f"{m.upper()} {p}" for p, ops in spec["paths"].items() for m in ops]


# Routes whose parameters name something other than the incident under analysis.
PAGE_PARAMETERS: dict[str, Any] = {
    "analysis/<int:pk>": lambda scene: {"pk": scene.assignment.pk},
    "interviews/": lambda scene: {"pk": scene.private_interview.pk},
    "reviews/": lambda scene: {"pk": scene.review.pk},
    "publishing/channels/": lambda scene: {"pk": scene.channel.pk},
    "deliveries/": lambda scene: {"uid": scene.delivery.uid},
    "themes/<slug:slug>": lambda scene: {"slug": scene.theme.slug},
    "settings/people/": lambda scene: {"pk": scene.world.alice.memberships.get().pk},
    "settings/intake/<int:pk>": lambda scene: {"pk": scene.intake.pk},
    "settings/events/<int:pk>": lambda scene: {"pk": scene.subscription.pk},
    "analysis/<int:pk>/candidates/": lambda scene: {
        "pk": scene.assignment.pk,
        "uid": scene.candidate.uid,
    },
    "settings/intake/deliveries/": lambda scene: {"pk": scene.intake_delivery.pk},
    "account/password/choose/": lambda scene: {"uidb64": "MQ", "token": "used-or-expired"},
    "narratives/<slug:key>": lambda scene: {
        "key": scene.published.key,
        "uid": scene.walkthrough.uid,
    },
}


def page_url(route: str, scene: Scene) -> str:
    given = values(scene)
    for prefix, parameters in PAGE_PARAMETERS.items():
        if route.startswith(prefix):
            given.update(parameters(scene))
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(given[m.group(1)]), route)


def api_url(path: str, scene: Scene) -> str:
    given = values(scene)
    given.update(
        pk=scene.assignment.pk,
        email=scene.world.alice.email,
        note_uid=scene.note.uid,
        factor_uid=scene.factor.uid,
        learning_uid=scene.learning.uid,
        from_version=1,
        to_version=1,
    )
    if path.startswith("/api/v1/interviews/"):
        given["pk"] = scene.private_interview.pk
    if path.startswith("/api/v1/reviews/"):
        given["uid"] = scene.review.uid
    if path.startswith(("/api/v1/portal/", "/api/v1/narratives/")):
        given["key"] = scene.published.key
    if path.startswith("/api/v1/portal/narratives/{key}/walkthroughs/"):
        given["uid"] = scene.walkthrough.uid
    if path.startswith("/api/v1/deliveries/"):
        given["uid"] = scene.delivery.uid
    if "/timeline-candidates/" in path:
        given["uid"] = scene.candidate.uid
    given["person_id"] = scene.world.alice.memberships.get().pk
    return re.sub(r"\{(\w+)\}", lambda m: str(given[m.group(1)]), path)


def example(schema: dict[str, Any], spec: dict[str, Any]) -> Any:
    """A value that satisfies the schema's required parts, to get past validation."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return example(spec["components"]["schemas"][name], spec)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return example(options[0], spec)
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            name: example(schema["properties"][name], spec) for name in schema.get("required", [])
        }
    if kind == "array":
        return []
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    formats = {
        "date-time": "2026-11-30T10:00:00Z",
        "date": "2026-11-30",
        "email": "alice@acme.test",
        "uuid": str(uuid4()),
    }
    return formats.get(schema.get("format", ""), "x")


def body_for(operation: str) -> dict[str, Any] | None:
    method, path = operation.split(" ", 1)
    spec = openapi()
    described = spec["paths"][path][method.lower()].get("requestBody")
    if not described:
        return None
    content = described["content"]
    media = content.get("application/json") or next(iter(content.values()))
    return dict(example(media["schema"], spec))


def query_for(operation: str) -> dict[str, Any]:
    """Required query parameters, with example values; search looks for the key event."""
    method, path = operation.split(" ", 1)
    spec = openapi()
    parameters = spec["paths"][path][method.lower()].get("parameters", [])
    query = {
        p["name"]: example(p.get("schema", {}), spec)
        for p in parameters
        if p["in"] == "query" and p.get("required")
    }
    return {**query, "q": FINDS_KEY_EVENT} if path == "/api/v1/search" else query


# Bodies that must name existing things to get past validation to the rights check.
BODIES = {
    "POST /api/v1/teams/{slug}/backlog/placements": lambda scene: {
        "kind": "action",
        "id": scene.action.pk,
        "rank": 1,
    },
}


def verdict(response: Any) -> str:
    """served: the rights check let the request through; refused: it did not."""
    if response.status_code in (401, 403, 404):
        return "refused"
    if response.status_code in (301, 302) and "/login/" in response.get("Location", ""):
        return "refused"
    return "served"


def shown(response: Any) -> set[str]:
    text = response.content.decode(errors="replace") if hasattr(response, "content") else ""
    return {canary for canary in CANARIES if canary in text}


# Query strings that make a page show what it can: search for the analyst's key event.
PAGE_QUERIES = {"search/": {"q": FINDS_KEY_EVENT}}


def ask_page(scene: Scene, route: str, method: str, role: str) -> Any:
    client = scene.client(role)
    url = page_url(route, scene)
    if method == "GET":
        return client.get(url, PAGE_QUERIES.get(route, {}))
    with transaction.atomic():
        response = client.post(url, {})
        transaction.set_rollback(True)
    return response


# Operations that take a form with a file: what passes validation, sent as multipart.
UPLOADS = {
    "POST /api/v1/incidents/{key}/chat-imports": lambda scene: {
        "file": SimpleUploadedFile("export.zip", b"not a zip"),
        "channel": "inc",
    },
}


def ask_api(scene: Scene, operation: str, role: str) -> Any:
    method, path = operation.split(" ", 1)
    client = scene.client("anonymous")
    url = api_url(path, scene)
    headers = scene.api_headers(role)
    if method == "GET":
        return client.get(url, query_for(operation), **headers)
    if operation in UPLOADS:
        with transaction.atomic():
            response = client.post(url, UPLOADS[operation](scene), **headers)
            transaction.set_rollback(True)
        return response
    body = BODIES[operation](scene) if operation in BODIES else body_for(operation)
    with transaction.atomic():
        response = client.generic(
            method,
            url,
            data=b"" if body is None else json.dumps(body),
            content_type="application/json",
            **headers,
        )
        transaction.set_rollback(True)
    return response


def page_methods(scene: Scene, route: str) -> list[str]:
    """GET, or POST for routes that only take writes."""
    answer = scene.client("admin").get(page_url(route, scene))
    return ["POST"] if answer.status_code == 405 else ["GET"]


@pytest.fixture
def scene(world: World) -> Scene:
    return build(world)


def test_every_page_and_operation_is_in_the_table():
    pages = ["/" + r for r in routes()]
    missing = [p for p in pages if p not in PAGES] + [o for o in operations() if o not in API]
    assert not missing, f"no rights rule for: {missing}"
    stale = [p for p in PAGES if p not in pages] + [o for o in API if o not in operations()]
    assert not stale, f"rules for pages or operations that no longer exist: {stale}"


def check(answers: dict[str, Any], expected: str, where: str) -> list[str]:
    problems = []
    allowed = set(expected.split())
    for role, response in answers.items():
        got = verdict(response)
        want = "served" if role in allowed else "refused"
        if got != want:
            problems.append(f"{where}: {role} {got} ({response.status_code}), expected {want}")
        for canary in shown(response):
            if role not in READERS[canary].split():
                problems.append(f"{where}: {role} was shown {canary}")
    return problems


def test_every_page_answers_each_role_as_the_table_says(scene: Scene):
    problems: list[str] = []
    discovered: list[str] = []
    for route in routes():
        if PAGES.get("/" + route) == BY_TOKEN:
            continue  # addressed by a token or a signature, not a role: see the tests below
        for method in page_methods(scene, route):
            answers = {role: ask_page(scene, route, method, role) for role in ROLES}
            served = [r for r, a in answers.items() if verdict(a) == "served"]
            discovered.append(f"    /{route} = {' '.join(served) or 'NOBODY'}")
            problems += check(answers, PAGES.get("/" + route, ""), f"{method} /{route}")
    if os.environ.get("RIGHTS_DISCOVER"):
        with open(os.environ["RIGHTS_DISCOVER"], "a") as out:
            out.write("\n".join(discovered) + "\n" + "\n".join(problems) + "\n")
    assert not problems, "\n".join(problems)


def test_every_api_operation_answers_each_role_as_the_table_says(scene: Scene):
    problems: list[str] = []
    discovered: list[str] = []
    for operation in operations():
        answers = {role: ask_api(scene, operation, role) for role in ROLES}
        served = [r for r, a in answers.items() if verdict(a) == "served"]
        discovered.append(f"    {operation} = {' '.join(served) or 'NOBODY'}")
        problems += check(answers, API.get(operation, ""), operation)
    if os.environ.get("RIGHTS_DISCOVER"):
        with open(os.environ["RIGHTS_DISCOVER"], "a") as out:
            out.write("\n".join(discovered) + "\n" + "\n".join(problems) + "\n")
    assert not problems, "\n".join(problems)


BY_TOKEN = "by-token"
# Every page: the roles it serves (GET, or POST for pages that only take writes).
PAGES = table(
    """
    /login/ = MEMBERS outsider revoked_token anonymous
    /api/v1/ = MEMBERS outsider revoked_token anonymous  # where the API is described
    /logout/ = NOBODY  # ends the session: every answer is the login page
    /oidc/authenticate/ = NOBODY  # single sign-on is off in this scene: tests/test_sso.py
    /oidc/callback/ = NOBODY  # back from the provider: only with its code and state
    /oidc/logout/ = NOBODY  # ends the session, as /logout/
    /account/password/ = MEMBERS outsider
    /account/password/done/ = MEMBERS outsider
    / = MEMBERS outsider
    /account/ = MEMBERS outsider
    /account/calendar/reset/ = MEMBERS outsider
    /account/tokens/ = MEMBERS outsider
    /account/tokens/<int:token_id>/revoke/ = admin
    /settings/policy/ = admin outsider
    /settings/sign-in-locks/ = admin outsider
    /settings/audit/ = admin outsider
    /settings/ = admin outsider
    /settings/teams/ = admin outsider
    /settings/people/ = admin outsider
    /settings/people/<int:pk>/ = admin
    /intake/<str:token>/ = by-token  # signed by the alerting tool: tests/test_intake.py
    /analysis/<int:pk>/chat-import/ = MANAGERS analyst
    /analysis/<int:pk>/candidates/<uuid:uid>/promote/ = analyst
    /analysis/<int:pk>/candidates/<uuid:uid>/dismiss/ = analyst
    /settings/events/ = admin outsider
    /settings/events/<int:pk>/ = admin
    /settings/intake/ = admin outsider
    /settings/intake/<int:pk>/ = admin
    /settings/intake/deliveries/<int:pk>/ = admin
    /settings/intake/deliveries/<int:pk>/replay/ = admin
    /account/password/choose/<uidb64>/<token>/ = MEMBERS outsider revoked_token anonymous
    /account/password/chosen/ = MEMBERS outsider revoked_token anonymous
    /incidents/ = MEMBERS outsider
    /incidents/new/ = MANAGERS other_pm analyst other_analyst interviewee outsider
    /incidents/<slug:key>/ = MEMBERS
    /incidents/<slug:key>/edit/ = MANAGERS analyst
    /incidents/<slug:key>/similar/ = MEMBERS
    /incidents/<slug:key>/decide/ = MANAGERS
    /incidents/<slug:key>/responders/ = MANAGERS
    /analysis/ = MEMBERS outsider
    /analysis/<int:pk>/ = MANAGERS analyst
    /analysis/<int:pk>/schedule/ = MANAGERS
    /analysis/<int:pk>/invitation.ics = MANAGERS analyst
    /analysis/<int:pk>/interviews/ = analyst
    /analysis/<int:pk>/key-events/ = analyst
    /analysis/<int:pk>/time/ = analyst
    /analysis/<int:pk>/report/ = analyst
    /interviews/<int:pk>/ = analyst interviewee
    /interviews/<int:pk>/share/ = analyst
    /incidents/<slug:key>/analysts/ = MANAGERS
    /themes/ = MEMBERS outsider
    /names/<str:kind>/ = MEMBERS outsider  # a filter's suggestions, of the viewer's organisation
    /names/person/ = MANAGERS other_pm analyst other_analyst interviewee outsider  # who name people
    /actions/<uuid:uid>/ = MEMBERS
    /actions/<uuid:uid>/status/ = MANAGERS analyst
    /actions/<uuid:uid>/edit/ = MANAGERS analyst
    /incidents/<slug:key>/actions/new/ = MANAGERS analyst
    /teams/<slug:slug>/backlog/ = MEMBERS
    /teams/<slug:slug>/backlog/place/ = MANAGERS
    /teams/<slug:slug>/tracker/ = MANAGERS
    /actions/<uuid:uid>/push/ = MANAGERS analyst
    /teams/<slug:slug>/costs/ = MANAGERS
    /settings/costs/ = admin outsider
    /costs/ = admin problem_manager outsider
    /measures/ = MEMBERS outsider
    /search/ = MEMBERS outsider
    /themes/<slug:slug>/ = MEMBERS
    /incidents/<slug:key>/review/schedule/ = MANAGERS
    /reviews/<int:pk>/ = MANAGERS analyst
    /reviews/<int:pk>/invitation.ics = MANAGERS analyst
    /reviews/<int:pk>/timeline/ = MANAGERS analyst
    /reviews/<int:pk>/facilitate/ = MANAGERS
    /reviews/<int:pk>/facilitate/move/ = MANAGERS
    /reviews/<int:pk>/live/ = MANAGERS analyst
    /reviews/<int:pk>/remind/ = MANAGERS
    /reviews/<int:pk>/mail/send-again/ = MANAGERS
    /reviews/<int:pk>/invitees/ = MANAGERS
    /reviews/<int:pk>/invitees/<int:user_id>/remove/ = MANAGERS
    /reviews/<int:pk>/reports/ = MANAGERS analyst
    /reviews/<int:pk>/understanding/ = MANAGERS analyst
    /reviews/<int:pk>/perspectives/ = MANAGERS analyst
    /reviews/<int:pk>/factors/ = MANAGERS analyst
    /reviews/<int:pk>/learnings/ = MANAGERS analyst
    /reviews/<int:pk>/narrative/ = MANAGERS analyst
    /reviews/<int:pk>/notes/ = MANAGERS
    /reviews/<int:pk>/notes/form/ = MANAGERS
    /reviews/<int:pk>/factors/form/ = MANAGERS analyst
    /reviews/<int:pk>/notes/<int:note_id>/remove/ = MANAGERS
    /reviews/<int:pk>/factors/add/ = MANAGERS analyst
    /reviews/<int:pk>/factors/<int:factor_id>/ = MANAGERS analyst
    /reviews/<int:pk>/factors/<int:factor_id>/remove/ = MANAGERS analyst
    /reviews/<int:pk>/learnings/add/ = MANAGERS analyst
    /reviews/<int:pk>/learnings/<int:learning_id>/vote/ = MANAGERS analyst
    /reviews/<int:pk>/learnings/<int:learning_id>/unvote/ = MANAGERS analyst
    /reviews/<int:pk>/learnings/<int:learning_id>/action/ = MANAGERS analyst
    /incidents/<slug:key>/narrative/ = MANAGERS analyst
    /incidents/<slug:key>/narrative/generate/ = MANAGERS analyst
    /incidents/<slug:key>/narrative/preview/ = MANAGERS analyst
    /incidents/<slug:key>/narrative/history/ = MANAGERS analyst
    /incidents/<slug:key>/narrative/versions/<int:number>/ = MANAGERS analyst
    /incidents/<slug:key>/narrative/diff/ = MANAGERS analyst
    /incidents/<slug:key>/narrative/status/ = MANAGERS analyst
    /incidents/<slug:key>/narrative/publish/ = MANAGERS
    /narratives/ = MEMBERS outsider
    /narratives/<slug:key>/ = MEMBERS
    /narratives/<slug:key>/present/ = MEMBERS
    /narratives/<slug:key>/walkthroughs/new/ = MANAGERS analyst
    /narratives/<slug:key>/walkthroughs/<uuid:uid>/ = MEMBERS
    /narratives/<slug:key>/walkthroughs/<uuid:uid>/invitation.ics = NOBODY
    /organisation/publishing/ = admin outsider
    /teams/<slug:slug>/publishing/ = MANAGERS
    /publishing/channels/<int:pk>/ = MANAGERS
    /publishing/channels/<int:pk>/delete/ = MANAGERS
    /publishing/channels/<int:pk>/test/ = MANAGERS
    /narratives/<slug:key>/deliveries/ = MANAGERS analyst
    /deliveries/<uuid:uid>/send-again/ = MANAGERS analyst
    /calendar/<str:token>.ics = by-token
    /feeds/<str:token>/narratives.atom = by-token
    /feeds/<str:token>/teams/<slug:team>/narratives.atom = by-token
    /trackers/webhooks/<slug:org>/<slug:slug>/ = by-token
"""
)

# Every API operation: the roles it serves. The outsider is an admin of another organisation:
# lists and writes that are about the caller's own organisation serve them too (with nothing of
# this one in them).
API = table(
    """
    GET /api/v1/me = MEMBERS outsider
    GET /api/v1/me/home = MEMBERS outsider
    POST /api/v1/incidents/{key}/chat-imports = MANAGERS analyst
    GET /api/v1/incidents/{key}/timeline-candidates = MANAGERS analyst
    POST /api/v1/assignments/{pk}/timeline-candidates/{uid}/key-event = analyst
    POST /api/v1/assignments/{pk}/timeline-candidates/{uid}/dismissal = analyst
    GET /api/v1/event-subscriptions = admin outsider
    POST /api/v1/event-subscriptions = admin outsider  # in their own organisation
    PATCH /api/v1/event-subscriptions/{subscription_id} = admin
    GET /api/v1/event-subscriptions/{subscription_id}/deliveries = admin
    GET /api/v1/intake/sources = admin outsider
    POST /api/v1/intake/sources = admin outsider  # in their own organisation
    GET /api/v1/intake/sources/{source_id} = admin
    PATCH /api/v1/intake/sources/{source_id} = admin
    GET /api/v1/intake/sources/{source_id}/deliveries = admin
    POST /api/v1/intake/deliveries/{delivery_id}/replay = admin
    GET /api/v1/actions = MEMBERS outsider
    POST /api/v1/incidents/{key}/actions = MANAGERS analyst
    GET /api/v1/actions/{uid} = MEMBERS
    POST /api/v1/actions/{uid}/transitions = MANAGERS analyst
    PATCH /api/v1/actions/{uid} = MANAGERS analyst
    GET /api/v1/actions/{uid}/similar = MEMBERS
    GET /api/v1/teams/{slug}/backlog = MEMBERS
    POST /api/v1/teams/{slug}/backlog/placements = MANAGERS
    POST /api/v1/teams/{slug}/features = MANAGERS
    GET /api/v1/incidents = MEMBERS outsider
    POST /api/v1/incidents = MANAGERS other_pm analyst other_analyst interviewee outsider
    GET /api/v1/incidents/{key} = MEMBERS
    PATCH /api/v1/incidents/{key} = MANAGERS analyst
    GET /api/v1/incidents/{key}/decisions = MEMBERS
    POST /api/v1/incidents/{key}/decisions = MANAGERS
    GET /api/v1/incidents/{key}/assignments = MEMBERS
    POST /api/v1/incidents/{key}/assignments = MANAGERS
    GET /api/v1/assignments/{pk} = MANAGERS analyst
    PATCH /api/v1/assignments/{pk} = MANAGERS
    GET /api/v1/assignments/{pk}/invitation.ics = MANAGERS analyst
    GET /api/v1/assignments/{pk}/interviews = MANAGERS analyst
    POST /api/v1/assignments/{pk}/interviews = analyst
    GET /api/v1/interviews/{pk} = analyst interviewee
    PATCH /api/v1/interviews/{pk} = analyst
    GET /api/v1/assignments/{pk}/key-events = MANAGERS analyst
    POST /api/v1/assignments/{pk}/key-events = analyst
    GET /api/v1/incidents/{key}/key-events = MEMBERS
    GET /api/v1/themes = MEMBERS outsider
    POST /api/v1/themes = MANAGERS other_pm analyst other_analyst interviewee outsider
    POST /api/v1/assignments/{pk}/time = analyst
    GET /api/v1/assignments/{pk}/report = MANAGERS analyst
    PUT /api/v1/assignments/{pk}/report = analyst
    POST /api/v1/actions/{uid}/push = MANAGERS analyst
    GET /api/v1/teams/{slug}/tracker = MANAGERS
    GET /api/v1/costs = admin problem_manager outsider
    GET /api/v1/audit = admin outsider
    GET /api/v1/teams = MEMBERS outsider
    PUT /api/v1/teams/{slug} = admin outsider
    GET /api/v1/services = MEMBERS outsider
    PUT /api/v1/services/{slug} = admin outsider
    GET /api/v1/people = admin outsider
    POST /api/v1/people = admin outsider
    PATCH /api/v1/people/{person_id} = admin
    GET /api/v1/measures = MEMBERS outsider
    POST /api/v1/incidents/{key}/review = MANAGERS
    GET /api/v1/incidents/{key}/review = MANAGERS analyst
    GET /api/v1/reviews/{uid} = MANAGERS analyst
    POST /api/v1/reviews/{uid}/invitees = MANAGERS
    DELETE /api/v1/reviews/{uid}/invitees/{email} = MANAGERS
    POST /api/v1/reviews/{uid}/reminders = MANAGERS
    GET /api/v1/reviews/{uid}/timeline = MANAGERS analyst
    GET /api/v1/reviews/{uid}/context-notes = MANAGERS analyst
    POST /api/v1/reviews/{uid}/context-notes = MANAGERS
    DELETE /api/v1/reviews/{uid}/context-notes/{note_uid} = MANAGERS
    GET /api/v1/reviews/{uid}/factors = MANAGERS analyst
    POST /api/v1/reviews/{uid}/factors = MANAGERS analyst
    PUT /api/v1/reviews/{uid}/factors/{factor_uid} = MANAGERS analyst
    DELETE /api/v1/reviews/{uid}/factors/{factor_uid} = MANAGERS analyst
    GET /api/v1/reviews/{uid}/learnings = MANAGERS analyst
    POST /api/v1/reviews/{uid}/learnings = MANAGERS analyst
    POST /api/v1/reviews/{uid}/learnings/{learning_uid}/vote = MANAGERS analyst
    DELETE /api/v1/reviews/{uid}/learnings/{learning_uid}/vote = MANAGERS analyst
    POST /api/v1/reviews/{uid}/learnings/{learning_uid}/actions = MANAGERS analyst
    GET /api/v1/incidents/{key}/narrative = MANAGERS analyst
    GET /api/v1/incidents/{key}/narrative/versions = MANAGERS analyst
    POST /api/v1/incidents/{key}/narrative/versions = MANAGERS analyst
    GET /api/v1/incidents/{key}/narrative/versions/{number} = MANAGERS analyst
    GET /api/v1/incidents/{key}/narrative/diff = MANAGERS analyst
    POST /api/v1/language-check = MEMBERS outsider
    POST /api/v1/incidents/{key}/narrative/language-check = MANAGERS analyst
    POST /api/v1/incidents/{key}/narrative/generate = MANAGERS analyst
    POST /api/v1/incidents/{key}/narrative/status = MANAGERS analyst
    POST /api/v1/incidents/{key}/narrative/publish = MANAGERS
    GET /api/v1/portal/narratives = MEMBERS outsider
    GET /api/v1/portal/narratives/{key} = MEMBERS
    GET /api/v1/portal/narratives/{key}/readership = MANAGERS analyst
    GET /api/v1/portal/narratives/{key}/walkthroughs = MEMBERS
    POST /api/v1/portal/narratives/{key}/walkthroughs = MANAGERS analyst
    PATCH /api/v1/portal/narratives/{key}/walkthroughs/{uid} = MANAGERS analyst
    POST /api/v1/portal/narratives/{key}/walkthroughs/{uid}/attendance = MANAGERS analyst
    GET /api/v1/publishing/channels = MEMBERS outsider
    POST /api/v1/publishing/channels = admin outsider
    PATCH /api/v1/publishing/channels/{channel_id} = MANAGERS
    DELETE /api/v1/publishing/channels/{channel_id} = MANAGERS
    POST /api/v1/publishing/channels/{channel_id}/test = MANAGERS
    GET /api/v1/narratives/{key}/deliveries = MANAGERS analyst
    POST /api/v1/deliveries/{uid}/send-again = MANAGERS analyst
    GET /api/v1/search = MEMBERS outsider
"""
)


# Positive controls: each private thing is really shown to someone who may read it, so the
# canaries above are not silently absent.
SHOWN = [
    ("/interviews/{private}/", "analyst", PRIVATE_NOTE),
    ("/interviews/{private}/", "interviewee", PRIVATE_NOTE),
    ("/interviews/{shared}/", "team_pm", SHARED_NOTE),
    ("/analysis/{assignment}/", "analyst", KEY_EVENT),
    ("/analysis/{assignment}/", "analyst", DRAFT_REPORT),
    ("/incidents/{key}/narrative/", "team_pm", NARRATIVE_DRAFT),
    ("/search/?q=declines+rose", "problem_manager", KEY_EVENT),
    ("/api/v1/search?q=declines+rose", "analyst", KEY_EVENT),
]


def fill(template: str, scene: Scene) -> str:
    return template.format(
        private=scene.private_interview.pk,
        shared=scene.shared_interview.pk,
        assignment=scene.assignment.pk,
        key=scene.incident.key,
    )


def test_the_private_things_are_shown_to_those_who_may_read_them(scene: Scene):
    for template, role, canary in SHOWN:
        url = fill(template, scene)
        client = scene.client(role)
        response = client.get(url, **scene.api_headers(role)) if "/api/" in url else client.get(url)
        assert canary in shown(response), (url, role, response.status_code)


def test_a_shared_interview_is_read_by_exactly_its_readers(scene: Scene):
    readers = set(READERS[SHARED_NOTE].split())
    for role in ROLES:
        page = scene.client(role).get(f"/interviews/{scene.shared_interview.pk}/")
        answer = scene.client("anonymous").get(
            f"/api/v1/interviews/{scene.shared_interview.pk}", **scene.api_headers(role)
        )
        for response in (page, answer):
            assert (verdict(response) == "served") == (role in readers), (role, response)
            assert (SHARED_NOTE in shown(response)) == (role in readers), role


def test_token_addresses_answer_the_right_token_only(scene: Scene):
    """The private calendar and the feeds are read by whoever holds the token (a calendar or
    a feed reader), and show nothing private; a wrong token finds nothing."""
    token = values(scene)["token"]
    anonymous = scene.client("anonymous")
    for url in (
        f"/calendar/{token}.ics",
        f"/feeds/{token}/narratives.atom",
        f"/feeds/{token}/teams/payments/narratives.atom",
    ):
        right = anonymous.get(url)
        assert right.status_code == 200 and not shown(right), url
        wrong = anonymous.get(url.replace(token, "not-the-token"))
        assert wrong.status_code == 404, url
    unsigned = anonymous.post(
        "/trackers/webhooks/acme/payments/", b"{}", content_type="application/json"
    )
    assert unsigned.status_code in (401, 403), unsigned.status_code


def test_the_static_site_holds_nothing_private(scene: Scene, tmp_path: Any):
    from learnloop.cli import main

    assert main(["publish-site", str(tmp_path / "site"), "--org", "acme"]) == 0
    written = " ".join(p.read_text() for p in (tmp_path / "site").rglob("*.html"))
    assert "The published story" in written
    assert not [c for c in CANARIES if c in written]
