"""Full-text search over incidents, key events, improvement actions and narratives, and similar
incidents by their words. SQLite FTS5 on the embedded default, PostgreSQL full-text search (a
stored tsvector with a GIN index) on PostgreSQL; both work offline."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse

from learnloop.accounts.models import Membership, Role
from learnloop.actions.models import ImprovementAction
from learnloop.analysis.models import KeyEvent
from learnloop.incidents.models import Incident
from learnloop.insights.models import IndexBacklog, SearchDocument
from learnloop.lib.bulk import insert
from learnloop.lib.planner import tsquery
from learnloop.lib.text import terms as text_terms
from learnloop.narratives.models import Narrative

KIND_LABELS = {
    "incident": "incident",
    "key_event": "key event",
    "action": "improvement action",
    "narrative": "narrative",
}


@dataclass
class Hit:
    kind: str
    ref: str
    incident_key: str
    title: str
    body: str

    @property
    def label(self) -> str:
        """What the hit is, in words (never the index's own names)."""
        return KIND_LABELS.get(self.kind, self.kind.replace("_", " "))

    @property
    def url(self) -> str:
        """Where the hit is read: the action's page, the published narrative, or the incident."""
        if self.kind == "action":
            return reverse("action_detail", args=[self.ref])
        if self.kind == "narrative":
            return reverse("portal_narrative", args=[self.incident_key])
        return reverse("incident_detail", args=[self.incident_key])

    @property
    def snippet(self) -> str:
        text = " ".join(self.body.split())
        return text if len(text) <= 200 else text[:199].rstrip() + "…"


# A search document as written: SearchDocument's fields by name (lib.bulk.insert writes them).
Document = dict[str, Any]


def _incident_document(incident: Incident) -> Document:
    return {
        "organisation_id": incident.organisation_id,
        "kind": "incident",
        "ref": incident.key[:64],
        "incident_key": incident.key,
        "title": incident.title[:300],
        "body": " ".join((incident.summary, incident.impact_summary)),
    }


def _event_document(incident: Incident, uid: Any, text: Iterable[str], analyst: Any) -> Document:
    """A key event's document: its description, note and actor role are its body."""
    return {
        "organisation_id": incident.organisation_id,
        "kind": "key_event",
        "ref": str(uid),
        "incident_key": incident.key,
        "title": incident.title[:300],
        "body": " ".join(text),
        "analyst_id": analyst,
        "incident_team_id": incident.team_id,
    }


def _action_document(incident: Incident, uid: Any, title: str, text: Iterable[str]) -> Document:
    """An improvement action's document: its description and evidence are its body."""
    return {
        "organisation_id": incident.organisation_id,
        "kind": "action",
        "ref": str(uid),
        "incident_key": incident.key,
        "title": title[:300],
        "body": " ".join(text),
    }


def new_documents(
    incident: Incident, events: list[dict[str, Any]], actions: list[dict[str, Any]]
) -> list[Document]:
    """The documents of an imported incident about to be written with these key events and
    actions (as lib.bulk.insert takes them): what _documents_of would read back once they are.
    An imported report's key events are nobody's analysis (no analyst)."""
    return [
        _incident_document(incident),
        *(
            _event_document(
                incident,
                event["uid"],
                (event["description"], event.get("note", ""), event.get("actor_role", "")),
                None,
            )
            for event in events
        ),
        *(
            _action_document(
                incident,
                action["uid"],
                action["title"],
                (action.get("description", ""), action.get("evidence", "")),
            )
            for action in actions
        ),
    ]


def _documents_of(incidents: list[Incident]) -> list[Document]:
    """Every document of these incidents, in order: each incident, its key events, its
    improvement actions and its published narrative (only that revision: every member searches,
    and drafts are for the team). Three queries for the lot, whatever their number."""
    ids = [incident.pk for incident in incidents]
    events: dict[int, list[tuple[Any, ...]]] = {}
    for row in KeyEvent.objects.filter(incident_id__in=ids).values_list(
        "incident_id", "uid", "description", "note", "actor_role", "assignment__analyst_id"
    ):
        events.setdefault(row[0], []).append(row)
    actions: dict[int, list[tuple[Any, ...]]] = {}
    for action in ImprovementAction.objects.filter(incident_id__in=ids).values_list(
        "incident_id", "uid", "title", "description", "evidence"
    ):
        actions.setdefault(action[0], []).append(action)
    published = {
        narrative.incident_id: narrative.current_publication
        for narrative in Narrative.objects.filter(
            incident_id__in=ids, current_publication__isnull=False
        ).select_related("current_publication__version")
    }
    docs = []
    for incident in incidents:
        docs.append(_incident_document(incident))
        docs.extend(
            _event_document(incident, uid, text, analyst)
            for _, uid, *text, analyst in events.get(incident.pk, [])
        )
        docs.extend(
            _action_document(incident, uid, title, text)
            for _, uid, title, *text in actions.get(incident.pk, [])
        )
        publication = published.get(incident.pk)
        if publication is not None:
            docs.append(
                {
                    "organisation_id": incident.organisation_id,
                    "kind": "narrative",
                    "ref": incident.key[:64],
                    "incident_key": incident.key,
                    "title": publication.title[:300],
                    "body": publication.version.body,
                }
            )
    return docs


def fts_match(words: Iterable[str], any_word: bool = False, kind: str | None = None) -> str:
    """An FTS5 query for these (stemmed) words in documents' titles and bodies: every word, or
    any of them; only documents of this kind, when given (the table's `kind` column, which the
    words must never match)."""
    joined = (" OR " if any_word else " ").join(f'"{w}"' for w in words)
    text = f"{{title body}} : ({joined})"
    return f"kind : {kind} AND {text}" if kind else text


def refill_fulltext() -> None:
    """SQLite's full-text table made again from the search documents (after a restore); its
    columns are the ones _fts below writes (migration insights/0005)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM insights_fts")
            cursor.execute(
                "INSERT INTO insights_fts(rowid, title, body, kind) "
                "SELECT id, title, body, kind FROM insights_searchdocument"
            )


def _by_organisation(incidents: Iterable[Incident]) -> dict[int, list[str]]:
    keys: dict[int, list[str]] = {}
    for incident in incidents:
        keys.setdefault(incident.organisation_id, []).append(incident.key)
    return keys


def _on_documents(statement: str, incidents: Iterable[Incident]) -> None:
    """Runs the statement for these incidents' documents: `{where}` in it becomes a condition
    on insights_searchdocument naming them, one run per organisation and 500 incidents."""
    with connection.cursor() as cursor:
        for organisation_id, keys in _by_organisation(incidents).items():
            for at in range(0, len(keys), 500):
                chunk = keys[at : at + 500]
                marks = ", ".join(["%s"] * len(chunk))
                where = f"organisation_id = %s AND incident_key IN ({marks})"
                cursor.execute(statement.format(where=where), [organisation_id, *chunk])


def _fts(incidents: list[Incident]) -> None:
    """SQLite's full-text rows of these incidents' documents (just written, none indexed yet),
    in the order of their ids: FTS5 writes what it holds to disk whenever a row comes before
    the last one, and read in the index's order (by kind and ref within an incident, since
    insights/0008) the bench's seed of 100,000 incidents wrote a segment for nearly every
    document. PostgreSQL's stored vector and its index follow the rows themselves."""
    if connection.vendor == "sqlite":
        _on_documents(
            "INSERT INTO insights_fts(rowid, title, body, kind) "
            "SELECT id, title, body, kind FROM insights_searchdocument WHERE {where} ORDER BY id",
            incidents,
        )


# SQLite's full-text rows of the documents `{where}` names (no foreign key links them).
_FTS_FORGET = (
    "DELETE FROM insights_fts WHERE rowid IN (SELECT id FROM insights_searchdocument WHERE {where})"
)


def unindex(incidents: list[Incident]) -> None:
    """Removes these incidents' documents from the index (before they are rebuilt or deleted)."""
    if connection.vendor == "sqlite":
        _on_documents(_FTS_FORGET, incidents)
    for organisation_id, keys in _by_organisation(incidents).items():
        documents = SearchDocument.objects.filter(organisation_id=organisation_id)
        documents.filter(incident_key__in=keys).delete()


def unindex_organisation(organisation_id: int) -> None:
    """Removes an organisation's documents from SQLite's full-text table (before they are
    deleted with it; PostgreSQL's index goes with the rows)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(_FTS_FORGET.format(where="organisation_id = %s"), [organisation_id])


@transaction.atomic
def reindex(incidents: Iterable[Incident]) -> int:
    """Rebuilds the documents of these incidents; returns how many were written. Their backlog
    rows go in the same transaction."""
    chosen = list(incidents)
    if connection.vendor == "postgresql":
        # A statement run five times on a connection is planned once for it (settings.py). A
        # long rebuild grows the very table its statements read, and kept the plan made when
        # it was nearly empty: a scan of every document for each batch (9-21 s a batch at
        # 600,000 documents, against 2 s once planned afresh). Planned each time here.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")
    # Two processes rebuilding one incident at once (its own commit's, and a repair) take turns.
    list(
        Incident.objects.select_for_update()
        .filter(pk__in=[i.pk for i in chosen])
        .order_by("pk")
        .values_list("pk")
    )
    unindex(chosen)
    docs = [
        doc for at in range(0, len(chosen), 500) for doc in _documents_of(chosen[at : at + 500])
    ]
    insert(SearchDocument, docs)
    _fts(chosen)
    IndexBacklog.objects.filter(incident_id__in=[i.pk for i in chosen]).delete()
    return len(docs)


def index_new(incident: Incident) -> None:
    """Indexes an incident just recorded, in the transaction that records it: it has nothing
    else to index yet (its key events, actions and narrative come later and reindex it)."""
    index_written([incident], [_incident_document(incident)])


def index_written(incidents: list[Incident], docs: list[Document]) -> None:
    """Indexes new incidents, in the transaction that writes them, from their documents as
    new_documents makes them (none of them indexed before)."""
    insert(SearchDocument, docs)
    _fts(incidents)


def queue(incident_ids: Iterable[int]) -> None:
    """Records, in the caller's transaction, that these incidents' documents are to be rebuilt."""
    rows = [IndexBacklog(incident_id=pk) for pk in incident_ids]
    IndexBacklog.objects.bulk_create(rows, ignore_conflicts=True)


def reindex_batches(incident_ids: list[int], batch: int = 500) -> None:
    """Rebuilds these incidents' documents, each batch in a transaction of its own."""
    for at in range(0, len(incident_ids), batch):
        reindex(Incident.objects.filter(pk__in=incident_ids[at : at + batch]))


def repair(batch: int = 500) -> int:
    """Rebuilds every incident left in the backlog (a process died between its commit and the
    indexing after it, or is about to index it itself); returns how many were rebuilt."""
    done = 0
    while True:
        waiting = list(
            IndexBacklog.objects.order_by("id").values_list("incident_id", flat=True)[:batch]
        )
        if not waiting:
            return done
        with transaction.atomic():
            found = list(Incident.objects.filter(pk__in=waiting))
            reindex(found)
            IndexBacklog.objects.filter(incident_id__in=waiting).delete()  # deleted incidents too
        done += len(found)


def merge_fulltext() -> None:
    """The full-text index made compact again after many changes. Every change to an incident
    rebuilds its documents: the index keeps the old ones as deletions to skip and the new ones
    in small pieces of their own, which every search then reads. On SQLite FTS5's `optimize`
    merges them (0.6 s for the bench's 420,000 documents; similar incidents 39 -> 20 ms p50 after
    the bench's own writes); on PostgreSQL the GIN indexes' lists of pending entries are merged
    into them, as autovacuum would (they are kept short anyway: insights/0009)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("INSERT INTO insights_fts(insights_fts) VALUES ('optimize')")
        else:
            cursor.execute(
                "SELECT gin_clean_pending_list('insights_search_vector'::regclass), "
                "gin_clean_pending_list('insights_narrative_vector'::regclass)"
            )


def reindex_command(everything: bool, out: Any) -> int:
    """`learnloop reindex`: rebuilds what the backlog holds, or (--all) every incident, and
    merges the full-text index."""
    if everything:
        queue(Incident.objects.values_list("pk", flat=True).iterator())
    print(f"Rebuilt the search documents of {repair()} incidents.", file=out)
    merge_fulltext()
    return 0


def _reader(membership: Membership | None) -> tuple[int, int] | None:
    """Whose analyses this person reads beyond the organisation's common documents: (their own
    user id, the team whose incidents they manage or -1); None when they read everything (problem
    managers, admins). The same rule as the pages (rights.can_view_assignment)."""
    if membership is None or membership.role in (Role.PROBLEM_MANAGER, Role.ADMIN):
        return None
    team = membership.team_id if membership.role == Role.PRODUCT_MANAGER else None
    return membership.user_id, team if team is not None else -1


def visible_to(membership: Membership | None) -> tuple[str, list[int]]:
    """_reader as an SQL condition on the documents aliased `d`, with its parameters."""
    reader = _reader(membership)
    if reader is None:
        return "", []
    rule = " AND (d.analyst_id IS NULL OR d.analyst_id = %s OR d.incident_team_id = %s)"
    return rule, list(reader)


def visible_q(membership: Membership | None) -> Q:
    """_reader as an ORM condition."""
    reader = _reader(membership)
    if reader is None:
        return Q()
    user_id, team_id = reader
    return Q(analyst_id__isnull=True) | Q(analyst_id=user_id) | Q(incident_team_id=team_id)


CANDIDATES = 40  # incidents scored in full for "similar incidents"
CONSIDERED = 100  # an incident's most frequent words, of which the distinctive are chosen
WORDS = 16  # at most this many of an incident's words look for candidates
MATCH_BUDGET = 5_000  # matches a search ranks (estimated)
# Matches similar incidents rank (estimated, and at most): ranking 5,000 on PostgreSQL took 10 ms,
# which at 100,000 incidents most of the bench's incidents' words came near.
SIMILAR_BUDGET = 2_000
# Documents holding two common words together that similar incidents rank at most on PostgreSQL.
# Each is read from the table: two words in every improvement action of the bench (7,518 at
# 100,000 incidents) took 10 ms to rank 5,000; at 1,000 the pair took 3.2-3.5 ms p50 at 100,000
# incidents against 0.7-1.0 at 20,000, and at 200 it takes 2.0 against 0.7.
PAIRED = 200


class Hits(list[Hit]):
    """What a search found, best first; or, when every word is so common that its matches are
    more than MATCH_BUDGET documents (ranking them all would take most of a second), the most
    recently written first (by the index's own order)."""

    newest_first: bool = False


def _query(
    organisation_id: int,
    terms: list[str],
    limit: int,
    viewer: Membership | None,
    offset: int,
    newest_first: bool,
) -> list[Hit]:
    rule, rule_params = visible_to(viewer)
    if connection.vendor == "sqlite":
        match = fts_match(terms)
        order = "f.rowid DESC" if newest_first else "f.rank, d.id"
        sql = (
            "SELECT d.kind, d.ref, d.incident_key, d.title, d.body FROM insights_fts f "  # noqa: S608
            "JOIN insights_searchdocument d ON d.id = f.rowid "
            f"WHERE insights_fts MATCH %s AND d.organisation_id = %s{rule} "
            f"ORDER BY {order} LIMIT %s OFFSET %s"
        )
        params: list[str | int] = [match, organisation_id, *rule_params, limit, offset]
    else:
        vector = "d.search_vector"  # stored, with its GIN index (migration 0004)
        order = "d.id DESC" if newest_first else f"ts_rank({vector}, q) DESC, d.id"
        sql = (
            f"SELECT d.kind, d.ref, d.incident_key, d.title, d.body FROM "  # noqa: S608 - fixed SQL
            f"insights_searchdocument d, {tsquery(' & '.join(terms))} q "
            f"WHERE {vector} @@ q AND d.organisation_id = %s{rule} "
            f"ORDER BY {order} LIMIT %s OFFSET %s"
        )
        params = [organisation_id, *rule_params, limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Hit(*row) for row in cursor.fetchall()]


def search(membership: Membership, text: str, limit: int = 50, offset: int = 0) -> Hits:
    """Every word must match (stemmed); the best matches first (see Hits); only what this
    person may see on the pages."""
    terms = text_terms(text)[:12]
    if not terms:
        return Hits()
    _, frequencies = document_frequencies(terms)
    found = Hits()
    found.newest_first = min(frequencies.get(t, 0) for t in terms) > MATCH_BUDGET
    found += _query(
        membership.organisation_id, terms, limit, membership, offset, found.newest_first
    )
    return found


def similar_incidents(
    incident: Incident, viewer: Membership, limit: int = 5
) -> list[tuple[str, float]]:
    """Incidents that share this one's most distinctive words, by cosine similarity of their
    word counts: a near-duplicate comes first. Only the words this person may read count, so
    the scores cannot tell them anything the pages would not.

    Candidates are found by the words that are frequent here and rare elsewhere (tf-idf), as
    many as match at most SIMILAR_BUDGET documents together: a word in a fifth of all documents
    tells little and costs most, since every document it matches is ranked. When even the rarest
    word matches more, its documents that also hold the next rarest are candidates (the index
    finds them together: `_Found.paired`); failing those, the most recent holding it."""
    readable = SearchDocument.objects.filter(
        visible_q(viewer), organisation_id=incident.organisation_id
    ).values_list("incident_key", "title", "body")
    counts = Counter(
        w
        for _, title, body in readable.filter(incident_key=incident.key)
        for w in text_terms(f"{title} {body}")
    )
    if not counts:
        return []
    considered = Counter(dict(counts.most_common(CONSIDERED)))
    total, frequencies = document_frequencies(list(considered))
    words = _distinctive(considered, total, frequencies)
    found = _Found(incident.organisation_id, viewer, incident.key)
    if sum(frequencies.get(w, 0) for w in words) <= SIMILAR_BUDGET:
        candidates = found.ranked(words, any_word=True)
    else:  # only the rarest word is left, and it is common
        rarest = sorted(considered, key=lambda w: (frequencies.get(w, 0), w))[:2]
        together = found.paired(rarest) if len(rarest) == 2 else []
        candidates = together or found.newest(rarest[:1])
    theirs: dict[str, Counter[str]] = {key: Counter() for key in candidates}
    for key, title, body in readable.filter(incident_key__in=candidates):
        theirs[key].update(text_terms(f"{title} {body}"))
    scored = [(key, _cosine(counts, other)) for key, other in theirs.items()]
    return sorted(scored, key=lambda pair: (-pair[1], pair[0]))[:limit]


def _distinctive(counts: Counter[str], total: int, frequencies: dict[str, int]) -> list[str]:
    """The words to look for: by weight (count here x rarity among `total` documents), while
    together they match at most SIMILAR_BUDGET documents; at least the rarest word."""

    def weight(word: str) -> float:
        return counts[word] * math.log((total + 1) / (frequencies.get(word, 0) + 1))

    chosen: list[str] = []
    matched = 0
    for word in sorted(counts, key=lambda w: (-weight(w), w)):
        found = frequencies.get(word, 0)
        if matched + found <= SIMILAR_BUDGET:
            chosen.append(word)
            matched += found
        if len(chosen) == WORDS:
            break
    return chosen or [min(counts, key=lambda w: (frequencies.get(w, 0), w))]


def document_frequencies(words: list[str]) -> tuple[int, dict[str, int]]:
    """How many search documents there are, and how many hold each word (stemmed as the index
    stems it), as far as the database knows it cheaply: PostgreSQL from its statistics of the
    stored vectors (a word too rare to be among their most common elements counts 0), SQLite
    exactly from its index (`_indexed_counts`), counts each process keeps for a while
    (`WORD_COUNTS`). SQLite once counted each word's matches only up to one past MATCH_BUDGET:
    at 100,000 incidents every word of an incident tied, and the "rarest" two were the first in
    the alphabet, often in no document together."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT max(id) FROM insights_searchdocument")
            total = int(cursor.fetchone()[0] or 0)
            return total, WORD_COUNTS.of(cursor, total, words)
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = 'insights_searchdocument'::regclass"
        )
        total = max(int(cursor.fetchone()[0]), 0)  # -1 before the first ANALYZE
        cursor.execute(
            "SELECT w, s.f FROM unnest(%s::text[]) AS w "
            "JOIN (SELECT e, f FROM pg_stats, "
            "unnest(most_common_elems::text::text[], most_common_elem_freqs) AS u(e, f) "
            "WHERE schemaname = current_schema() AND tablename = 'insights_searchdocument' "
            "AND attname = 'search_vector') AS s ON s.e = (ts_lexize('english_stem', w))[1]",
            [words],
        )
        return total, {word: int(share * total) for word, share in cursor.fetchall()}


@dataclass
class _Found:
    """Other incidents of the organisation, by what this person may read of their documents: a
    few dozen candidates for similar incidents."""

    organisation_id: int
    viewer: Membership
    own_key: str

    def ranked(
        self, words: list[str], any_word: bool = False, at_most: int | None = None
    ) -> list[str]:
        """Incidents whose documents hold every one (or any) of these words, best matches first;
        only the first `at_most` matching documents (else SIMILAR_BUDGET, read when called)
        are ranked, whatever the estimates said."""
        if connection.vendor == "sqlite":
            matching = [fts_match(words, any_word)]
            sql = (
                "SELECT d.incident_key, f.rank AS r FROM insights_fts f "
                "JOIN insights_searchdocument d ON d.id = f.rowid WHERE insights_fts MATCH %s "
            )
            best = "min(r)"
        else:
            matching = []  # in the statement, which is planned for them
            sql = (
                "SELECT d.incident_key, ts_rank(d.search_vector, q) AS r FROM "  # noqa: S608
                "insights_searchdocument d, "
                f"{tsquery((' | ' if any_word else ' & ').join(words))} q "
                "WHERE d.search_vector @@ q "
            )
            best = "max(r) DESC"
        return self._keys(
            f"SELECT incident_key FROM ({sql}{{where}} LIMIT %s) m "  # noqa: S608 - fixed SQL
            f"GROUP BY incident_key ORDER BY {best}, incident_key LIMIT %s",
            matching,
            [SIMILAR_BUDGET if at_most is None else at_most, CANDIDATES],
        )

    def paired(self, words: list[str]) -> list[str]:
        """Incidents whose documents hold both these common words, found as each index stops
        soonest: FTS5 walks the two words' lists together from their newest end, and stops at
        enough (ranking by bm25 first reads both lists whole: 5.0 against 1.3 ms for two
        words at 100,000 incidents); a GIN index reads both lists whole whatever is asked, and
        the first PAIRED documents are ranked (their newest, in order, meant fetching every
        match first: 40 ms for two words in 7,518 documents together)."""
        if connection.vendor == "sqlite":
            return self.newest(words)
        return self.ranked(words, at_most=PAIRED)

    def newest(self, words: list[str]) -> list[str]:
        """Incidents whose most recently written documents hold these words (ranking every
        match of a common word is what made this slow), by the index's own order."""
        if connection.vendor == "sqlite":
            matching = [fts_match(words)]
            sql = (
                "SELECT d.incident_key FROM insights_fts f JOIN insights_searchdocument d "
                "ON d.id = f.rowid WHERE insights_fts MATCH %s {where} ORDER BY f.rowid DESC"
            )
        else:
            matching = []
            sql = (
                "SELECT d.incident_key FROM insights_searchdocument d "  # noqa: S608
                f"WHERE d.search_vector @@ {tsquery(' & '.join(words))} {{where}} "
                "ORDER BY d.id DESC"
            )
        return self._keys(f"{sql} LIMIT %s", matching, [CANDIDATES * 10])  # of fewer incidents

    def _keys(self, sql: str, before: list[Any], after: list[Any]) -> list[str]:
        """The statement's incident keys, in order, once each; `{where}` in it becomes this
        person's condition on the documents `d` of other incidents of the organisation."""
        rule, rule_params = visible_to(self.viewer)
        where = f"AND d.organisation_id = %s{rule} AND d.incident_key != %s"
        params = [*before, self.organisation_id, *rule_params, self.own_key, *after]
        with connection.cursor() as cursor:
            cursor.execute(sql.format(where=where), params)
            keys = dict.fromkeys(key for (key,) in cursor.fetchall())
        return list(keys)[:CANDIDATES]


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(a[w] * b[w] for w in a.keys() & b.keys())
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


@dataclass
class Counted:
    """SQLite's counts of the documents holding words, counted while the index's newest
    document was `total`."""

    total: int
    since: float
    counts: dict[str, int]

    def fits(self, total: int) -> bool:
        grown = self.total <= total <= self.total * (1 + GROWN)
        return grown and time.monotonic() - self.since <= KEPT_FOR


def _indexed_counts(cursor: Any, words: list[str]) -> dict[str, int]:
    """How many documents hold each word, as SQLite's index counts them (fts5vocab): exact, at
    the cost of reading the word's list of documents (6 ms for a word in 360,000 documents).
    The index knows a word by its own tokenizer's term ("caching" is "cach"), so the words
    pass through a table of this connection with the same tokenizer, whose terms are read
    back. A word in a document's kind as well ("incident") counts those documents too."""
    for statement in _WORD_TABLES:
        cursor.execute(statement)
    cursor.execute("DELETE FROM temp.learnloop_words")
    cursor.executemany(
        "INSERT INTO temp.learnloop_words(rowid, word) VALUES (%s, %s)", list(enumerate(words))
    )
    cursor.execute(
        "SELECT w.doc, min(coalesce(i.doc, 0)) FROM temp.learnloop_word_terms w "
        "LEFT JOIN temp.learnloop_indexed_terms i ON i.term = w.term GROUP BY w.doc"
    )
    return {words[n]: int(found) for n, found in cursor.fetchall()}


_WORD_TABLES = (  # the tokenizer is insights_fts's own (migration insights/0005)
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.learnloop_words "
    "USING fts5(word, tokenize='porter unicode61')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.learnloop_word_terms "
    "USING fts5vocab(temp, learnloop_words, instance)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.learnloop_indexed_terms "
    "USING fts5vocab(main, insights_fts, row)",
)

GROWN = 0.01  # the share of new documents after which a process counts again
KEPT_FOR = 600.0  # seconds
COUNTED_WORDS = 10_000  # counts kept at most, before a process starts again


class _WordCounts:
    """What this process has counted, kept while the index has grown by at most GROWN and for
    at most KEPT_FOR seconds: like PostgreSQL's statistics (as old as its last ANALYZE), an
    estimate of how common a word is needs no fresher. Counting 100 words was most of similar
    incidents' time on SQLite (21 of 38 ms p50, bench, 20,000 incidents)."""

    def __init__(self) -> None:
        self.kept = Counted(-1, 0.0, {})

    def of(self, cursor: Any, total: int, words: list[str]) -> dict[str, int]:
        kept = self.kept
        if not kept.fits(total) or len(kept.counts) > COUNTED_WORDS:
            kept = self.kept = Counted(total, time.monotonic(), {})
        missing = [word for word in dict.fromkeys(words) if word not in kept.counts]
        if missing:
            kept.counts.update(dict.fromkeys(missing, 0))
            kept.counts.update(_indexed_counts(cursor, missing))
        return {word: kept.counts[word] for word in words}

    def forget(self) -> None:
        """Drops what was counted (tests, whose databases start again with the same ids)."""
        self.kept = Counted(-1, 0.0, {})


WORD_COUNTS = _WordCounts()
