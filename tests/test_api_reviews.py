"""The review through the API: the same rules as the pages, the same error conventions."""

from __future__ import annotations

from typing import Any

from django.test import Client

from learnloop.accounts.models import ApiToken
from learnloop.analysis.models import Interview, KeyEvent
from learnloop.analysis.services import save_report
from learnloop.incidents.models import Incident, ResponseRole
from learnloop.incidents.services import record_incident
from tests.conftest import World, utc

JSON = "application/json"


def bearer(user: Any) -> Client:
    _, raw = ApiToken.issue(user, "test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def incident(world: World) -> Incident:
    return record_incident(
        world.org,
        world.payments_pm,
        title="Checkout down",
        team=world.payments,
        severity=1,
        started_at=utc(2026, 11, 1, 9),
        responders=[(world.alice, ResponseRole.ON_CALL), (world.bob, ResponseRole.OPERATIONS)],
    )


SCHEDULE = {"starts_at": "2026-12-01T14:00:00Z", "ends_at": "2026-12-01T15:30:00Z"}


def scheduled(world: World) -> tuple[Incident, str]:
    found = incident(world)
    save_report(found.assignments.get(analyst=world.alice), "Alice's report", submit=True)
    response = bearer(world.payments_pm).post(
        f"/api/v1/incidents/{found.key}/review",
        {**SCHEDULE, "missing_reports_reason": "Bob is away", "stakeholders": ["spm@acme.test"]},
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    return found, response.json()["uid"]


def test_scheduling_needs_a_reason_for_missing_reports_with_the_field_named(world: World):
    found = incident(world)
    refused = bearer(world.payments_pm).post(
        f"/api/v1/incidents/{found.key}/review", SCHEDULE, content_type=JSON
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "missing_reports_reason"


def test_a_review_is_scheduled_read_and_moved(world: World):
    found, uid = scheduled(world)
    api = bearer(world.alice)
    review = api.get(f"/api/v1/reviews/{uid}").json()
    assert review["incident"] == found.key and review["sequence"] == 0
    assert [m["analyst"] for m in review["missing_reports"]] == ["bob@acme.test"]
    assert {(i["email"], i["kind"]) for i in review["invitees"]} == {
        ("alice@acme.test", "analyst"),
        ("bob@acme.test", "analyst"),
        ("spm@acme.test", "stakeholder"),
    }
    assert api.get(f"/api/v1/incidents/{found.key}/review").json()["uid"] == uid
    moved = bearer(world.payments_pm).post(
        f"/api/v1/incidents/{found.key}/review",
        {"starts_at": "2026-12-02T14:00:00Z", "ends_at": "2026-12-02T15:00:00Z",
         "missing_reports_reason": "Still away"},
        content_type=JSON,
    )  # fmt: skip
    assert moved.status_code == 200 and moved.json()["sequence"] == 1


def test_only_managers_schedule_and_other_organisations_see_nothing(world: World):
    found, uid = scheduled(world)
    refused = bearer(world.alice).post(
        f"/api/v1/incidents/{found.key}/review", SCHEDULE, content_type=JSON
    )
    assert refused.status_code == 403
    assert bearer(world.outsider).get(f"/api/v1/reviews/{uid}").status_code == 404
    assert bearer(world.member).get(f"/api/v1/reviews/{uid}").status_code == 404


def test_unknown_stakeholders_are_named_by_position(world: World):
    found = incident(world)
    refused = bearer(world.payments_pm).post(
        f"/api/v1/incidents/{found.key}/review",
        {**SCHEDULE, "stakeholders": ["spm@acme.test", "admin@other.test"]},
        content_type=JSON,
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "stakeholders.1"


def test_invitees_are_added_and_removed_by_whoever_runs_the_review(world: World):
    _, uid = scheduled(world)
    manager = bearer(world.payments_pm)
    added = manager.post(
        f"/api/v1/reviews/{uid}/invitees", {"email": "member@acme.test"}, content_type=JSON
    )
    assert added.status_code == 201
    assert "member@acme.test" in [i["email"] for i in added.json()["invitees"]]
    again = manager.post(
        f"/api/v1/reviews/{uid}/invitees", {"email": "member@acme.test"}, content_type=JSON
    )
    assert again.status_code == 422 and again.json()["detail"][0]["field"] == "user"
    assert (
        bearer(world.alice)
        .post(f"/api/v1/reviews/{uid}/invitees", {"email": "carol@acme.test"}, content_type=JSON)
        .status_code
        == 403
    )
    removed = manager.delete(f"/api/v1/reviews/{uid}/invitees/member@acme.test")
    assert "member@acme.test" not in [i["email"] for i in removed.json()["invitees"]]


def test_reminders_name_the_analysts_with_open_reports(world: World):
    _, uid = scheduled(world)
    response = bearer(world.payments_pm).post(f"/api/v1/reviews/{uid}/reminders")
    assert response.status_code == 202 and response.json() == {"reminded": ["bob@acme.test"]}
    assert bearer(world.alice).post(f"/api/v1/reviews/{uid}/reminders").status_code == 403


def test_the_merged_timeline_gives_source_time_precision_and_group(world: World):
    found, uid = scheduled(world)
    alice_work = found.assignments.get(analyst=world.alice)
    bob_work = found.assignments.get(analyst=world.bob)
    KeyEvent.objects.create(
        incident=found, assignment=alice_work, description="Failover of the checkout database",
        occurred_at=utc(2026, 11, 1, 9, 5),
    )  # fmt: skip
    KeyEvent.objects.create(
        incident=found, assignment=bob_work, description="Checkout database failover began",
        occurred_at=utc(2026, 11, 1, 9, 0), precision="hour",
    )  # fmt: skip
    KeyEvent.objects.create(
        incident=found, description="Imported: customers notified", precision="unknown"
    )
    body = bearer(world.alice).get(f"/api/v1/reviews/{uid}/timeline").json()
    assert [(e["source"], e["precision"], e["group"]) for e in body["entries"]] == [
        ("Bob Builder", "hour", 1),
        ("Alice Analyst", "minute", 1),
        ("Imported report", "unknown", None),
    ]
    assert body["entries"][0]["when"] == "1 Nov 2026, about 09:00"
    (group,) = body["groups"]
    assert group["kind"] == "same_moment" and len(group["key_events"]) == 2


def test_context_notes_sit_beside_key_events_of_this_incident(world: World):
    found, uid = scheduled(world)
    event = KeyEvent.objects.create(incident=found, description="Deploy")
    other = KeyEvent.objects.create(incident=incident(world), description="Elsewhere")
    manager = bearer(world.payments_pm)
    refused = manager.post(
        f"/api/v1/reviews/{uid}/context-notes",
        {"text": "Freeze week", "key_event": str(other.uid)},
        content_type=JSON,
    )
    assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "key_event.0"
    created = manager.post(
        f"/api/v1/reviews/{uid}/context-notes",
        {"text": "Freeze week", "key_event": str(event.uid)},
        content_type=JSON,
    )
    assert created.status_code == 201 and created.json()["key_event"] == str(event.uid)
    notes = bearer(world.alice).get(f"/api/v1/reviews/{uid}/context-notes").json()
    assert [n["text"] for n in notes] == ["Freeze week"]
    assert (
        bearer(world.alice)
        .post(f"/api/v1/reviews/{uid}/context-notes", {"text": "x"}, content_type=JSON)
        .status_code
        == 403
    )
    gone = manager.delete(f"/api/v1/reviews/{uid}/context-notes/{created.json()['uid']}")
    assert gone.status_code == 204


def test_factors_are_created_changed_and_removed_with_evidence(world: World):
    found, uid = scheduled(world)
    event = KeyEvent.objects.create(incident=found, description="Alert fired late")
    shared = Interview.objects.create(
        assignment=found.assignments.get(analyst=world.alice),
        interviewee=world.bob,
        held_at=utc(2026, 11, 2),
        shared_with_review=True,
    )
    private = Interview.objects.create(
        assignment=found.assignments.get(analyst=world.alice),
        interviewee_name="Dana",
        held_at=utc(2026, 11, 2),
    )
    api = bearer(world.alice)
    refused = api.post(
        f"/api/v1/reviews/{uid}/factors",
        {"kind": "human", "description": "x", "interviews": [str(private.uid)]},
        content_type=JSON,
    )
    assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "interviews.0"
    bad_kind = api.post(
        f"/api/v1/reviews/{uid}/factors", {"kind": "cosmic", "description": "x"}, content_type=JSON
    )
    assert bad_kind.status_code == 422 and bad_kind.json()["detail"][0]["field"] == "kind"
    created = api.post(
        f"/api/v1/reviews/{uid}/factors",
        {
            "kind": "technical",
            "category": "Monitoring and alerting",
            "description": "The alert watched the wrong queue",
            "key_events": [str(event.uid)],
            "interviews": [str(shared.uid)],
        },
        content_type=JSON,
    )
    assert created.status_code == 201, created.content
    factor_uid = created.json()["uid"]
    assert created.json()["key_events"] == [str(event.uid)]
    changed = api.put(
        f"/api/v1/reviews/{uid}/factors/{factor_uid}",
        {"kind": "human", "description": "Nobody owned the alert"},
        content_type=JSON,
    )
    assert changed.json()["kind"] == "human" and changed.json()["key_events"] == []
    assert len(api.get(f"/api/v1/reviews/{uid}/factors").json()) == 1
    assert api.delete(f"/api/v1/reviews/{uid}/factors/{factor_uid}").status_code == 204
    assert api.get(f"/api/v1/reviews/{uid}/factors").json() == []


def test_learnings_are_proposed_voted_within_the_limit_ranked_and_turned_into_actions(
    world: World,
):
    _, uid = scheduled(world)
    alice, bob = bearer(world.alice), bearer(world.bob)
    for text in ("Alerts need owners", "Runbooks drift", "Deploys on Friday"):
        assert (
            alice.post(
                f"/api/v1/reviews/{uid}/learnings", {"text": text}, content_type=JSON
            ).status_code
            == 201
        )
    empty = alice.post(f"/api/v1/reviews/{uid}/learnings", {"text": " "}, content_type=JSON)
    assert empty.status_code == 422 and empty.json()["detail"][0]["field"] == "text"
    learnings = bob.get(f"/api/v1/reviews/{uid}/learnings").json()["learnings"]
    by_text = {item["text"]: item["uid"] for item in learnings}
    for text in ("Runbooks drift", "Deploys on Friday", "Alerts need owners"):
        assert bob.post(f"/api/v1/reviews/{uid}/learnings/{by_text[text]}/vote").status_code == 200
    body = alice.post(f"/api/v1/reviews/{uid}/learnings/{by_text['Runbooks drift']}/vote").json()
    assert [(item["text"], item["votes"]) for item in body["learnings"]] == [
        ("Runbooks drift", 2),
        ("Alerts need owners", 1),
        ("Deploys on Friday", 1),
    ]
    assert body["votes_left"] == 2
    over = bob.post(f"/api/v1/reviews/{uid}/learnings/{by_text['Runbooks drift']}/vote")
    assert over.status_code == 422
    unvoted = bob.delete(f"/api/v1/reviews/{uid}/learnings/{by_text['Deploys on Friday']}/vote")
    assert unvoted.json()["votes_left"] == 1
    action = alice.post(
        f"/api/v1/reviews/{uid}/learnings/{by_text['Alerts need owners']}/actions",
        {"title": "Give every alert an owner", "kind": "process"},
        content_type=JSON,
    )
    assert action.status_code == 201, action.content
    assert action.json()["owner_team"] == "payments" and action.json()["status"] == "idea"
    wrong = alice.post(
        f"/api/v1/reviews/{uid}/learnings/{by_text['Alerts need owners']}/actions",
        {"title": "x", "kind": "other_technical"},
        content_type=JSON,
    )
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["field"] == "kind"
    outsider = bearer(world.carol).post(
        f"/api/v1/reviews/{uid}/learnings", {"text": "x"}, content_type=JSON
    )
    assert outsider.status_code == 404
