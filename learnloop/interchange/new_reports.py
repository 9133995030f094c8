"""Reports whose incidents learnloop does not know yet, written together: each kind of row in
one statement for the whole batch, which is what makes a large import fast. Each report is read
on its own first (`add`), so what is wrong with one still names its document; what only the
database refuses is found again by the importer writing the batch's documents one at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from learnloop.actions.models import ImprovementAction
from learnloop.analysis.models import KeyEvent
from learnloop.incidents.models import ConsequenceDecision, Incident
from learnloop.incidents.services import announce_consequence, policy_decision
from learnloop.insights.search import index_written, new_documents
from learnloop.interchange.reports import (
    Catalogue,
    action_moments,
    action_rows,
    factor_rows,
    first_changes,
    incident_fields,
    timeline_rows,
)
from learnloop.lib.bulk import insert, row_of
from learnloop.reviews.models import ContributingFactor
from learnloop.webhooks.outbox import listeners

BATCH = 200  # reports per batch: a few thousand rows per statement at most


def known_keys(catalogue: Catalogue, keys: list[str]) -> set[str]:
    """Which of these keys the organisation's incidents already hold."""
    known: set[str] = set()
    incidents = Incident.objects.filter(organisation=catalogue.organisation)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        known.update(incidents.filter(key__in=chunk).values_list("key", flat=True))
    return known


@dataclass
class Report:
    """One report read into rows, none saved yet: everything that can be wrong with its values
    is found while reading it, where the refusal can name its document."""

    incident: Incident  # decided by the policy
    reasons: list[str]  # the policy's
    events: list[dict[str, Any]]
    factors: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    themes: list[int]


def read_report(doc: dict[str, Any], catalogue: Catalogue) -> Report:
    """Reads one report of a new incident into rows; the policy decides on its incident here."""
    incident = Incident(
        organisation=catalogue.organisation,
        key=doc["id"],
        **incident_fields(doc, catalogue),
    )
    reasons = catalogue.policy.reasons(incident)
    incident.of_consequence = bool(reasons)
    themes = catalogue.theme_list(doc.get("learning_themes", []))
    moments = action_moments(incident, catalogue.policy)
    return Report(
        incident,
        reasons,
        timeline_rows(incident.key, doc),
        factor_rows(incident.key, doc),
        [{**moments, **row} for row in action_rows(incident, doc, moments["idea_at"])],
        [*dict.fromkeys(theme.pk for theme in themes)],
    )


def write_reports(reports: list[Report], catalogue: Catalogue) -> list[tuple[str, str]]:
    """Writes the reports together, in the caller's transaction."""
    Incident.objects.bulk_create([r.incident for r in reports])
    decisions = [policy_decision(r.incident, r.reasons) for r in reports]
    insert(ConsequenceDecision, map(row_of, decisions))  # their ids are not needed
    insert(KeyEvent, ({"incident_id": r.incident.pk, **v} for r in reports for v in r.events))
    insert(
        ContributingFactor,
        ({"incident_id": r.incident.pk, **v} for r in reports for v in r.factors),
    )
    insert(
        ImprovementAction,
        ({"incident_id": r.incident.pk, **values} for r in reports for values in r.actions),
    )
    written = ImprovementAction.objects.filter(incident__in=[r.incident.pk for r in reports])
    first_changes(written.values_list("id", "status"))
    through = Incident.themes.through
    insert(
        through,
        (
            {"incident_id": r.incident.pk, "learningtheme_id": theme}
            for r in reports
            for theme in r.themes
        ),
    )
    listening = listeners(catalogue.organisation.pk)
    for decision in decisions:
        if decision.of_consequence:  # subscribers hear, as when the policy decides one
            announce_consequence(decision, among=listening)
    # Indexed here, from the rows just written, rather than read back after the commit.
    index_written(
        [r.incident for r in reports],
        [doc for r in reports for doc in new_documents(r.incident, r.events, r.actions)],
    )
    return [("created", r.incident.key) for r in reports]
