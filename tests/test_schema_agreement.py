"""A document the quick validator (jsonschema-rs) passes is not checked again, so it must never
pass one that jsonschema, which explains refusals, would refuse. Hypothesis breaks real documents
of both formats as the import fuzzing does and asks both validators."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from learnloop.interchange.checks import (
    FACTS,
    LEARNLOOP,
    LEARNLOOP_SCHEMAS,
    quickly_valid,
    schema_errors,
    validator,
)
from tests.test_import_fuzz import DEEP, FUZZ, NASTY, broken, own_document, paths

__all__ = ["own_document"]  # a fixture, used by name

TEXT_ONLY = NASTY.filter(lambda value: value != DEEP)


def verdicts(document: Any, kind: str, version: int = max(LEARNLOOP_SCHEMAS)) -> tuple[bool, bool]:
    quick = quickly_valid(document, kind, version)
    full = not list(validator(kind, version).iter_errors(document))
    return quick, full


def a_broken(data: Any, document: dict[str, Any]) -> Any:
    path = data.draw(st.sampled_from(paths(document)))
    how = data.draw(st.sampled_from(["replace", "replace", "remove", "add"]))
    return json.loads(broken(document, path, how, data.draw(TEXT_ONLY)))


def test_every_shared_report_gets_the_same_verdict(shared_incidents: Path):
    for path in sorted(shared_incidents.glob("*.json")):
        document = json.loads(path.read_text())
        assert verdicts(document, FACTS) == (True, True), path.name


@FUZZ
@given(data=st.data())
def test_a_broken_facts_document_gets_the_same_verdict(data: Any, shared_incidents: Path):
    document = json.loads(sorted(shared_incidents.glob("*.json"))[0].read_text())
    changed = a_broken(data, document)
    assert verdicts(changed, FACTS) in ((True, True), (False, False)), changed


@FUZZ
@given(data=st.data())
def test_a_broken_learnloop_document_gets_the_same_verdict(data: Any, own_document: dict[str, Any]):
    changed = a_broken(data, own_document)
    assert verdicts(changed, LEARNLOOP) in ((True, True), (False, False)), changed


def test_a_refusal_is_explained_by_the_full_validator(shared_incidents: Path):
    document = json.loads(sorted(shared_incidents.glob("*.json"))[0].read_text())
    document["start_time_utc"] = "2026-02-30T10:00:00Z"
    document["surrogate"] = "\ud800"
    assert quickly_valid(document, FACTS, 1) is False
    assert [line.split(" is not")[0] for line in schema_errors("r.json", document, FACTS)] == [
        "r.json: $: Additional properties are not allowed ('surrogate' was unexpected)",
        "r.json: start_time_utc: '2026-02-30T10:00:00Z'",
    ]
