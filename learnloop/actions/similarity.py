"""Finds improvement actions like a new one, so the same action is linked, not filed again.
Offline and dependency-free: word overlap (Jaccard) after light normalisation."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import QuerySet

from learnloop.actions.models import ImprovementAction

_STOPWORDS = (
    "a an and are as at be by for from has have in into is it its of on or that the this to "
    "was were will with we our all any add more new use when"
)
STOPWORDS = frozenset(_STOPWORDS.split())
THRESHOLD = 0.3


def words(text: str) -> frozenset[str]:
    tokens = re.findall(r"[a-z0-9]+", text.lower())
    # Crude stemming: "alerts" and "alerting" meet "alert".
    stems = {re.sub(r"(ing|ed|es|s)$", "", t) for t in tokens if t not in STOPWORDS}
    return frozenset(s for s in stems if len(s) > 2)


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


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
    wanted = words(title)
    pool = candidates.select_related("incident")
    if exclude_incident_id is not None:
        pool = pool.exclude(incident_id=exclude_incident_id)
    scored = [Similar(a, overlap(wanted, words(f"{a.title} {a.description}"))) for a in pool]
    found = [s for s in scored if s.score >= THRESHOLD]
    return sorted(found, key=lambda s: -s.score)[:limit]
