"""API: the narrative's versions (409 with both texts when stale), diff, language check, generated
draft, status and publishing, with the same rights as the pages."""

from __future__ import annotations

from django.test import Client

from learnloop.accounts.models import ApiToken
from learnloop.incidents.models import Incident, ResponseRole
from learnloop.incidents.services import record_incident
from learnloop.narratives.models import Narrative
from tests.conftest import World, utc

JSON = "application/json"


def bearer(user) -> Client:
    _, raw = ApiToken.issue(user, "test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def incident_of(world: World) -> Incident:
    return record_incident(
        world.org,
        world.payments_pm,
        title="Checkout down",
        team=world.payments,
        severity=1,
        started_at=utc(2026, 11, 1, 9),
        responders=[(world.alice, ResponseRole.ON_CALL), (world.bob, ResponseRole.OPERATIONS)],
    )


def test_versions_are_saved_and_a_stale_save_answers_409_with_both_texts(world: World):
    key = incident_of(world).key
    alice, bob = bearer(world.alice), bearer(world.bob)
    base = f"/api/v1/incidents/{key}/narrative"
    assert alice.get(base).status_code == 404  # no narrative yet

    first = alice.post(f"{base}/versions", {"body": "First", "base_version": 0}, content_type=JSON)
    assert first.status_code == 201, first.content
    assert first.json()["number"] == 1 and first.json()["author"] == "alice@acme.test"
    second = bob.post(
        f"{base}/versions",
        {"body": "Bob's **text**", "base_version": 1, "note": "tightened"},
        content_type=JSON,
    )
    assert second.json()["body_html"] == "<p>Bob's <strong>text</strong></p>\n"

    stale = alice.post(
        f"{base}/versions", {"body": "Alice's", "base_version": 1}, content_type=JSON
    )
    assert stale.status_code == 409
    conflict = stale.json()
    assert conflict["latest_version"]["number"] == 2
    assert conflict["latest_version"]["body"] == "Bob's **text**"
    assert conflict["your_body"] == "Alice's" and conflict["base_version"] == 1
    assert "Nothing was overwritten" in conflict["detail"]

    again = alice.post(
        f"{base}/versions", {"body": "Alice's", "base_version": 2}, content_type=JSON
    )
    assert again.status_code == 201 and again.json()["number"] == 3
    listed = alice.get(f"{base}/versions").json()
    assert [(v["number"], v["note"]) for v in listed] == [(3, ""), (2, "tightened"), (1, "")]
    assert alice.get(f"{base}/versions/2").json()["body"] == "Bob's **text**"
    assert alice.get(f"{base}/versions/9").status_code == 404

    narrative = alice.get(base).json()
    assert narrative["status"] == "draft" and narrative["latest_version"]["number"] == 3

    diff = alice.get(f"{base}/diff", {"from_version": 1, "to_version": 3}).json()
    assert diff["unified"].startswith("--- version 1\n+++ version 3\n")
    assert diff["rows"] == [
        {
            "change": "changed",
            "old_number": 1,
            "old_text": "First",
            "new_number": 1,
            "new_text": "Alice's",
        }
    ]


def test_invalid_input_names_the_field(world: World):
    key = incident_of(world).key
    response = bearer(world.alice).post(
        f"/api/v1/incidents/{key}/narrative/versions", {"body": "Text"}, content_type=JSON
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "base_version"
    empty = bearer(world.alice).post(
        f"/api/v1/incidents/{key}/narrative/versions",
        {"body": " ", "base_version": 0},
        content_type=JSON,
    )
    assert empty.status_code == 422 and empty.json()["detail"][0]["field"] == "body"


def test_generate_review_publish_and_rights(world: World):
    key = incident_of(world).key
    base = f"/api/v1/incidents/{key}/narrative"
    alice, manager = bearer(world.alice), bearer(world.payments_pm)
    for outsider in (world.member, world.carol, world.outsider):
        assert bearer(outsider).post(f"{base}/generate").status_code == 404

    generated = alice.post(f"{base}/generate")
    assert generated.status_code == 201
    assert "## What happened" in generated.json()["body"]
    assert bearer(world.member).get(base).status_code == 404

    assert manager.post(f"{base}/publish").status_code == 422  # still a draft
    assert (
        alice.post(f"{base}/status", {"status": "in_review"}, content_type=JSON).json()["status"]
        == "in_review"
    )
    assert alice.post(f"{base}/publish").status_code == 403
    published = manager.post(f"{base}/publish")
    assert published.status_code == 201
    assert published.json()["revision"] == 1 and published.json()["version"] == 1

    alice.post(f"{base}/versions", {"body": "Better", "base_version": 1}, content_type=JSON)
    state = alice.get(base).json()
    assert state["status"] == "published" and state["current_revision"] == 1
    assert state["unpublished_versions"] == 1
    refused = alice.post(f"{base}/status", {"status": "draft"}, content_type=JSON)
    assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "status"
    assert manager.post(f"{base}/publish").json()["revision"] == 2
    assert [p.revision for p in Narrative.objects.get().publications.all()] == [1, 2]


def test_the_language_check_of_any_text_and_of_the_narrative(world: World):
    key = incident_of(world).key
    alice = bearer(world.alice)
    findings = alice.post(
        "/api/v1/language-check",
        {"text": "Simply put:\nit was Bob's mistake.", "people_names": ["Bob"]},
        content_type=JSON,
    ).json()
    assert [(f["line"], f["column"], f["phrase"]) for f in findings] == [
        (1, 1, "Simply"),
        (2, 8, "Bob's mistake"),
    ]
    assert all(f["why"] and f["suggestion"] for f in findings)
    alice.post(
        f"/api/v1/incidents/{key}/narrative/versions",
        {"body": "Due to Alice Analyst, it stopped.", "base_version": 0},
        content_type=JSON,
    )
    found = alice.post(f"/api/v1/incidents/{key}/narrative/language-check").json()
    assert [f["phrase"] for f in found] == ["Due to Alice Analyst"]
