"""What learnloop asks of the databases' planners."""

from __future__ import annotations

from typing import Any

from django.db import connection

from learnloop.lib.planner import without_jit


def test_postgresql_connections_run_without_jit(db: Any):
    """PostgreSQL compiles costly-looking queries to machine code first; for the homes' late
    actions that was 18 ms of compiling for 3 ms of work. Every connection turns it off."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW jit")
            assert cursor.fetchone() == ("off",)
            cursor.execute("SET jit = on")
            without_jit(connection)
            cursor.execute("SHOW jit")
            assert cursor.fetchone() == ("off",)
        else:  # SQLite has no such compiler: the receiver leaves its connections as they are
            without_jit(connection)
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
