"""The worker's task; the delivery row, not the task, is the source of truth."""

from __future__ import annotations

from django_tasks import task


@task()
def send_event(delivery_id: int) -> str:
    from learnloop.webhooks.services import attempt

    return attempt(delivery_id)
