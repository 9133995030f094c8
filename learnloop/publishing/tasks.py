"""Background tasks (django-tasks, database queue). The delivery row, not the task, is the source
of truth: a task that runs twice, late or after its delivery was sent does nothing."""

from __future__ import annotations

from django_tasks import task


@task()
def send_delivery(delivery_id: int) -> str:
    from learnloop.publishing.services import attempt

    return attempt(delivery_id)
