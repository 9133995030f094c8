"""What learnloop asks of the databases' planners."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import connection, transaction
from django.db.utils import DatabaseError
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from learnloop.insights.search import fts_match
from learnloop.lib.planner import for_short_queries, tsquery
from learnloop.lib.text import terms


def test_postgresql_connections_run_without_jit_or_parallel_workers(db: Any):
    """PostgreSQL compiles costly-looking queries to machine code first (for the homes' late
    actions, 18 ms of compiling for 3 ms of work) and starts parallel workers for large scans
    (similar incidents: 57-78 ms with two, 27 ms without). Every connection turns both off, and
    leaves the plan cache as it is (a prepared statement's one plan, which spares the token
    lookup 0.45 ms of planning on every request)."""
    expected = {
        "jit": ("off",),
        "max_parallel_workers_per_gather": ("0",),
        "plan_cache_mode": ("auto",),
    }

    def shown() -> Iterator[tuple[str, tuple[str, ...]]]:
        for name in expected:
            cursor.execute(f"SHOW {name}")
            yield name, cursor.fetchone()

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            assert dict(shown()) == expected
            cursor.execute("SET jit = on")
            cursor.execute("SET max_parallel_workers_per_gather = 2")
            for_short_queries(connection)
            assert dict(shown()) == expected
        else:  # SQLite has neither: the receiver leaves its connections as they are
            for_short_queries(connection)
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)


def _run(sql: str, params: list[Any]) -> tuple[Any, ...] | DatabaseError:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            row: tuple[Any, ...] = cursor.fetchone()
            return row
    except DatabaseError as refused:
        return refused


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(st.characters(blacklist_characters="\x00"), max_size=60))
@example("o'clock 100% back\\slash été")
def test_a_search_s_words_mean_in_its_statement_what_they_meant_bound(db: Any, text: str):
    """PostgreSQL: tsquery() writes the words into the statement as a literal, so that a search
    is planned for them; the query is the one the words made as a parameter, quotes,
    backslashes and % included (a % in a statement with parameters would read as one), as the
    searches join them and as given. SQLite binds the words of its full-text match, which
    reads them whatever they hold."""
    words = terms(text)[:12]
    if connection.vendor == "postgresql":
        for query in (" & ".join(words), text):
            written = _run(f"SELECT {tsquery(query)}::text, %s", [1])
            bound = _run("SELECT to_tsquery('english', %s)::text, %s", [query, 1])
            if isinstance(bound, DatabaseError):  # not a query PostgreSQL reads: refused both ways
                assert isinstance(written, DatabaseError)
            else:
                assert written == bound
    elif words:
        match = "SELECT count(*) FROM insights_fts WHERE insights_fts MATCH %s"
        assert _run(match, [fts_match(words)]) == (0,)
