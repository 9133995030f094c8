"""Each malformed document once seen to crash or half-write the importer: refused now with
`FILE: JSON-PATH: message`, exit 1 and nothing written (the organisation included), or, where
the input is valid after all, imported."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from learnloop.accounts.models import Organisation
from learnloop.cli import main
from learnloop.incidents.models import Incident
from tests.conftest import World
from tests.test_export import export
from tests.test_export_reviews import a_reviewed_and_published_incident
from tests.test_import_fuzz import every_table


def facts(shared_incidents: Path) -> dict[str, Any]:
    return dict(json.loads(sorted(shared_incidents.glob("*.json"))[0].read_text()))


def run(tmp_path: Path, capsys: Any, text: str, *extra: str) -> tuple[int, str]:
    path = tmp_path / "doc.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    capsys.readouterr()
    status = main(["import", str(path), *extra])
    return status, capsys.readouterr().err


def set_at(doc: dict[str, Any], path: list[Any], value: Any) -> str:
    target = doc
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return json.dumps(doc, allow_nan=True)


FACTS_REFUSED = [
    (["start_time_utc"], "0001-01-01T00:00:00+01:00", "start_time_utc"),
    (["end_time_utc"], "9999-12-31T23:59:59-01:00", "end_time_utc"),
    (["timeline", 0, "timestamp_utc"], "1899-12-31T23:59:59Z", "timeline[0].timestamp_utc"),
    (["title"], "Outage\x00", "title"),
    (["title"], "\ud800", "title"),
    (["id"], "a" * 121, "id"),
    (["timeline", 0, "actor_role"], "x" * 201, "timeline[0].actor_role"),
    (["impact", "metrics"], {"requests": 2**64}, "impact.metrics.requests"),
]


@pytest.mark.parametrize(("path", "value", "where"), FACTS_REFUSED)
def test_a_facts_document_beyond_the_limits_is_refused_and_creates_no_organisation(
    db: Any,
    shared_incidents: Path,
    tmp_path: Path,
    capsys: Any,
    path: list[Any],
    value: Any,
    where: str,
):
    text = set_at(facts(shared_incidents), path, value)
    status, errors = run(tmp_path, capsys, text)
    assert status == 1 and f"doc.json: {where}: " in errors, errors
    assert "Traceback" not in errors
    assert not Organisation.objects.exists() and not Incident.objects.exists()


def test_json_nested_ten_thousand_deep_or_with_nan_is_refused(db: Any, tmp_path: Path, capsys: Any):
    status, errors = run(tmp_path, capsys, '{"id": ' + "[" * 10_000 + "]" * 10_000 + "}")
    assert status == 1 and "nested deeper than" in errors
    status, errors = run(tmp_path, capsys, '{"id": NaN}')
    assert status == 1 and "NaN is not a JSON number" in errors
    assert not Organisation.objects.exists()


def test_rfc_3339_with_a_lower_case_t_and_z_is_valid(
    world: World, shared_incidents: Path, tmp_path: Path, capsys: Any
):
    doc = facts(shared_incidents)
    start = doc["start_time_utc"]
    text = set_at(doc, ["start_time_utc"], start.replace("T", "t").replace("Z", "z"))
    status, errors = run(tmp_path, capsys, text, "--org", "acme")
    assert status == 0, errors
    assert Incident.objects.get(key=doc["id"]).started_at.isoformat().startswith(start[:16])


def own(world: World, capsys: Any) -> dict[str, Any]:
    a_reviewed_and_published_incident(world)
    return export(capsys, "--org", "acme")


OWN_REFUSED = [
    (["incidents", 0, "assignments", 0, "hours_allocated"], "1" * 60, "hours_allocated"),
    (["incidents", 0, "title"], "x" * 301, "incidents[0].title"),
    (["incidents", 0, "key_events", 0, "actor_role"], "x" * 201, "key_events[0].actor_role"),
    (["incidents", 0, "team"], "no-such-team", "incidents[0].team"),
    (["incidents", 0, "themes"], ["no-such-theme"], "incidents[0].themes[0]"),
    (["incidents", 0, "severity"], 2**63, "incidents[0].severity"),
]


@pytest.mark.parametrize(("path", "value", "where"), OWN_REFUSED)
def test_a_learnloop_document_beyond_the_limits_is_refused_and_changes_nothing(
    world: World, tmp_path: Path, capsys: Any, path: list[Any], value: Any, where: str
):
    text = set_at(own(world, capsys), path, value)
    before = every_table()
    status, errors = run(tmp_path, capsys, text)
    assert status == 1 and where in errors and "Traceback" not in errors, errors
    assert every_table() == before


def test_an_unknown_duplicate_is_refused(world: World, tmp_path: Path, capsys: Any):
    doc = own(world, capsys)
    actions = doc["incidents"][0]["improvement_actions"]
    assert actions, "the reviewed incident has actions"
    text = set_at(
        doc, ["incidents", 0, "improvement_actions", 0, "duplicate_of"], str(uuid.uuid4())
    )
    status, errors = run(tmp_path, capsys, text)
    assert status == 1 and "improvement_actions[0].duplicate_of" in errors, errors
