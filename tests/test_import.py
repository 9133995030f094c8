"""`learnloop import`: every document validated first, nothing half-written, idempotent."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from learnloop.accounts.models import Organisation
from learnloop.actions.models import ActionStatus
from learnloop.cli import main
from learnloop.incidents.models import Incident
from learnloop.interchange.checks import FACTS, validator
from learnloop.interchange.reports import NAMESPACE, child_uid
from tests.conftest import SHARED


def reports(folder: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def run(capsys, *args: str) -> tuple[int, list[str], list[str]]:
    status = main(["import", *args])
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err.splitlines()


def test_learnloops_schema_accepts_what_the_reference_schema_accepts(shared_incidents):
    reference = json.loads((SHARED / "data" / "incident-report.schema.json").read_text())
    for doc in reports(shared_incidents):
        assert not list(Draft202012Validator(reference).iter_errors(doc))
        assert not list(validator(FACTS).iter_errors(doc))


def test_the_five_real_reports_import_and_a_second_run_changes_nothing(
    db, shared_incidents, capsys
):
    status, out, _ = run(capsys, str(shared_incidents))
    docs = reports(shared_incidents)
    assert status == 0
    assert out == [f"created {d['id']}" for d in sorted(docs, key=lambda d: d["id"])]
    for doc in docs:
        incident = Incident.objects.get(key=doc["id"])
        events = list(incident.key_events.order_by("position"))
        assert [e.description for e in events] == [t["event"] for t in doc["timeline"]]
        assert [e.occurred_at is None for e in events] == [
            t["timestamp_utc"] is None for t in doc["timeline"]
        ]
        assert [e.precision for e in events] == [t["precision"] for t in doc["timeline"]]
        factors = doc["contributing_factors"]
        assert incident.contributing_factors.filter(kind="technical").count() == len(
            factors["technical"]
        )
        assert incident.contributing_factors.filter(kind="human").count() == len(
            factors["human_organisational"]
        )
        expected = {
            "done": ActionStatus.IN_PRACTICE,
            "in_progress": ActionStatus.IN_PROGRESS,
            "planned": ActionStatus.PLANNED,
            "unspecified": ActionStatus.IDEA,
        }
        assert [a.status for a in incident.improvement_actions.order_by("position")] == [
            expected[a["status_in_report"]] for a in doc["improvement_actions"]
        ]
        assert incident.report_facts["sources"] == doc["sources"]
        assert incident.of_consequence is doc["impact"]["customer_facing"] or (
            incident.of_consequence is True
        )

    status, out, _ = run(capsys, str(shared_incidents))
    assert status == 0 and all(line.startswith("unchanged ") for line in out) and len(out) == 5
    assert Incident.objects.count() == 5


def test_a_changed_report_is_updated_in_place(db, shared_incidents, tmp_path, capsys):
    doc = reports(shared_incidents)[0]
    path = tmp_path / "one.json"
    path.write_text(json.dumps(doc))
    run(capsys, str(path))
    doc["timeline"].append({"timestamp_utc": None, "precision": "unknown", "event": "Later"})
    doc["title"] = "Renamed"
    path.write_text(json.dumps(doc))
    _, out, _ = run(capsys, str(path))
    assert out == [f"updated {doc['id']}"]
    incident = Incident.objects.get()
    assert incident.title == "Renamed"
    assert incident.key_events.count() == len(doc["timeline"])


def broken(shared_incidents: Path, tmp_path: Path, change, name: str = "bad.json") -> Path:
    doc = reports(shared_incidents)[0]
    change(doc)
    path = tmp_path / name
    path.write_text(json.dumps(doc, indent=1))
    return path


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["timeline"][3].update(precision="sometimes"),
            "timeline[3].precision: 'sometimes' is not one of",
        ),
        (lambda d: d.pop("title"), "title: required property is missing"),
        (
            lambda d: d["timeline"][0].pop("precision"),
            "timeline[0].precision: required property is missing",
        ),
        (
            lambda d: d.update(start_time_utc="2017-02-30T10:00:00Z"),
            "start_time_utc: '2017-02-30T10:00:00Z' is not a valid date-time",
        ),
        (
            lambda d: d.update(
                start_time_utc="2017-03-01T10:00:00Z", end_time_utc="2017-03-01T09:00:00Z"
            ),
            "end_time_utc: 2017-03-01T09:00:00Z is before start_time_utc",
        ),
        (
            lambda d: d["improvement_actions"][0].update(status_in_report="maybe"),
            "improvement_actions[0].status_in_report: 'maybe' is not one of",
        ),
        (
            lambda d: d["contributing_factors"].update(social=[]),
            "contributing_factors: Additional properties are not allowed",
        ),
    ],
)
def test_invalid_documents_are_refused_with_file_path_and_message(
    db, shared_incidents, tmp_path, capsys, change, expected
):
    path = broken(shared_incidents, tmp_path, change)
    status, out, err = run(capsys, str(path))
    assert status == 1 and out == []
    assert any(line.startswith(f"{path}: {expected}") for line in err), err
    assert not Incident.objects.exists()


def test_broken_json_names_the_line_and_column(db, tmp_path, capsys):
    path = tmp_path / "x.json"
    path.write_text('{\n  "id": "x",\n  "title" "no colon"\n}')
    status, _, err = run(capsys, str(path))
    assert status == 1
    assert err[0] == f"{path}: line 3 column 11: invalid JSON: Expecting ':' delimiter"


def test_one_bad_file_among_good_ones_imports_nothing_and_lists_every_error(
    db, shared_incidents, tmp_path, capsys
):
    for doc in reports(shared_incidents):
        (tmp_path / f"{doc['id']}.json").write_text(json.dumps(doc))
    broken(
        shared_incidents,
        tmp_path,
        lambda d: (d.update(id="zz-bad"), d.pop("service"), d["timeline"][0].update(precision="x")),
        name="zz-bad.json",
    )
    organisations = Organisation.objects.count()
    status, out, err = run(capsys, str(tmp_path))
    assert status == 1 and out == []
    assert len([line for line in err if "zz-bad.json" in line]) == 2
    assert not Incident.objects.exists() and Organisation.objects.count() == organisations


def test_a_missing_path_is_invalid_input(db, capsys):
    status, _, err = run(capsys, "/nonexistent/file.json")
    assert status == 1 and "no such file or folder" in err[0]


def test_the_same_id_twice_is_refused(db, shared_incidents, tmp_path, capsys):
    doc = reports(shared_incidents)[0]
    (tmp_path / "a.json").write_text(json.dumps(doc))
    (tmp_path / "b.json").write_text(json.dumps(doc))
    status, _, err = run(capsys, str(tmp_path))
    assert status == 1 and f"id: '{doc['id']}' is also in" in err[0]


def test_imports_go_into_the_named_organisation(world, shared_incidents, capsys):
    status, _, _ = run(capsys, str(shared_incidents), "--org", "other")
    assert status == 0
    assert Incident.objects.filter(organisation=world.other_org).count() == 5
    status, _, err = run(capsys, str(shared_incidents))  # two organisations: say which
    assert status == 1 and "--org" in err[-1]


@given(
    key=st.text(max_size=120),
    kind=st.sampled_from(["event", "factor", "action"]),
    index=st.integers(0, 10_000),
)
def test_a_child_s_uid_is_the_uuid5_of_its_key_kind_and_place(key: str, kind: str, index: int):
    """Re-importing a report finds its children again by these uids: they must stay uuid5's."""
    assert child_uid(key, kind, index) == uuid.uuid5(NAMESPACE, f"{key}/{kind}/{index}")


def test_ids_alike_in_their_first_64_characters_are_two_incidents(
    db, shared_incidents, tmp_path, capsys
):
    """Ids run to 120 characters; two that differ only after the 64th are two incidents, each
    with its own search documents."""
    doc = reports(shared_incidents)[0]
    stem = "postmortem-" + "a" * 60
    for end in ("one", "two"):
        (tmp_path / f"{end}.json").write_text(json.dumps({**doc, "id": f"{stem}-{end}"}))
    status, out, err = run(capsys, str(tmp_path))
    assert (status, err) == (0, [])
    assert sorted(out) == [f"created {stem}-one", f"created {stem}-two"]
    assert status == 0 and sorted(Incident.objects.values_list("key", flat=True)) == [
        f"{stem}-one",
        f"{stem}-two",
    ]
