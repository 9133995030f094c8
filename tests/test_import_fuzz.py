"""The importer never shows a traceback and never half-writes. Hypothesis takes real documents of
both formats (a report from ../shared, and learnloop's own export of a reviewed and published
incident) and breaks them: a value somewhere replaced by an extreme or malformed one, a property
removed or added. Every such document either imports, after which `learnloop export` still
works, or is refused with `FILE: JSON-PATH: message` lines and exit status 1, every table (the
organisations included) exactly as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnloop.accounts.models import Organisation
from learnloop.cli import main
from tests.conftest import World
from tests.test_export import export
from tests.test_export_reviews import a_reviewed_and_published_incident

DEEP = "__deeply_nested__"
NASTY = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80),
    st.sampled_from([2**63, -(2**63) - 1, 10**60, 0, -1]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.text(alphabet=st.characters(categories=["Cs"]), min_size=1, max_size=3),
    st.sampled_from(
        [
            "",
            "\x00",
            "a\x00b",
            "x" * 5000,
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-01:00",
            "2026-03-01t10:00:00z",
            "2026-02-30T10:00:00Z",
            "1" * 60,
            "1e60",
            "-0.000000001",
            "NaN",
            "not-a-uuid",
            "00000000-0000-0000-0000-000000000000",
            "no-such-team",
            DEEP,
        ]
    ),
    st.none(),
    st.booleans(),
    st.just([]),
    st.just({}),
    st.lists(st.text(max_size=5), max_size=3),
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def broken(document: dict[str, Any], path: tuple[Any, ...], how: str, value: Any) -> str:
    """The document with one change at `path`, as JSON text."""
    copy = json.loads(json.dumps(document))
    if not path:
        return json.dumps(value) if how == "replace" else json.dumps(copy)
    parent = copy
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if how == "replace":
        parent[last] = value
    elif how == "remove":
        del parent[last]
    elif isinstance(parent, dict):
        parent[f"{last}_unknown"] = value
    text = json.dumps(copy, allow_nan=True)
    return text.replace(json.dumps(DEEP), "[" * 10_000 + "]" * 10_000)


def every_table() -> dict[str, list[dict[str, Any]]]:
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.managed
    }


def imported_or_refused(
    text: str, folder: Path, capsys: Any, extra: list[str]
) -> tuple[int, list[str]]:
    path = folder / "document.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    capsys.readouterr()
    before = every_table()
    status = main(["import", str(path), *extra])
    errors = capsys.readouterr().err.splitlines()
    if status == 0:
        exported = folder / "export.json"
        for slug in Organisation.objects.values_list("slug", flat=True):
            assert main(["export", "--org", slug, "--output", str(exported)]) == 0, errors
            json.loads(exported.read_text())
    else:
        assert status == 1
        problems = [line for line in errors if not line.startswith("learnloop: ")]
        assert problems and all(line.startswith(f"{path}: ") for line in problems), errors
        assert all(line.count(": ") >= 2 for line in problems), errors
        assert every_table() == before, "a refused document changed the database"
    return status, errors


FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


def a_break(data: Any, document: dict[str, Any]) -> str:
    """The document with one thing broken somewhere, as drawn."""
    path = data.draw(st.sampled_from(paths(document)))
    how = data.draw(st.sampled_from(["replace", "replace", "remove", "add"]))
    return broken(document, path, how, data.draw(NASTY))


@pytest.fixture
def facts_document(shared_incidents: Path) -> dict[str, Any]:
    return dict(json.loads(sorted(shared_incidents.glob("*.json"))[0].read_text()))


@FUZZ
@given(data=st.data())
def test_a_broken_facts_document_imports_or_is_refused_cleanly(
    data: Any, facts_document: dict[str, Any], world: World, tmp_path: Path, capsys: Any
):
    imported_or_refused(a_break(data, facts_document), tmp_path, capsys, ["--org", "acme"])


@pytest.fixture
def own_document(world: World, capsys: Any) -> dict[str, Any]:
    a_reviewed_and_published_incident(world)
    return export(capsys, "--org", "acme")


@FUZZ
@given(data=st.data())
def test_a_broken_learnloop_document_imports_or_is_refused_cleanly(
    data: Any, own_document: dict[str, Any], world: World, tmp_path: Path, capsys: Any
):
    imported_or_refused(a_break(data, own_document), tmp_path, capsys, [])
