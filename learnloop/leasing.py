"""What every delivery sent by a background task shares (published narratives to their channels,
events to their subscribers): a task leases its delivery before sending, so that no two workers
send it; a worker that dies leaves its lease to run out, and the sweep takes the delivery up; a
due delivery whose task is gone is queued again. The models have the same columns (state,
attempts, lease_until, next_attempt_at, task_id) and the states of publishing.DeliveryState;
tracker pushes, whose states say less (pending, done, failed), pass theirs: a leased push stays
pending, its lease says that a worker holds it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

from learnloop.publishing.models import DeliveryState

# Far longer than any one send may take (HTTP and SMTP time out well before), so a live worker
# never loses its lease; a dead one's runs out and the sweep takes the delivery up again.
LEASE = timedelta(seconds=120)
WAITING = (DeliveryState.QUEUED, DeliveryState.RETRY)

Leased = TypeVar("Leased", bound=models.Model)


def claim(
    rows: models.QuerySet[Leased],
    pk: int,
    now: datetime | None = None,
    waiting: tuple[str, ...] = WAITING,
    sending: str = DeliveryState.SENDING,
    **also: Any,
) -> Leased | None:
    """Leases the delivery if it is due and nobody holds it (one conditional UPDATE: of two
    workers racing, exactly one changes the row), setting `also` with it; None otherwise. The
    delivery is read from `rows` (which may select related rows)."""
    now = now or timezone.now()
    claimed = (
        rows.model._default_manager.filter(pk=pk, state__in=waiting, next_attempt_at__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(state=sending, lease_until=now + LEASE, attempts=F("attempts") + 1, **also)
    )
    return rows.get(pk=pk) if claimed else None


def lost(
    model: type[Leased], now: datetime, sending: str = DeliveryState.SENDING
) -> models.QuerySet[Leased]:
    """Deliveries whose worker stopped while sending: their lease ran out."""
    return model._default_manager.filter(state=sending, lease_until__lt=now)


def requeue_orphans(
    model: type[Leased],
    queue: Callable[[Leased], None],
    now: datetime,
    waiting: tuple[str, ...] = WAITING,
) -> int:
    """Due deliveries whose task is gone (the queue lost it) are queued again; how many."""
    touched = 0
    overdue = model._default_manager.filter(state__in=waiting, next_attempt_at__lt=now - LEASE)
    for delivery in overdue:
        if not task_alive(delivery.task_id):  # type: ignore[attr-defined]
            with transaction.atomic():
                queue(delivery)
            touched += 1
    return touched


def task_alive(task_id: str) -> bool:
    """True while a delivery's task (of any kind) is waiting or running."""
    from django_tasks import TaskResultStatus, default_task_backend
    from django_tasks.exceptions import TaskResultDoesNotExist

    if not task_id:
        return False
    try:
        status = default_task_backend.get_result(task_id).status
    except TaskResultDoesNotExist:
        return False
    return status in (TaskResultStatus.READY, TaskResultStatus.RUNNING)


def close_dead_task(task_id: str, now: datetime) -> None:
    """The dead worker's task would otherwise show as running for ever in the queue."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    if task_id:
        DBTaskResult.objects.filter(id=task_id, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            traceback="The worker running this task stopped; the delivery sweep took it up.",
        )
