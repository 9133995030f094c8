"""Finds improvement actions like a new one, so the same action is linked, not filed again.
Offline: the overlap (Jaccard) of their stemmed words (learnloop.lib.text)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from learnloop.actions.models import ImprovementAction
from learnloop.lib.text import overlap, stems

THRESHOLD = 0.3


@dataclass
class Similar:
    action: ImprovementAction
    score: float


def similar_actions(
    title: str,
    candidates: QuerySet[ImprovementAction],
    exclude_incident_id: int | None = None,
    limit: int = 5,
) -> list[Similar]:
    wanted = stems(title)
    pool = candidates.select_related("incident")
    if exclude_incident_id is not None:
        pool = pool.exclude(incident_id=exclude_incident_id)
    scored = [Similar(a, overlap(wanted, stems(f"{a.title} {a.description}"))) for a in pool]
    found = [s for s in scored if s.score >= THRESHOLD]
    return sorted(found, key=lambda s: -s.score)[:limit]
