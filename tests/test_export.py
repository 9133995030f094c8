"""`learnloop export`: complete, in natural keys, and it imports back without loss."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.models import User

from learnloop.accounts.models import Organisation
from learnloop.actions.models import ActionKind, ActionStatus
from learnloop.actions.services import add_action, transition
from learnloop.analysis.models import Interview, KeyEvent, LearningTheme, TimeEntry
from learnloop.analysis.services import save_report
from learnloop.cli import main
from learnloop.incidents.models import ResponseRole
from learnloop.incidents.services import record_incident
from learnloop.interchange.checks import LEARNLOOP, validator
from learnloop.narratives.models import Narrative, NarrativeVersion
from learnloop.reviews.models import ContributingFactor, Learning, Review
from tests.conftest import World, utc


def export(capsys, *args: str) -> dict:
    assert main(["export", *args]) == 0
    return json.loads(capsys.readouterr().out)


def without_metadata(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k not in ("exported_at", "generator")}


def a_full_incident(world: World) -> str:
    theme = LearningTheme.objects.create(
        organisation=world.org, name="Alert fatigue", slug="alert-fatigue"
    )
    incident = record_incident(
        world.org,
        world.payments_pm,
        title="Checkout down",
        team=world.payments,
        service=world.checkout,
        severity=1,
        started_at=utc(2026, 11, 1, 9),
        resolved_at=utc(2026, 11, 1, 10),
        estimated_loss=Decimal("12000.50"),
        responders=[
            (world.alice, ResponseRole.INCIDENT_COMMANDER),
            (world.bob, ResponseRole.OPERATIONS),
        ],
    )
    work = incident.assignments.get(analyst=world.alice)
    interview = Interview.objects.create(
        assignment=work,
        interviewee=world.bob,
        held_at=utc(2026, 11, 2, 10),
        notes="Private *notes*",
    )
    interview.themes.add(theme)
    event = KeyEvent.objects.create(
        incident=incident,
        assignment=work,
        occurred_at=None,
        precision="unknown",
        description="Someone noticed",
    )
    event.themes.add(theme)
    TimeEntry.objects.create(assignment=work, hours=Decimal("1.25"), spent_on=utc(2026, 11, 2))
    save_report(work, "Findings", submit=True)
    review = Review.objects.create(
        incident=incident,
        starts_at=utc(2026, 11, 5, 14),
        ends_at=utc(2026, 11, 5, 15),
        facilitator=world.carol,
    )
    factor = ContributingFactor.objects.create(
        incident=incident, review=review, kind="human", description="Rota gap"
    )
    factor.key_events.add(event)
    learning = Learning.objects.create(
        incident=incident, review=review, text="Rotas matter", proposed_by=world.alice
    )
    action = add_action(
        incident,
        world.payments_pm,
        title="Fix the rota",
        kind=ActionKind.PROCESS,
        learning=learning,
        themes=[theme],
        cost_of_delay_per_week=Decimal("300"),
        estimate_weeks=Decimal("1"),
    )
    transition(action, ActionStatus.IN_PRACTICE, world.payments_pm, evidence="No gaps since")
    narrative = Narrative.objects.create(incident=incident, title="How checkout went down")
    NarrativeVersion.objects.create(
        narrative=narrative, number=1, body="Once upon a time", author=world.alice
    )
    return incident.key


def test_export_import_into_an_empty_database_and_export_again_is_the_same(
    world: World, shared_incidents, tmp_path: Path, capsys
):
    assert main(["import", str(shared_incidents), "--org", "acme"]) == 0
    key = a_full_incident(world)
    capsys.readouterr()
    first = export(capsys, "--org", "acme")
    assert not list(validator(LEARNLOOP).iter_errors(first))
    assert len(first["incidents"]) == 6
    full = next(i for i in first["incidents"] if i["key"] == key)
    assert full["assignments"][0]["interviews"] or full["assignments"][1]["interviews"]
    assert full["improvement_actions"][0]["changes"][-1]["to_status"] == "in_practice"
    assert "password" not in json.dumps(first["organisation"]["people"])

    path = tmp_path / "backup.json"
    path.write_text(json.dumps(first))
    Organisation.objects.all().delete()
    User.objects.all().delete()

    assert main(["import", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"created {i['key']}" for i in first["incidents"]
    ]
    second = export(capsys, "--org", "acme")
    assert without_metadata(second) == without_metadata(first)

    assert main(["import", str(path)]) == 0
    assert all(line.startswith("unchanged ") for line in capsys.readouterr().out.splitlines())
    restored = User.objects.get(email="alice@acme.test")
    assert not restored.has_usable_password()


def test_export_of_one_incident_to_a_file(world: World, tmp_path: Path, capsys):
    first = record_incident(world.org, None, title="One")
    record_incident(world.org, None, title="Two")
    output = tmp_path / "one.json"
    assert main(["export", "--org", "acme", "--incident", first.key, "--output", str(output)]) == 0
    assert [i["title"] for i in json.loads(output.read_text())["incidents"]] == ["One"]


def test_an_unknown_incident_is_invalid_input(world: World, capsys):
    assert main(["export", "--org", "acme", "--incident", "INC-999"]) == 1
    assert "no incident INC-999" in capsys.readouterr().err


def test_a_tampered_export_is_refused_with_its_path(world: World, tmp_path: Path, capsys):
    record_incident(world.org, None, title="One", severity=2)
    doc = export(capsys, "--org", "acme")
    doc["incidents"][0]["severity"] = 9
    doc["incidents"][0]["key_events"] = [{"uid": "not-a-uid"}]
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(doc))
    assert main(["import", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}: incidents[0].severity: 9 is greater than the maximum of 5" in err
    assert f"{path}: incidents[0].key_events[0].description: required property is missing" in err
