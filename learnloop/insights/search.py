"""Full-text search over incidents, key events, improvement actions and narratives, and similar
incidents by their words. SQLite FTS5 on the embedded default, PostgreSQL full-text search on
PostgreSQL; both work offline."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction

from learnloop.incidents.models import Incident
from learnloop.insights.models import SearchDocument
from learnloop.narratives.models import Narrative

WORD = re.compile(r"[^\W_]{2,}", re.UNICODE)
_STOP = (
    "the and for with was were that this from into have has are not but its our all any "
    "when then than out off over under after before while during"
)
STOP = frozenset(_STOP.split())


@dataclass
class Hit:
    kind: str
    ref: str
    incident_key: str
    title: str
    body: str


def words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text) if w.lower() not in STOP]


def _documents_of(incident: Incident) -> list[SearchDocument]:
    org = incident.organisation_id
    docs = [
        SearchDocument(
            organisation_id=org,
            kind="incident",
            ref=incident.key[:64],
            incident_key=incident.key,
            title=incident.title[:300],
            body=" ".join((incident.summary, incident.impact_summary)),
        )
    ]
    for event in incident.key_events.all():
        docs.append(
            SearchDocument(
                organisation_id=org,
                kind="key_event",
                ref=str(event.uid),
                incident_key=incident.key,
                title=incident.title[:300],
                body=" ".join((event.description, event.note, event.actor_role)),
            )
        )
    for action in incident.improvement_actions.all():
        docs.append(
            SearchDocument(
                organisation_id=org,
                kind="action",
                ref=str(action.uid),
                incident_key=incident.key,
                title=action.title[:300],
                body=" ".join((action.description, action.evidence)),
            )
        )
    # Only the published revision: every member searches, and drafts are for the team.
    narrative = (
        Narrative.objects.filter(incident=incident, current_publication__isnull=False)
        .select_related("current_publication__version")
        .first()
    )
    if narrative is not None and narrative.current_publication is not None:
        published = narrative.current_publication
        docs.append(
            SearchDocument(
                organisation_id=org,
                kind="narrative",
                ref=incident.key[:64],
                incident_key=incident.key,
                title=published.title[:300],
                body=published.version.body,
            )
        )
    return docs


def _fts(rows: Iterable[SearchDocument]) -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO insights_fts(rowid, title, body) VALUES (%s, %s, %s)",
                [(d.pk, d.title, d.body) for d in rows],
            )


def _unindex(incidents: list[Incident]) -> None:
    by_organisation: dict[int, list[str]] = {}
    for incident in incidents:
        by_organisation.setdefault(incident.organisation_id, []).append(incident.key)
    for organisation_id, keys in by_organisation.items():
        stale = SearchDocument.objects.filter(
            organisation_id=organisation_id, incident_key__in=keys
        )
        if connection.vendor == "sqlite":
            ids = list(stale.values_list("id", flat=True))
            with connection.cursor() as cursor:
                cursor.executemany("DELETE FROM insights_fts WHERE rowid = %s", [(i,) for i in ids])
        stale.delete()


@transaction.atomic
def reindex(incidents: Iterable[Incident]) -> int:
    """Rebuilds the documents of these incidents; returns how many were written."""
    chosen = list(incidents)
    _unindex(chosen)
    docs = [doc for incident in chosen for doc in _documents_of(incident)]
    SearchDocument.objects.bulk_create(docs, batch_size=2000)
    _fts(docs)
    return len(docs)


def _query(organisation_id: int, terms: list[str], any_term: bool, limit: int) -> list[Hit]:
    if not terms:
        return []
    if connection.vendor == "sqlite":
        match = (" OR " if any_term else " ").join(f'"{t}"' for t in terms)
        sql = (
            "SELECT d.kind, d.ref, d.incident_key, d.title, d.body FROM insights_fts f "
            "JOIN insights_searchdocument d ON d.id = f.rowid "
            "WHERE insights_fts MATCH %s AND d.organisation_id = %s ORDER BY f.rank LIMIT %s"
        )
        params: list[str | int] = [match, organisation_id, limit]
    else:
        query = (" | " if any_term else " & ").join(terms)
        vector = "to_tsvector('english', d.title || ' ' || d.body)"
        sql = (
            f"SELECT d.kind, d.ref, d.incident_key, d.title, d.body FROM "  # noqa: S608 - fixed SQL
            f"insights_searchdocument d, to_tsquery('english', %s) q "
            f"WHERE {vector} @@ q AND d.organisation_id = %s "
            f"ORDER BY ts_rank({vector}, q) DESC LIMIT %s"
        )
        params = [query, organisation_id, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Hit(*row) for row in cursor.fetchall()]


def search(organisation_id: int, text: str, limit: int = 50) -> list[Hit]:
    """Every word must match (stemmed); the best matches first."""
    return _query(organisation_id, words(text)[:12], any_term=False, limit=limit)


def similar_incidents(incident: Incident, limit: int = 5) -> list[tuple[str, float]]:
    """Incidents that share this one's most distinctive words, by cosine similarity of their
    word counts: a near-duplicate comes first."""
    own = [d for d in _documents_of(incident)]
    counts = Counter(w for d in own for w in words(f"{d.title} {d.body}"))
    if not counts:
        return []
    candidates = {
        h.incident_key
        for h in _query(
            incident.organisation_id,
            [w for w, _ in counts.most_common(16)],
            any_term=True,
            limit=40,
        )
    } - {incident.key}
    theirs: dict[str, Counter[str]] = {key: Counter() for key in candidates}
    rows = SearchDocument.objects.filter(
        organisation_id=incident.organisation_id, incident_key__in=candidates
    )
    for key, title, body in rows.values_list("incident_key", "title", "body"):
        theirs[key].update(words(f"{title} {body}"))
    scored = [(key, _cosine(counts, other)) for key, other in theirs.items()]
    return sorted(scored, key=lambda pair: -pair[1])[:limit]


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(a[w] * b[w] for w in a.keys() & b.keys())
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0
