"""The limits both databases honour are in learnloop's own JSON Schema: every string a document
carries into a column of fixed length has that column's maxLength, and every integer its
column's range, so a tool that validates a document against the schema knows them too (the
importer still checks each value as it loads: tests/test_import_limits.py)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.models import User
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations

from learnloop.accounts.models import Membership, Organisation, Service, Team
from learnloop.actions.models import ImprovementAction, PlannedFeature
from learnloop.analysis.models import (
    AnalysisAssignment,
    Interview,
    KeyEvent,
    LearningTheme,
    TimeEntry,
)
from learnloop.incidents.models import ConsequencePolicy, Incident
from learnloop.interchange import narrative_part, snapshot
from learnloop.interchange.checks import HERE, LEARNLOOP_SCHEMAS
from learnloop.narratives.models import (
    Narrative,
    NarrativeRead,
    NarrativeVersion,
    Publication,
    Walkthrough,
    WalkthroughAttendee,
)
from learnloop.reviews.models import ContextNote, ContributingFactor, Learning, Review

INCIDENT = ("incidents", "*")
# Where each model's rows sit in the document, and which of its fields the document carries.
PLACES: list[tuple[tuple[str, ...], type[models.Model], list[str]]] = [
    (("organisation",), Organisation, ["name", "slug", "currency"]),
    (("organisation", "consequence_policy"), ConsequencePolicy, snapshot.POLICY),
    (("organisation", "teams", "*"), Team, ["slug", "name"]),
    (("organisation", "services", "*"), Service, ["slug", "name"]),
    (("organisation", "themes", "*"), LearningTheme, ["slug", "name"]),
    (("organisation", "people", "*"), User, ["email", "first_name", "last_name"]),
    (("organisation", "people", "*"), Membership, ["time_zone"]),
    (("organisation", "planned_features", "*"), PlannedFeature, snapshot.FEATURE),
    (INCIDENT, Incident, snapshot.INCIDENT),
    ((*INCIDENT, "assignments", "*"), AnalysisAssignment, snapshot.ASSIGNMENT),
    ((*INCIDENT, "assignments", "*", "interviews", "*"), Interview, snapshot.INTERVIEW),
    ((*INCIDENT, "assignments", "*", "time_entries", "*"), TimeEntry, snapshot.TIME_ENTRY),
    ((*INCIDENT, "key_events", "*"), KeyEvent, snapshot.KEY_EVENT),
    ((*INCIDENT, "reviews", "*"), Review, snapshot.REVIEW),
    ((*INCIDENT, "reviews", "*", "context_notes", "*"), ContextNote, snapshot.CONTEXT_NOTE),
    ((*INCIDENT, "contributing_factors", "*"), ContributingFactor, snapshot.FACTOR),
    ((*INCIDENT, "learnings", "*"), Learning, snapshot.LEARNING),
    ((*INCIDENT, "improvement_actions", "*"), ImprovementAction, snapshot.ACTION),
    ((*INCIDENT, "narrative"), Narrative, narrative_part.NARRATIVE),
    ((*INCIDENT, "narrative", "versions", "*"), NarrativeVersion, narrative_part.VERSION),
    ((*INCIDENT, "narrative", "publications", "*"), Publication, narrative_part.PUBLICATION),
    ((*INCIDENT, "narrative", "reads", "*"), NarrativeRead, narrative_part.READ),
    ((*INCIDENT, "narrative", "walkthroughs", "*"), Walkthrough, narrative_part.WALKTHROUGH),
    (
        (*INCIDENT, "narrative", "walkthroughs", "*", "attendees", "*"),
        WalkthroughAttendee,
        narrative_part.ATTENDEE,
    ),
]


def node(schema: dict[str, Any], place: tuple[str, ...]) -> dict[str, Any]:
    for step in place:
        schema = schema["items"] if step == "*" else schema["properties"][step]
    return schema


def limits(field: models.Field[Any, Any]) -> dict[str, int]:
    """What the column holds: a length, or an integer range."""
    if isinstance(field, models.CharField) and field.max_length:
        return {"maxLength": field.max_length}
    if isinstance(field, models.IntegerField) and not isinstance(field, models.AutoField):
        # The generic ranges (PostgreSQL's): SQLite's are wider.
        low, high = BaseDatabaseOperations.integer_field_ranges[field.get_internal_type()]
        found = {}
        if low is not None:
            found["minimum"] = low
        if high is not None:
            found["maximum"] = high
        return found
    return {}


def missing(schema: dict[str, Any]) -> list[str]:
    problems = []
    for place, model, names in PLACES:
        properties = node(schema, place)["properties"]
        for name in names:
            field = model._meta.get_field(name)
            declared = properties[name]
            for key, value in limits(field).items():  # type: ignore[arg-type]
                given = declared.get(key)
                looser = given is None or (given > value if key != "minimum" else given < value)
                if looser:
                    problems.append(f"{'.'.join(place)}.{name}: {key} {given}, column {value}")
    return problems


def test_the_schema_carries_every_column_limit(db: Any):
    schema = json.loads((HERE / LEARNLOOP_SCHEMAS[max(LEARNLOOP_SCHEMAS)]).read_text())
    assert not missing(schema)
