from __future__ import annotations

import pytest
from django.test import Client

from learnloop.accounts.models import ApiToken
from learnloop.analysis.models import AnalysisAssignment, LearningTheme
from learnloop.incidents.models import ResponseRole
from learnloop.incidents.services import record_incident
from tests.conftest import World


def bearer(user) -> Client:
    _, raw = ApiToken.issue(user, "test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def send(client: Client, method: str, url: str, data: dict):
    return getattr(client, method)(url, data, content_type="application/json")


@pytest.fixture
def work(world: World) -> AnalysisAssignment:
    incident = record_incident(
        world.org,
        None,
        title="Checkout down",
        team=world.payments,
        severity=1,
        responders=[(world.alice, ResponseRole.ON_CALL), (world.bob, ResponseRole.OPERATIONS)],
    )
    return incident.assignments.get(analyst=world.alice)


@pytest.fixture
def interview_id(world: World, work: AnalysisAssignment) -> int:
    response = send(
        bearer(world.alice),
        "post",
        f"/api/v1/assignments/{work.pk}/interviews",
        {
            "interviewee": "bob@acme.test",
            "held_at": "2026-11-21T10:00:00Z",
            "notes": "Bob worried about *blame*.",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["notes_html"] == "<p>Bob worried about <em>blame</em>.</p>\n"
    return int(response.json()["id"])


def test_private_notes_are_read_by_the_analyst_and_the_interviewee(world, interview_id):
    for person in (world.alice, world.bob):
        response = bearer(person).get(f"/api/v1/interviews/{interview_id}")
        assert response.status_code == 200 and "blame" in response.json()["notes"]


@pytest.mark.parametrize(
    "who", ["admin", "problem_manager", "payments_pm", "carol", "member", "outsider"]
)
def test_private_notes_are_unreadable_to_everyone_else_even_admins(world, work, interview_id, who):
    client = bearer(getattr(world, who))
    assert client.get(f"/api/v1/interviews/{interview_id}").status_code == 404
    listing = client.get(f"/api/v1/assignments/{work.pk}/interviews")
    assert listing.status_code == 404 or listing.json() == []


def test_shared_notes_reach_the_incident_manager(world, work, interview_id):
    shared = send(
        bearer(world.alice),
        "patch",
        f"/api/v1/interviews/{interview_id}",
        {"shared_with_review": True},
    )
    assert shared.json()["shared_with_review"] is True
    manager = bearer(world.payments_pm)
    assert manager.get(f"/api/v1/interviews/{interview_id}").status_code == 200
    assert len(manager.get(f"/api/v1/assignments/{work.pk}/interviews").json()) == 1
    assert bearer(world.admin).get(f"/api/v1/interviews/{interview_id}").status_code == 200
    assert bearer(world.carol).get(f"/api/v1/interviews/{interview_id}").status_code == 404


def test_only_the_analyst_changes_an_interview(world, interview_id):
    response = send(
        bearer(world.bob), "patch", f"/api/v1/interviews/{interview_id}", {"notes": "rewritten"}
    )
    assert response.status_code == 404


def test_key_events_keep_their_precision_and_themes(world, work):
    LearningTheme.objects.create(organisation=world.org, name="Alert fatigue", slug="alert-fatigue")
    api = bearer(world.alice)
    url = f"/api/v1/assignments/{work.pk}/key-events"
    created = send(
        api,
        "post",
        url,
        {
            "occurred_at": "2026-11-20T09:00:00Z",
            "precision": "hour",
            "event_type": "detection",
            "actor_role": "on-call",
            "description": "Pager",
            "themes": ["alert-fatigue"],
        },
    )
    assert created.status_code == 201, created.content
    assert created.json()["precision"] == "hour" and created.json()["themes"] == ["alert-fatigue"]
    unknown = send(
        api, "post", url, {"description": "x", "precision": "unknown", "themes": ["nope"]}
    )
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["field"] == "themes"
    untimed = send(api, "post", url, {"description": "Someone noticed"})
    assert untimed.json()["detail"][0]["field"] == "precision"
    bad_type = send(api, "post", url, {"description": "x", "event_type": "party"})
    assert bad_type.json()["detail"][0]["field"] == "event_type"
    timeline = bearer(world.payments_pm).get(f"/api/v1/incidents/{work.incident.key}/key-events")
    assert [e["description"] for e in timeline.json()] == ["Pager"]
    assert bearer(world.carol).get(f"/api/v1/incidents/{work.incident.key}/key-events").json() == []


def test_managers_schedule_and_responders_may_not(world, work):
    change = {
        "hours_allocated": "6",
        "window_start": "2026-12-01T09:00:00Z",
        "window_end": "2026-12-03T17:00:00Z",
        "due_at": "2026-12-03T17:00:00Z",
    }
    assert (
        send(bearer(world.alice), "patch", f"/api/v1/assignments/{work.pk}", change).status_code
        == 403
    )
    response = send(bearer(world.payments_pm), "patch", f"/api/v1/assignments/{work.pk}", change)
    assert response.json()["hours_allocated"] == "6.00"
    backwards = send(
        bearer(world.payments_pm),
        "patch",
        f"/api/v1/assignments/{work.pk}",
        {"window_end": "2026-11-01T00:00:00Z"},
    )
    assert backwards.status_code == 422 and backwards.json()["detail"][0]["field"] == "window_end"
    added = send(
        bearer(world.payments_pm),
        "post",
        f"/api/v1/incidents/{work.incident.key}/assignments",
        {"analyst": "carol@acme.test", "role": "facilitator"},
    )
    assert added.status_code == 201 and added.json()["role"] == "facilitator"
    ics = bearer(world.alice).get(f"/api/v1/assignments/{work.pk}/invitation.ics")
    assert ics["Content-Type"].startswith("text/calendar") and b"BEGIN:VEVENT" in ics.content


def test_time_and_the_report_flow(world, work):
    api = bearer(world.alice)
    logged = send(
        api,
        "post",
        f"/api/v1/assignments/{work.pk}/time",
        {"hours": "2.5", "spent_on": "2026-11-21"},
    )
    assert logged.json()["total_hours"] == "2.50"
    assert (
        send(
            api,
            "post",
            f"/api/v1/assignments/{work.pk}/time",
            {"hours": "25", "spent_on": "2026-11-21"},
        ).status_code
        == 422
    )
    url = f"/api/v1/assignments/{work.pk}/report"
    assert send(api, "put", url, {"body": "Draft"}).json()["status"] == "draft"
    submitted = send(api, "put", url, {"body": "# Findings <script>x</script>", "submit": True})
    assert submitted.json()["status"] == "submitted"
    assert "<script" not in submitted.json()["body_html"]
    again = send(api, "put", url, {"body": "Changed"})
    assert again.status_code == 422 and again.json()["detail"][0]["field"] == "body"


def test_themes_are_added_by_non_members_only(world):
    assert (
        send(bearer(world.member), "post", "/api/v1/themes", {"name": "Config drift"}).status_code
        == 403
    )
    assert (
        send(bearer(world.alice), "post", "/api/v1/themes", {"name": "Config drift"}).status_code
        == 201
    )
    assert (
        send(bearer(world.alice), "post", "/api/v1/themes", {"name": "Config drift"}).status_code
        == 422
    )
    assert [t["slug"] for t in bearer(world.member).get("/api/v1/themes").json()] == [
        "config-drift"
    ]
