"""The worker's task; the push row, not the task, is the source of truth: a task that runs
twice, late or after its push was filed does nothing."""

from __future__ import annotations

from django_tasks import task

QUEUE = "trackers"


@task(queue_name=QUEUE)
def file_push(push_id: int) -> str:
    from learnloop.trackers.services import attempt

    return attempt(push_id)
