"""The portal's one query: published narratives of an organisation, filtered and searched, a page
at a time. Shared by the portal page, the API and the benchmark so they mean the same."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from learnloop.accounts.models import Service, Team, id_by_slug
from learnloop.insights.search import fts_match
from learnloop.lib.planner import tsquery
from learnloop.lib.text import terms as text_terms
from learnloop.narratives.models import Narrative, NarrativeStatus

PAGE_SIZE = 25
WALKED = 200  # the newest narratives a search checks one by one (searched_window)


@dataclass
class Page:
    items: list[Narrative]
    number: int
    has_next: bool


def published_narratives(organisation_id: int) -> QuerySet[Narrative]:
    """Published narratives only: never a draft, never another organisation's."""
    return Narrative.objects.filter(
        organisation_id=organisation_id,
        status=NarrativeStatus.PUBLISHED,
        current_publication__isnull=False,
    )


def published_narrative(organisation_id: int, key: str) -> Narrative | None:
    """The published narrative of the incident with this key (its incident found by the
    organisation's unique key), with what its pages and the API show of the incident."""
    return (
        published_narratives(organisation_id)
        .select_related("incident__team", "incident__service", "current_publication__version")
        .filter(incident__organisation_id=organisation_id, incident__key=key)
        .first()
    )


def _matching_keys(organisation_id: int, terms: list[str]) -> RawSQL:
    """Incident keys whose published narrative matches every word, from the full-text index that
    insights/search.py keeps (it holds the current revision only, never a draft); a subquery,
    so the database never ships the keys back and forth."""
    if connection.vendor == "sqlite":
        # CROSS JOIN makes SQLite start from the full-text match; a plain JOIN let it start
        # from the organisation's documents and run the match once per document (18 s).
        sql = (
            "SELECT d.incident_key FROM insights_fts f "
            "CROSS JOIN insights_searchdocument d ON d.id = f.rowid "
            "WHERE insights_fts MATCH %s AND d.organisation_id = %s AND d.kind = 'narrative'"
        )
        match = fts_match(terms, kind="narrative")  # answered by the index alone (0005)
        return RawSQL(sql, (match, organisation_id))  # noqa: S611 - fixed SQL, bound terms
    # The stored vector and its GIN index (insights/0004_stored_search_vector), read once: as a
    # MATERIALIZED CTE the match cannot be run again for each of a team's narratives, which
    # PostgreSQL chose when it thought a word rare (0.5 ms for each of 111 narratives).
    sql = (
        "WITH matching AS MATERIALIZED (SELECT d.incident_key FROM insights_searchdocument d "  # noqa: S608 - quoted terms
        f"WHERE d.search_vector @@ {tsquery(' & '.join(terms))} "
        "AND d.organisation_id = %s AND d.kind = 'narrative') "
        "SELECT incident_key FROM matching"
    )
    return RawSQL(sql, (organisation_id,))  # noqa: S611 - fixed SQL, quoted terms


def filtered(
    organisation_id: int,
    *,
    team: str | None = None,
    service: str | None = None,
    severity: int | None = None,
    theme: str | None = None,
    published_from: date | None = None,
    published_to: date | None = None,
) -> QuerySet[Narrative]:
    """Team, service and theme are slugs; dates are days in the current time zone. The words of
    a search are `searched_window`'s."""
    found = published_narratives(organisation_id)
    # The team and service are found by slug in a subquery run once, as the incident list's are
    # (incidents/queries.py): through a join on their slug, PostgreSQL could start from the
    # team's incidents and compare each with every narrative the words match (below).
    if team:
        found = found.filter(incident__team_id=id_by_slug(Team, organisation_id, team))
    if service:
        found = found.filter(incident__service_id=id_by_slug(Service, organisation_id, service))
    if severity:
        found = found.filter(incident__severity=severity)
    if theme:
        found = found.filter(incident__themes__slug=theme)
    zone = timezone.get_current_timezone()
    if published_from:
        start = datetime.combine(published_from, time.min, tzinfo=zone)
        found = found.filter(published_at__gte=start)
    if published_to:
        found = found.filter(
            published_at__lte=datetime.combine(published_to, time.max, tzinfo=zone)
        )
    return found


def window(
    narratives: QuerySet[Narrative], offset: int, limit: int
) -> tuple[list[Narrative], bool]:
    """The page's rows plus one, which says whether more exist without counting every match.
    The page is chosen first by the filters alone, then its rows read in full: a search's row
    estimate can be off a hundredfold (words that come together), and the joins of what the
    list shows were then planned for a few rows and run for thousands."""
    chosen = narratives.order_by("-published_at", "-id").values_list("pk", flat=True)
    return _rows(list(chosen[offset : offset + limit + 1]), limit)


def _rows(ids: list[int], limit: int) -> tuple[list[Narrative], bool]:
    rows = list(listing(Narrative.objects.filter(pk__in=ids)))
    return rows[:limit], len(rows) > limit


def searched_window(
    organisation_id: int, narratives: QuerySet[Narrative], text: str, offset: int, limit: int
) -> tuple[list[Narrative], bool]:
    """`window` of the narratives whose every word of `text` matches (stemmed). The newest
    WALKED narratives are checked first, one by one; when they hold the page (or are all there
    is), that is the answer, else the full-text index gives every match. Either way alone is
    slow for some words: the databases cannot tell how many narratives two words match together
    (PostgreSQL guessed one for "pool limit", which 4,010 of the bench's 5,000 match, and read
    them all to keep a team's 85: 17 ms), and checking one by one reads every narrative for a
    rare word. Checking 100 narratives took PostgreSQL under a millisecond."""
    terms = text_terms(text)[:12]
    if not terms:
        return window(narratives, offset, limit)
    newest = narratives.order_by("-published_at", "-id").values_list("pk", "incident__key")
    walked = list(newest[:WALKED])
    matching = _matching_of(organisation_id, terms, [key for _, key in walked])
    found = [pk for pk, key in walked if key in matching]
    if len(found) > offset + limit or len(walked) < WALKED:
        return _rows(found[offset : offset + limit + 1], limit)
    by_index = narratives.filter(
        incident__organisation_id=organisation_id,
        incident__key__in=_matching_keys(organisation_id, terms),
    )
    return window(by_index, offset, limit)


def _matching_of(organisation_id: int, terms: list[str], keys: list[str]) -> set[str]:
    """Which of these incidents' published narratives match every word: each one's document
    looked up by its incident's whole key (a document's `ref` keeps only 64 characters of it;
    PostgreSQL: the `IS TRUE` keeps the full-text index out of it, whose every match would be
    read to find these few)."""
    if not keys:
        return set()
    if connection.vendor == "sqlite":
        return _matching_of_sqlite(organisation_id, terms, keys)
    listed = ", ".join(["%s"] * len(keys))
    sql = (
        "SELECT d.incident_key FROM insights_searchdocument d "  # noqa: S608 - quoted terms
        "WHERE d.organisation_id = %s AND d.kind = 'narrative' "
        f"AND d.incident_key IN ({listed}) "
        f"AND (d.search_vector @@ {tsquery(' & '.join(terms))}) IS TRUE"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [organisation_id, *keys])
        return {key for (key,) in cursor.fetchall()}


def _matching_of_sqlite(organisation_id: int, terms: list[str], keys: list[str]) -> set[str]:
    """SQLite: these narratives' documents by key, then the full-text index's matches among the
    documents written from the first of them to the last, read from the index alone and kept
    to these. Joining every match to its document to check its organisation and key cost a
    lookup per match: 5-13 ms for words that 1,000-4,000 of the bench's narratives hold, the
    index alone 2-6 ms."""
    listed = ", ".join(["%s"] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, incident_key FROM insights_searchdocument "  # noqa: S608 - placeholders
            f"WHERE organisation_id = %s AND incident_key IN ({listed}) AND kind = 'narrative'",
            [organisation_id, *keys],
        )
        documents: dict[int, str] = dict(cursor.fetchall())
        if not documents:
            return set()
        cursor.execute(
            "SELECT rowid FROM insights_fts "
            "WHERE insights_fts MATCH %s AND rowid BETWEEN %s AND %s",
            [fts_match(terms, kind="narrative"), min(documents), max(documents)],
        )
        return {documents[found] for (found,) in cursor.fetchall() if found in documents}


def published(
    organisation_id: int,
    *,
    text: str = "",
    team: str | None = None,
    service: str | None = None,
    severity: int | None = None,
    theme: str | None = None,
    published_from: date | None = None,
    published_to: date | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> Page:
    """A page of published narratives, newest first."""
    found = filtered(
        organisation_id,
        team=team,
        service=service,
        severity=severity,
        theme=theme,
        published_from=published_from,
        published_to=published_to,
    )
    page = max(1, page)
    items, more = searched_window(organisation_id, found, text, (page - 1) * page_size, page_size)
    return Page(items=items, number=page, has_next=more)


def listing(narratives: QuerySet[Narrative]) -> QuerySet[Narrative]:
    """What a list shows (team, service, severity, revision), in one query however many rows."""
    return narratives.select_related(
        "incident__team", "incident__service", "current_publication"
    ).order_by("-published_at", "-id")
