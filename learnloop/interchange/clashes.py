"""Uids are unique across the whole database, not only within one incident: a document whose
record carries the uid of a record of another incident here could not be written. Found before
the transaction starts, so the import names them and writes nothing."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from django.db import models

from learnloop.actions.models import ImprovementAction
from learnloop.analysis.models import AnalysisAssignment, Interview, KeyEvent, TimeEntry
from learnloop.interchange.references import uids_of
from learnloop.narratives.models import Publication, Walkthrough
from learnloop.reviews.models import ContextNote, ContributingFactor, Learning, Review

# Each list of the document, its table, and the path from a row to its incident.
TABLES: dict[str, tuple[type[models.Model], str]] = {
    "assignments": (AnalysisAssignment, "incident"),
    "key_events": (KeyEvent, "incident"),
    "reviews": (Review, "incident"),
    "contributing_factors": (ContributingFactor, "incident"),
    "learnings": (Learning, "incident"),
    "improvement_actions": (ImprovementAction, "incident"),
    "interviews": (Interview, "assignment__incident"),
    "time_entries": (TimeEntry, "assignment__incident"),
    "context_notes": (ContextNote, "review__incident"),
    "publications": (Publication, "narrative__incident"),
    "walkthroughs": (Walkthrough, "narrative__incident"),
}
BATCH = 500  # uids per query: SQLite limits the parameters of one statement


def clash_errors(name: str, doc: dict[str, Any]) -> list[str]:
    org = doc["organisation"]["slug"]
    wanted: dict[str, dict[uuid.UUID, tuple[str, str]]] = defaultdict(dict)
    for index, incident in enumerate(doc["incidents"]):
        for kind, where, uid in uids_of(f"incidents[{index}]", incident):
            wanted[kind][uuid.UUID(uid)] = (where, incident["key"])
    errors = []
    for kind, rows in wanted.items():
        model, to_incident = TABLES[kind]
        uids = list(rows)
        for start in range(0, len(uids), BATCH):
            held = model._default_manager.filter(uid__in=uids[start : start + BATCH]).values_list(
                "uid", f"{to_incident}__organisation__slug", f"{to_incident}__key"
            )
            for uid, held_org, held_key in held:
                where, key = rows[uid]
                if (held_org, held_key) != (org, key):
                    errors.append(
                        f"{name}: {where}: uid {uid} already belongs to {held_key} of {held_org}"
                    )
    return sorted(errors)
