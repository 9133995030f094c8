"""`learnloop worker`: one loop for all background work. Each round it sweeps what a dead worker
left (deliveries, events and tracker pushes whose lease ran out; due ones whose task is gone),
repairs the search index, and runs every ready task of the database queue (django-tasks: deliveries
of published narratives, events to subscribers, invitations, actions filed in trackers); now and
then it reads trackers' statuses. Several workers may run at once: tasks are claimed, and what
they deliver is leased."""

from __future__ import annotations

import time

from django.db import close_old_connections
from django.utils.crypto import get_random_string

from learnloop.trackers import services
from learnloop.trackers.models import TrackerConnection


def reconcile_all() -> int:
    return sum(services.reconcile(c) for c in TrackerConnection.objects.all())


def run_tasks(worker_id: str | None = None, queues: list[str] | None = None) -> int:
    """Runs the ready tasks of the database queue (of these queues, or all) until none is left;
    returns how many ran.
    Claims each the way django_tasks_db's own worker does (locked, marked running with this
    worker's id) and runs it with that worker's run_task, which records success or failure."""
    from django.db import OperationalError
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

    worker_id = worker_id or get_random_string(32)
    worker = Worker(
        queue_names=queues or ["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    ran = 0
    while True:
        ready = DBTaskResult.objects.ready().filter(backend_name="default")
        if queues:
            ready = ready.filter(queue_name__in=queues)
        try:
            with exclusive_transaction(ready.db):
                claimed = ready.get_locked()
                if claimed is not None:
                    claimed.claim(worker_id)
        except OperationalError as error:
            if not is_locked_database_exception(error):
                raise
            return ran  # another worker holds the queue: try again next round
        if claimed is None:
            return ran
        worker.run_task(claimed)
        ran += 1


def one_round(worker_id: str | None = None) -> int:
    """Everything that is due now, once; returns how many pieces of work were done."""
    from learnloop.insights.search import repair
    from learnloop.publishing.services import sweep
    from learnloop.webhooks.services import sweep as sweep_events

    done = services.sweep()
    done += sweep()
    done += sweep_events()
    done += repair()
    done += run_tasks(worker_id)
    return done


def run(once: bool, reconcile_every: int, poll_seconds: float = 2.0) -> int:
    worker_id = get_random_string(32)
    if once:
        done = one_round(worker_id)
        moved = reconcile_all() if reconcile_every else 0
        print(f"done {done}, statuses moved {moved}")
        return 0
    print("learnloop worker: delivering; Ctrl-C stops", flush=True)
    last_reconcile = 0.0
    try:
        while True:
            close_old_connections()
            done = one_round(worker_id)
            if reconcile_every and time.monotonic() - last_reconcile >= reconcile_every:
                reconcile_all()
                last_reconcile = time.monotonic()
            if not done:
                time.sleep(poll_seconds)
    except KeyboardInterrupt:
        return 0
