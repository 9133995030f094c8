"""lib.bulk.insert writes rows without model instances, for the imports and the search index: what
it writes must read back exactly as what bulk_create writes from the same values (conversions,
defaults for what a row leaves out), on both databases. Hypothesis picks the values."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from django.db import connection, models, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnloop.actions.models import ActionKind, ActionStatus, ImprovementAction
from learnloop.analysis.models import KeyEvent
from learnloop.incidents.models import ConsequenceDecision, Incident
from learnloop.incidents.services import policy_decision
from learnloop.insights.models import SearchDocument
from learnloop.lib.bulk import insert, row_of
from tests.conftest import World

EXAMPLES = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=40)
MOMENTS = st.datetimes(
    min_value=datetime(1971, 1, 1),  # noqa: DTZ001 - hypothesis takes naive bounds
    max_value=datetime(2099, 1, 1),  # noqa: DTZ001
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
    ),
)
DECIMALS = st.decimals(min_value=0, max_value=9999, places=2, allow_nan=False)

ACTION = st.fixed_dictionaries(
    {
        "title": TEXT,
        "kind": st.sampled_from(ActionKind.values),
        "idea_at": MOMENTS,
        "target_at": MOMENTS,
    },
    optional={
        "description": TEXT,
        "status": st.sampled_from(ActionStatus.values),
        "estimate_weeks": st.none() | DECIMALS,
        "in_practice_at": st.none() | MOMENTS,
        "position": st.integers(0, 2**31 - 1),
        "created_at": MOMENTS,
    },
)
KEY_EVENT = st.fixed_dictionaries(
    {"description": TEXT},
    optional={
        "occurred_at": st.none() | MOMENTS,
        "precision": st.sampled_from(["minute", "hour", "day"]),
        "actor_role": TEXT,
        "note": TEXT,
        "position": st.integers(0, 2**31 - 1),
    },
)
DOCUMENT = st.fixed_dictionaries(
    {"kind": st.sampled_from(["incident", "key_event"]), "title": TEXT, "body": TEXT},
    optional={"analyst_id": st.none() | st.integers(1, 2**62), "incident_team_id": st.none()},
)


def written_both_ways(
    model: type[models.Model], given_values: dict[str, Any], parent: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The row bulk_create writes and the row insert writes from the same values, as stored
    (read by plain SQL, so a datetime kept as other text than the ORM's shows), without their
    ids, and uids or refs, which must differ."""
    with transaction.atomic():
        first = {**parent, **given_values}
        if any(field.name == "uid" for field in model._meta.fields):
            first["uid"] = uuid.uuid4()
        if model is SearchDocument:
            first["ref"] = "first"
        model.objects.bulk_create([model(**first)])
        second = {**first}
        if "uid" in first:
            second["uid"] = uuid.uuid4()
        if model is SearchDocument:
            second["ref"] = "second"
        assert insert(model, [second]) == 1
        ids = list(model.objects.filter(**parent).order_by("id").values_list("id", flat=True))
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT * FROM {table} WHERE id IN (%s, %s) ORDER BY id", ids)  # noqa: S608
            names = [column[0] for column in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        transaction.set_rollback(True)
    assert len(rows) == 2
    for row in rows:
        for name in ("id", "uid", "ref", "search_vector"):
            row.pop(name, None)
    return rows[0], rows[1]


@pytest.fixture
def incident(world: World) -> Incident:
    return Incident.objects.create(
        organisation=world.org,
        key="INC-1",
        title="Bulk",
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


@EXAMPLES
@given(values=ACTION)
def test_an_inserted_action_reads_back_as_a_bulk_created_one(incident: Incident, values: Any):
    values.setdefault("created_at", datetime(2026, 2, 1, tzinfo=UTC))  # else "now", twice
    parent = {"incident_id": incident.pk, "organisation_id": incident.organisation_id}
    by_orm, by_insert = written_both_ways(ImprovementAction, values, parent)
    assert by_insert == by_orm


@EXAMPLES
@given(values=KEY_EVENT)
def test_an_inserted_key_event_reads_back_as_a_bulk_created_one(incident: Incident, values: Any):
    by_orm, by_insert = written_both_ways(KeyEvent, values, {"incident_id": incident.pk})
    assert by_insert == by_orm


@EXAMPLES
@given(values=DOCUMENT)
def test_an_inserted_search_document_reads_back_as_a_bulk_created_one(world: World, values: Any):
    parent = {"organisation_id": world.org.pk, "incident_key": "INC-1"}
    by_orm, by_insert = written_both_ways(SearchDocument, values, parent)
    assert by_insert == by_orm


@pytest.mark.parametrize("reasons", [[], ["severity SEV1 is SEV2 or higher", "customer-facing"]])
def test_an_unsaved_decision_inserted_as_its_row_reads_back_as_a_bulk_created_one(
    incident: Incident, reasons: list[str]
):
    """What the imports write for the policy's decisions: row_of an instance made, not saved."""
    decision = policy_decision(incident, reasons)
    values = {name: value for name, value in row_of(decision).items() if name != "incident_id"}
    assert set(values) == {"of_consequence", "decided_by_id", "by_policy", "reason", "created_at"}
    by_orm, by_insert = written_both_ways(ConsequenceDecision, values, {"incident_id": incident.pk})
    assert by_insert == by_orm
    assert by_insert["of_consequence"] == bool(reasons)


def test_a_row_naming_no_field_of_the_model_is_refused_and_nothing_is_written(incident: Incident):
    with pytest.raises(ValueError, match="KeyEvent: no field descripton"):
        insert(KeyEvent, [{"incident_id": incident.pk, "descripton": "typo"}])
    assert not KeyEvent.objects.exists()
    assert insert(KeyEvent, []) == 0
