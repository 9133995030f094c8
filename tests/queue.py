"""Runs the database task queue inside a test, with the worker `learnloop worker --once` runs
(django-tasks-db's `db_worker --batch`).

That worker closes the database connection between tasks, as a long-running process should; a
test's own transaction must stay open, so here the closing is left out, as Django's test client
leaves it out of each request."""

from __future__ import annotations

from unittest import mock

from django_tasks_db.management.commands import db_worker

from learnloop.trackers import tasks, worker


def run_tasks(queues: list[str] | None = None) -> int:
    """Runs every ready task (of these queues, or all); returns how many ran."""
    with mock.patch.object(db_worker, "close_old_connections", lambda: None):
        return worker.run_tasks(queues=queues)


def run_tracker_pushes() -> int:
    """Files every push that is due now: the trackers' queue only."""
    return run_tasks([tasks.QUEUE])
