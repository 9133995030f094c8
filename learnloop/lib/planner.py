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
      and a request's workers take the cores other requests are waiting for;
    - a plan for each statement's values, never a generic one. Prepared statements (settings.py)
      switch to a plan made without the values after five runs, and for a search that plan is
      the same whatever the word: the portal's search at 100,000 incidents went from 13 to 40
      ms on its eleventh run. Planning each run costs a fraction of a millisecond."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(  # one round trip: set_config(..., false) is a SET for the session
                "SELECT set_config('jit', 'off', false), "
                "set_config('max_parallel_workers_per_gather', '0', false), "
                "set_config('plan_cache_mode', 'force_custom_plan', false)"
            )


def after_migrate(plan: list[Any] | None = None, **_: Any) -> None:
    """The post_migrate receiver: analyse when migrations ran. A migrate with nothing to do
    and a flush (which sends the same signal, with no plan) change no index."""
    if plan:
        refresh_statistics()
