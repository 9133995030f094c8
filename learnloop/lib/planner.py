"""The query planner's statistics. PostgreSQL and SQLite choose between an index and a scan by
what they know of each table; a database filled in one go (an import, a restore, a seed) or given
new indexes (a migration) knows nothing until it is analysed, and may scan 20,000 incidents where
an index answers in a millisecond. learnloop analyses after each of those; PostgreSQL's
autovacuum keeps the statistics fresh in between where it runs."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper


def refresh_statistics() -> None:
    """ANALYZE the whole database (about a second at 20,000 incidents)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def for_short_queries(connection: BaseDatabaseWrapper, **_: Any) -> None:
    """The connection_created receiver: PostgreSQL planning for learnloop's short queries, on
    each connection (SETs, not startup options, so that PgBouncer passes them too):
    - no JIT compiler. It compiles any query whose estimated cost passes jit_above_cost, which
      the homes' late actions do at 20,000 incidents: 18 ms of compiling for 3 ms of work;
    - no parallel workers. Starting them cost more than they saved: similar incidents' newest
      matching documents at 100,000 incidents took 57-78 ms with two workers, 27 ms without,
      and a request's workers take the cores other requests are waiting for.
    Prepared statements (settings.py) keep PostgreSQL's own plan cache mode: after five runs on
    a connection a statement keeps one plan, made without its values, when that plan is no
    worse. Planning each run instead cost the API's token lookup 0.45 ms of its 0.7 ms. Where
    the best plan depends on the value (a full-text search: how common its words are), the
    value is written into the statement (`tsquery`), which is then planned for it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(  # one round trip: set_config(..., false) is a SET for the session
                "SELECT set_config('jit', 'off', false), "
                "set_config('max_parallel_workers_per_gather', '0', false)"
            )


def tsquery(text: str) -> str:
    """PostgreSQL's `to_tsquery('english', ...)` of `text`, the text written in as a literal
    (quoted by the driver, as Django quotes the values it shows): a search's statement is then
    planned for its own words. Bound as a parameter, the prepared statement's plan, made once
    without the words, ignored how common they are: the portal's search at 100,000 incidents
    went from 13 to 40 ms on its eleventh run on a connection."""
    compose = getattr(connection.ops, "compose_sql")  # noqa: B009 - PostgreSQL's operations only
    literal = compose("%s", [text])
    return f"to_tsquery('english', {literal.replace('%', '%%')})"  # % would read as a parameter


def after_migrate(plan: list[Any] | None = None, **_: Any) -> None:
    """The post_migrate receiver: analyse when migrations ran. A migrate with nothing to do
    and a flush (which sends the same signal, with no plan) change no index."""
    if plan:
        refresh_statistics()
