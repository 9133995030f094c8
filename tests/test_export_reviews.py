"""learnloop's document carries the whole review and the published narrative: invitees, context
notes, factor evidence, votes, revisions, reads and walkthroughs; it imports into an empty database
and exports again byte for byte; version 1 documents still import; broken links write nothing."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from learnloop.accounts.models import Organisation
from learnloop.actions.models import ActionKind
from learnloop.actions.services import add_action
from learnloop.analysis.models import Interview, KeyEvent
from learnloop.analysis.services import save_report
from learnloop.cli import main
from learnloop.incidents.models import Incident, ResponseRole
from learnloop.incidents.services import record_incident
from learnloop.interchange.checks import LEARNLOOP, validator
from learnloop.interchange.snapshot import export
from learnloop.narratives.models import (
    Narrative,
    NarrativeRead,
    NarrativeVersion,
    Publication,
    Walkthrough,
    WalkthroughAttendee,
)
from learnloop.reviews.models import (
    ContextNote,
    ContributingFactor,
    Learning,
    LearningVote,
    Review,
    ReviewInvitee,
)
from tests.conftest import World, utc


def a_reviewed_and_published_incident(world: World, title: str = "Card payments declined") -> str:
    incident = record_incident(
        world.org,
        world.payments_pm,
        title=title,
        team=world.payments,
        service=world.checkout,
        severity=1,
        started_at=utc(2026, 11, 1, 9),
        resolved_at=utc(2026, 11, 1, 11),
        responders=[
            (world.alice, ResponseRole.INCIDENT_COMMANDER),
            (world.bob, ResponseRole.OPERATIONS),
        ],
    )
    alice_work = incident.assignments.get(analyst=world.alice)
    bob_work = incident.assignments.get(analyst=world.bob)
    interview = Interview.objects.create(
        assignment=alice_work,
        interviewee=world.carol,
        held_at=utc(2026, 11, 2, 10),
        notes="Shared with the review",
        shared_with_review=True,
    )
    first = KeyEvent.objects.create(
        incident=incident,
        assignment=alice_work,
        occurred_at=utc(2026, 11, 1, 9, 5),
        precision="minute",
        description="Declines rise",
        position=1,
    )
    second = KeyEvent.objects.create(
        incident=incident,
        assignment=bob_work,
        occurred_at=utc(2026, 11, 1, 9),
        precision="hour",
        description="The rota left the night uncovered",
        position=2,
    )
    save_report(alice_work, "What I found", submit=True)
    save_report(bob_work, "What I saw", submit=True)
    review = Review.objects.create(
        incident=incident,
        starts_at=utc(2026, 11, 5, 14),
        ends_at=utc(2026, 11, 5, 15, 30),
        location="Room 4",
        facilitator=world.problem_manager,
        scheduled_by=world.payments_pm,
        status="held",
        votes_per_attendee=2,
        missing_reports_reason="",
        preparation_hours=Decimal("1.50"),
        sequence=1,
        created_at=utc(2026, 11, 3, 8),
        changed_at=utc(2026, 11, 5, 15, 20),
    )
    for user, kind, attended in [
        (world.alice, "analyst", True),
        (world.bob, "responder", True),
        (world.search_pm, "stakeholder", False),
        (world.carol, "stakeholder", None),
    ]:
        ReviewInvitee.objects.create(review=review, user=user, kind=kind, attended=attended)
    ContextNote.objects.create(
        review=review,
        key_event=second,
        text="The rota changed the week before",
        author=world.problem_manager,
        created_at=utc(2026, 11, 5, 14, 10),
    )
    ContextNote.objects.create(
        review=review, text="A sales peak", author=None, created_at=utc(2026, 11, 5, 14, 5)
    )
    human = ContributingFactor.objects.create(
        incident=incident,
        review=review,
        kind="human",
        category="staffing",
        description="Nobody on call at night",
        position=1,
        created_by=world.alice,
    )
    human.key_events.add(second)
    human.interviews.add(interview)
    technical = ContributingFactor.objects.create(
        incident=incident, review=review, kind="technical", description="No alert", position=2
    )
    technical.key_events.add(first, second)
    rota = Learning.objects.create(
        incident=incident,
        review=review,
        text="Rotas need a second look",
        proposed_by=world.bob,
        position=1,
        created_at=utc(2026, 11, 5, 14, 40),
    )
    Learning.objects.create(
        incident=incident,
        review=review,
        text="Alerts on declines",
        proposed_by=world.alice,
        position=2,
        created_at=utc(2026, 11, 5, 14, 41),
    )
    for voter, minute in [(world.alice, 50), (world.bob, 51), (world.search_pm, 52)]:
        LearningVote.objects.create(
            learning=rota, voter=voter, created_at=utc(2026, 11, 5, 14, minute)
        )
    add_action(
        incident,
        world.payments_pm,
        title="Review the rota monthly",
        kind=ActionKind.PROCESS,
        learning=rota,
        cost_of_delay_per_week=Decimal("250"),
        estimate_weeks=Decimal("0.5"),
    )
    narrative = Narrative.objects.create(
        incident=incident,
        title="The night nobody was on call",
        status="published",
        published_at=utc(2026, 11, 7, 9),
        created_at=utc(2026, 11, 5, 16),
        updated_at=utc(2026, 11, 9, 12),
    )
    versions = [
        NarrativeVersion.objects.create(
            narrative=narrative,
            number=n,
            body=f"## Summary\n\nDraft {n}",
            author=author,
            note=note,
            created_at=utc(2026, 11, 5 + n, 10),
        )
        for n, author, note in [
            (1, world.alice, "generated"),
            (2, world.bob, ""),
            (3, world.alice, "after feedback"),
        ]
    ]
    Publication.objects.create(
        narrative=narrative,
        revision=1,
        version=versions[1],
        title="The night nobody was on call",
        published_at=utc(2026, 11, 7, 9),
        published_by=world.payments_pm,
    )
    current = Publication.objects.create(
        narrative=narrative,
        revision=2,
        version=versions[2],
        title="The night nobody was on call (revised)",
        published_at=utc(2026, 11, 9, 12),
        published_by=None,
    )
    narrative.current_publication = current
    narrative.save()
    for reader, revision in [(world.member, 1), (world.carol, 2)]:
        NarrativeRead.objects.create(
            narrative=narrative,
            reader=reader,
            first_read_at=utc(2026, 11, 8, 9),
            last_read_at=utc(2026, 11, 9, 13),
            last_revision=revision,
        )
    walkthrough = Walkthrough.objects.create(
        narrative=narrative,
        kind="playback",
        starts_at=utc(2026, 11, 12, 15),
        ends_at=utc(2026, 11, 12, 16),
        location="Town hall",
        organiser=world.payments_pm,
        sequence=2,
        created_at=utc(2026, 11, 10, 9),
    )
    WalkthroughAttendee.objects.create(
        walkthrough=walkthrough, user=world.carol, attended=True, recorded_at=utc(2026, 11, 12, 16)
    )
    WalkthroughAttendee.objects.create(walkthrough=walkthrough, user=world.member, attended=None)
    return incident.key


def names_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {n for v in value.values() for n in names_in(v)}
    if isinstance(value, list):
        return {n for v in value for n in names_in(v)}
    return set()


def export_text(capsys: Any, path: Path) -> str:
    capsys.readouterr()
    assert main(["export", "--org", "acme", "--output", str(path)]) == 0
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    return "".join(line for line in lines if '"exported_at"' not in line)


def empty_the_database() -> None:
    # A publication protects the version it was published from (on_delete=PROTECT), so a
    # narrative's publications go first; the cascade from the organisation takes the rest.
    Publication.objects.all().delete()
    Organisation.objects.all().delete()
    User.objects.all().delete()


def test_a_reviewed_and_published_incident_round_trips_byte_for_byte(
    world: World, tmp_path: Path, capsys: Any
):
    key = a_reviewed_and_published_incident(world)
    first = export_text(capsys, tmp_path / "first.json")
    doc = json.loads(first)
    assert doc["version"] == 2
    assert not list(
        validator(LEARNLOOP).iter_errors({**doc, "exported_at": "2026-11-25T09:00:00Z"})
    )
    incident = next(i for i in doc["incidents"] if i["key"] == key)
    review = incident["reviews"][0]
    assert [(i["email"], i["kind"], i["attended"]) for i in review["invitees"]] == [
        ("alice@acme.test", "analyst", True),
        ("bob@acme.test", "responder", True),
        ("carol@acme.test", "stakeholder", None),
        ("spm@acme.test", "stakeholder", False),
    ]
    assert review["scheduled_by"] == "ppm@acme.test" and review["preparation_hours"] == "1.50"
    assert [n["text"] for n in review["context_notes"]] == [
        "A sales peak",
        "The rota changed the week before",
    ]
    human = incident["contributing_factors"][0]
    assert human["created_by"] == "alice@acme.test" and len(human["interviews"]) == 1
    assert [v["voter"] for v in incident["learnings"][0]["votes"]] == [
        "alice@acme.test",
        "bob@acme.test",
        "spm@acme.test",
    ]
    assert incident["improvement_actions"][0]["learning"] == incident["learnings"][0]["uid"]
    narrative = incident["narrative"]
    assert [v["note"] for v in narrative["versions"]] == ["generated", "", "after feedback"]
    assert [(p["revision"], p["version"]) for p in narrative["publications"]] == [(1, 2), (2, 3)]
    assert narrative["current_revision"] == 2
    assert [(r["reader"], r["last_revision"]) for r in narrative["reads"]] == [
        ("carol@acme.test", 2),
        ("member@acme.test", 1),
    ]
    assert narrative["walkthroughs"][0]["attendees"][0]["email"] == "carol@acme.test"
    assert "id" not in names_in(doc), "records are named by natural keys, never database ids"

    empty_the_database()
    assert main(["import", str(tmp_path / "first.json")]) == 0
    assert capsys.readouterr().out.splitlines() == [f"created {key}"]
    assert export_text(capsys, tmp_path / "second.json") == first

    restored = Narrative.objects.get(incident__key=key)
    assert restored.current_publication is not None
    assert restored.current_publication.revision == 2
    assert restored.current_publication.version.number == 3
    assert restored.organisation == Organisation.objects.get(slug="acme")
    factor = ContributingFactor.objects.get(incident__key=key, kind="human")
    assert factor.interviews.get().interviewee is not None
    assert factor.interviews.get().interviewee.email == "carol@acme.test"

    assert main(["import", str(tmp_path / "first.json")]) == 0
    assert capsys.readouterr().out.splitlines() == [f"unchanged {key}"]


def test_a_changed_document_rebuilds_the_review_and_the_narrative(
    world: World, tmp_path: Path, capsys: Any
):
    key = a_reviewed_and_published_incident(world)
    doc = export(world.org)
    narrative = doc["incidents"][0]["narrative"]
    narrative["current_revision"] = 1
    narrative["reads"] = narrative["reads"][:1]
    doc["incidents"][0]["learnings"][0]["votes"].pop()
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(doc))
    assert main(["import", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == [f"updated {key}"]
    again = export(world.org)
    assert again["incidents"] == doc["incidents"]
    assert Narrative.objects.get().current_publication.revision == 1  # type: ignore[union-attr]
    assert LearningVote.objects.count() == 2


VERSION_1 = {
    "format": "learnloop",
    "version": 1,
    "exported_at": "2026-10-01T00:00:00Z",
    "generator": "learnloop 0.1.0",
    "organisation": {
        "name": "Old",
        "slug": "old",
        "currency": "EUR",
        "consequence_policy": {
            "max_severity": 2,
            "customer_facing": True,
            "min_estimated_loss": None,
            "min_duration_minutes": None,
            "hours_by_severity": {},
            "default_hours": "4.00",
            "analysis_window_days": 10,
            "action_target_days": {},
        },
        "teams": [{"slug": "core", "name": "Core"}],
        "services": [],
        "people": [
            {
                "email": "ann@old.test",
                "first_name": "Ann",
                "last_name": "",
                "role": "responder",
                "team": "core",
                "time_zone": "UTC",
            }
        ],
        "themes": [],
        "planned_features": [],
    },
    "incidents": [
        {
            "key": "OLD-1",
            "external_ref": "",
            "title": "Queue stalled",
            "summary": "",
            "team": "core",
            "service": None,
            "severity": 2,
            "status": "resolved",
            "started_at": "2026-09-01T08:00:00Z",
            "detected_at": None,
            "mitigated_at": None,
            "resolved_at": "2026-09-01T09:00:00Z",
            "customer_facing": False,
            "data_loss": False,
            "estimated_loss": None,
            "impact_summary": "",
            "of_consequence": True,
            "report_facts": {},
            "created_at": "2026-09-01T08:05:00Z",
            "updated_at": "2026-09-03T08:00:00Z",
            "themes": [],
            "responders": [],
            "consequence_decisions": [],
            "assignments": [],
            "key_events": [],
            "reviews": [
                {
                    "uid": "0b5c1f0e-8f5e-4a51-9d7e-3f0c3c6a9a01",
                    "starts_at": "2026-09-04T10:00:00Z",
                    "ends_at": "2026-09-04T11:00:00Z",
                    "location": "",
                    "facilitator": "ann@old.test",
                    "status": "held",
                    "votes_per_attendee": 3,
                }
            ],
            "contributing_factors": [
                {
                    "uid": "0b5c1f0e-8f5e-4a51-9d7e-3f0c3c6a9a02",
                    "review": "0b5c1f0e-8f5e-4a51-9d7e-3f0c3c6a9a01",
                    "kind": "technical",
                    "category": "",
                    "description": "A full disk",
                    "position": 0,
                    "key_events": [],
                }
            ],
            "learnings": [
                {
                    "uid": "0b5c1f0e-8f5e-4a51-9d7e-3f0c3c6a9a03",
                    "review": "0b5c1f0e-8f5e-4a51-9d7e-3f0c3c6a9a01",
                    "text": "Disks fill quietly",
                    "proposed_by": "ann@old.test",
                    "position": 0,
                    "created_at": "2026-09-04T10:30:00Z",
                }
            ],
            "improvement_actions": [],
            "narrative": {
                "title": "The quiet disk",
                "status": "published",
                "published_at": "2026-09-06T09:00:00Z",
                "versions": [
                    {
                        "number": 1,
                        "body": "First",
                        "author": "ann@old.test",
                        "created_at": "2026-09-05T09:00:00Z",
                    },
                    {
                        "number": 2,
                        "body": "Second",
                        "author": None,
                        "created_at": "2026-09-05T17:00:00Z",
                    },
                    {
                        "number": 3,
                        "body": "After publishing",
                        "author": None,
                        "created_at": "2026-09-07T09:00:00Z",
                    },
                ],
            },
        }
    ],
}


def test_a_version_1_document_still_imports(db: Any, tmp_path: Path, capsys: Any):
    path = tmp_path / "old.json"
    path.write_text(json.dumps(VERSION_1))
    assert main(["import", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == ["created OLD-1"]
    review = Review.objects.get()
    assert review.created_at == review.starts_at == utc(2026, 9, 4, 10)
    assert review.preparation_hours == 0 and not review.invitees.exists()
    narrative = Narrative.objects.get()
    assert narrative.created_at == utc(2026, 9, 5, 9)
    assert narrative.updated_at == utc(2026, 9, 7, 9)
    # It was published before version 3 was saved: its one revision is version 2.
    assert narrative.current_publication is not None
    assert narrative.current_publication.revision == 1
    assert narrative.current_publication.version.number == 2
    assert narrative.current_publication.published_at == utc(2026, 9, 6, 9)

    assert main(["import", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == ["unchanged OLD-1"]
    assert export(Organisation.objects.get(slug="old"))["version"] == 2


def test_a_version_1_document_is_checked_against_version_1(db: Any, tmp_path: Path, capsys: Any):
    old = json.loads(json.dumps(VERSION_1))
    old["incidents"][0]["reviews"][0]["invitees"] = []
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps(old))
    assert main(["import", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}: incidents[0].reviews[0]: Additional properties are not allowed" in err
    old["version"] = 7
    path.write_text(json.dumps(old))
    assert main(["import", str(path)]) == 1
    assert f"{path}: version: 7 is not a version this learnloop reads (1 or 2)" in (
        capsys.readouterr().err
    )
    assert not Incident.objects.exists()


def test_links_to_records_not_in_the_document_are_refused_and_nothing_is_written(
    world: World, tmp_path: Path, capsys: Any
):
    a_reviewed_and_published_incident(world)
    before = export(world.org)["incidents"]
    doc = export(world.org)
    incident = doc["incidents"][0]
    incident["contributing_factors"][0]["interviews"] = ["6d1f0000-0000-4000-8000-000000000001"]
    incident["reviews"][0]["context_notes"][0]["key_event"] = "6d1f0000-0000-4000-8000-000000000002"
    incident["reviews"][0]["invitees"].append(dict(incident["reviews"][0]["invitees"][0]))
    incident["learnings"][0]["votes"].append(dict(incident["learnings"][0]["votes"][0]))
    narrative = incident["narrative"]
    narrative["publications"][0]["version"] = 9
    narrative["current_revision"] = 5
    narrative["walkthroughs"][0]["ends_at"] = narrative["walkthroughs"][0]["starts_at"]
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc))

    assert main(["import", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    here = f"{path}: incidents[0]"
    assert [line for line in err if line.startswith(here)] == [
        f"{here}.reviews[0].invitees[4].email: 'alice@acme.test' is also at "
        f"incidents[0].reviews[0].invitees[0]",
        f"{here}.reviews[0].context_notes[0].key_event: '6d1f0000-0000-4000-8000-000000000002'"
        f" is not a key event of this incident",
        f"{here}.contributing_factors[0].interviews[0]: '6d1f0000-0000-4000-8000-000000000001'"
        f" is not an interview of this incident",
        f"{here}.learnings[0].votes[3].voter: 'alice@acme.test' is also at "
        f"incidents[0].learnings[0].votes[0]",
        f"{here}.narrative.publications[0].version: 9 is not a version of this narrative",
        f"{here}.narrative.current_revision: 5 is not a revision of this narrative",
        f"{here}.narrative.walkthroughs[0].ends_at: 2026-11-12T15:00:00Z is not after "
        f"starts_at 2026-11-12T15:00:00Z",
    ]
    assert export(world.org)["incidents"] == before


def test_a_uid_of_another_incident_is_refused_before_anything_is_written(
    world: World, tmp_path: Path, capsys: Any
):
    key = a_reviewed_and_published_incident(world)
    doc = export(world.org)
    doc["incidents"][0]["key"] = "NEW-1"
    path = tmp_path / "copied.json"
    path.write_text(json.dumps(doc))
    assert main(["import", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    walkthrough = doc["incidents"][0]["narrative"]["walkthroughs"][0]["uid"]
    assert (
        f"{path}: incidents[0].narrative.walkthroughs[0].uid: uid {walkthrough} already belongs "
        f"to {key} of acme"
    ) in err
    # 2 assignments, 1 interview, 2 key events, 1 review, 2 context notes, 2 factors,
    # 2 learnings, 1 action, 2 publications, 1 walkthrough.
    assert sum("already belongs" in line for line in err) == 16
    assert not Incident.objects.filter(key="NEW-1").exists()


def test_the_export_reads_a_fixed_number_of_queries_however_many_incidents(world: World):
    a_reviewed_and_published_incident(world, "One")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            export(world.org)
        return len(captured)

    one = queries()
    a_reviewed_and_published_incident(world, "Two")
    a_reviewed_and_published_incident(world, "Three")
    assert queries() == one


def test_new_fields_are_checked_by_the_schema_with_their_paths(
    world: World, tmp_path: Path, capsys: Any
):
    a_reviewed_and_published_incident(world)
    doc = export(world.org)
    review = doc["incidents"][0]["reviews"][0]
    review["invitees"][0]["kind"] = "guest"
    review["preparation_hours"] = "lots"
    del doc["incidents"][0]["narrative"]["reads"][0]["reader"]
    doc["incidents"][0]["narrative"]["publications"][0]["published_at"] = "2026-02-30T10:00:00Z"
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps(doc))
    assert main(["import", str(path)]) == 1
    err = capsys.readouterr().err
    here = f"{path}: incidents[0]"
    assert (
        f"{here}.reviews[0].invitees[0].kind: 'guest' is not one of "
        "['responder', 'analyst', 'stakeholder']"
    ) in err
    assert f"{here}.reviews[0].preparation_hours: 'lots' does not match" in err
    assert f"{here}.narrative.reads[0].reader: required property is missing" in err
    assert (
        f"{here}.narrative.publications[0].published_at: '2026-02-30T10:00:00Z' is not a valid "
        "date-time"
    ) in err
