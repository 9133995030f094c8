"""`learnloop worker`: one worker for all background work. django-tasks-db's own worker
(`db_worker`, its public command) runs every task of the database queue: deliveries of published
narratives, events to subscribers, invitations, actions filed in trackers. Beside it, a
maintenance loop sweeps what a dead worker left (deliveries, events and tracker pushes whose lease
ran out; due ones whose task is gone) back into that queue, repairs the search index, merges its
full-text index daily and now and then reads trackers' statuses. Several workers may run at
once: tasks are claimed, and what they deliver is leased."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import close_old_connections
from django.utils.crypto import get_random_string

from learnloop.trackers import services
from learnloop.trackers.models import TrackerConnection

logger = logging.getLogger(__name__)
STOP_SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT]
# Seconds between two merges of the full-text index by a worker (insights.search.merge_fulltext):
# every change to an incident leaves deletions and small pieces in it that each search reads.
MERGE_EVERY = 24 * 3600


def reconcile_all() -> int:
    return sum(services.reconcile(c) for c in TrackerConnection.objects.all())


def maintain() -> int:
    """Puts back into the queue what dead workers left and repairs the search index, once;
    returns how many pieces of work it found."""
    from learnloop.insights.search import repair
    from learnloop.publishing.services import sweep
    from learnloop.webhooks.services import sweep as sweep_events

    return services.sweep() + sweep() + sweep_events() + repair()


@contextmanager
def signals_kept() -> Iterator[None]:
    """db_worker installs its own stop handlers; a batch run leaves the caller's in place."""
    kept = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in kept.items():
            signal.signal(number, handler)


def run_tasks(worker_id: str | None = None, queues: list[str] | None = None) -> int:
    """Runs the ready tasks of the database queue (of these queues, or all) until none is left,
    with django-tasks-db's worker in batch mode; returns how many this worker ran."""
    from django.core.management import call_command
    from django_tasks.signals import task_finished

    worker_id = worker_id or get_random_string(32)
    ran: list[str] = []

    def count(sender: Any, task_result: Any, **kwargs: Any) -> None:
        if worker_id in task_result.worker_ids:
            ran.append(task_result.id)

    task_finished.connect(count, weak=False)
    try:
        with signals_kept():
            call_command(
                "db_worker",
                queue_name=",".join(queues or ["*"]),
                batch=True,
                interval=0,
                startup_delay=False,
                reload=False,
                worker_id=worker_id,
                verbosity=1,
            )
    finally:
        task_finished.disconnect(count)
    return len(ran)


def merge_when_due(due: float) -> float:
    """Merges the full-text index once the time `due` (time.monotonic()) has come; returns when
    the next merge is due. A day after the worker starts, then daily: a restart costs none."""
    from learnloop.insights.search import merge_fulltext

    if time.monotonic() < due:
        return due
    merge_fulltext()
    logger.info("learnloop worker: merged the full-text index")
    return time.monotonic() + MERGE_EVERY


def post_ledgers_when_due(due: float) -> float:
    """Posts every organisation's cost ledger once the time `due` (time.monotonic()) has come;
    returns when the next posting is due: when the worker starts, then every POST_EVERY."""
    from learnloop.costs.tasks import POST_EVERY, post_every_ledger

    if time.monotonic() < due:
        return due
    appended = post_every_ledger()
    logger.info("learnloop worker: posted the cost ledgers (%d entries appended)", appended)
    return time.monotonic() + POST_EVERY


def maintain_forever(reconcile_every: int, poll_seconds: float) -> None:
    last_reconcile = 0.0
    next_merge = time.monotonic() + MERGE_EVERY
    next_posting = time.monotonic()
    while True:
        close_old_connections()
        try:
            maintain()
            if reconcile_every and time.monotonic() - last_reconcile >= reconcile_every:
                reconcile_all()
                last_reconcile = time.monotonic()
            next_merge = merge_when_due(next_merge)
            next_posting = post_ledgers_when_due(next_posting)
        except Exception:  # the database may be away for a while: try again next round
            logger.exception("learnloop worker: maintenance round failed")
        time.sleep(poll_seconds)


def run(once: bool, reconcile_every: int, poll_seconds: float = 2.0) -> int:
    from django.core.management import call_command

    worker_id = get_random_string(32)
    if once:
        done = maintain() + run_tasks(worker_id)
        post_ledgers_when_due(0.0)
        moved = reconcile_all() if reconcile_every else 0
        print(f"done {done}, statuses moved {moved}")
        return 0
    print("learnloop worker: delivering; Ctrl-C stops", flush=True)
    threading.Thread(
        target=maintain_forever, args=(reconcile_every, poll_seconds), daemon=True
    ).start()
    call_command(
        "db_worker",
        queue_name="*",
        interval=poll_seconds,
        reload=False,
        worker_id=worker_id,
        verbosity=1,
    )
    return 0
