"""What learnloop asks of the databases' planners."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import connection

from learnloop.lib.planner import for_short_queries


def test_postgresql_connections_run_without_jit_parallel_workers_or_generic_plans(db: Any):
    """PostgreSQL compiles costly-looking queries to machine code first (for the homes' late
    actions, 18 ms of compiling for 3 ms of work), starts parallel workers for large scans
    (similar incidents: 57-78 ms with two, 27 ms without) and, for a prepared statement run
    often, plans once without its values (the portal's search: 13 -> 40 ms). Every connection
    turns all three off."""
    expected = {
        "jit": ("off",),
        "max_parallel_workers_per_gather": ("0",),
        "plan_cache_mode": ("force_custom_plan",),
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
            cursor.execute("SET plan_cache_mode = auto")
            for_short_queries(connection)
            assert dict(shown()) == expected
        else:  # SQLite has neither: the receiver leaves its connections as they are
            for_short_queries(connection)
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
