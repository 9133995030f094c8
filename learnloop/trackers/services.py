"""Filing improvement actions in trackers, and letting their status flow back.

Never lost: pushing commits a push row and its task in the action's transaction; a worker files
it later (learnloop.leasing: leased while it works, taken up again if its worker dies).
Never twice: an attempt after any earlier one (a timeout, a dropped connection, a worker killed
mid-call) first looks for the ticket by the marker it carries, and only creates one if none exists.
No loops: learnloop never writes statuses to trackers, and statuses read back do not push."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from learnloop import leasing
from learnloop.actions.models import ActionStatus, ImprovementAction
from learnloop.actions.services import OPEN, transition
from learnloop.integrations.base import Ticket, TrackerError
from learnloop.integrations.registry import tracker
from learnloop.lib.redact import scrub
from learnloop.trackers import tasks
from learnloop.trackers.models import PushAttempt, PushState, TrackerConnection, TrackerPush
from learnloop.webhooks.models import EventType
from learnloop.webhooks.outbox import emit

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
MAX_BACKOFF = 3600.0


class NoTracker(Exception):  # noqa: N818 - reads as the situation
    """The action's team has no tracker connected."""


def ticket_for(action: ImprovementAction) -> Ticket:
    incident = action.incident
    parts = [action.description or action.title]
    if action.learning is not None:
        parts.append(f"What we learned: {action.learning.text}")
    parts.append(f"From incident {incident.key}: {incident.title}")
    if action.cost_of_delay_per_week is not None:
        parts.append(f"Cost of delay: {action.cost_of_delay_per_week} per week")
    labels = ["learnloop", incident.key.lower()]
    if incident.severity:
        labels.append(f"sev{incident.severity}")
    labels.append(timezone.now().strftime("%Y%m%d"))
    return Ticket(
        marker=f"learnloop-{action.uid}",
        title=action.title,
        description="\n\n".join(parts),
        link=settings.BASE_URL + reverse("action_detail", args=[action.uid]),
        labels=labels,
    )


def enqueue(action: ImprovementAction) -> TrackerPush:
    """Records that the action is to be filed, with the task that files it after commit."""
    team_id = action.owner_team_id or action.incident.team_id
    connection = TrackerConnection.objects.filter(team_id=team_id).first() if team_id else None
    if connection is None:
        raise NoTracker("The owner team has no tracker connected.")
    with transaction.atomic():
        push, created = TrackerPush.objects.get_or_create(
            action=action, defaults={"connection": connection}
        )
        if not created and push.state == PushState.FAILED:
            push.state, push.next_attempt_at, push.last_error = (
                PushState.PENDING,
                timezone.now(),
                "",
            )
            push.save()
        if created or (push.state == PushState.PENDING and not leasing.task_alive(push.task_id)):
            queue(push)
    return push


def queue(push: TrackerPush, at: datetime | None = None) -> None:
    """Enqueues the task that files the push (at `at`, or now); commits with the caller."""
    task = tasks.file_push.using(run_after=at) if at else tasks.file_push
    push.task_id = str(task.enqueue(push.pk).id)
    TrackerPush.objects.filter(pk=push.pk).update(task_id=push.task_id)


WAITING = (PushState.PENDING,)  # a leased push stays pending: its lease says a worker holds it


def claim(push_id: int, now: datetime | None = None) -> TrackerPush | None:
    """Leases the push if it is due and nobody holds it; None otherwise."""
    rows = TrackerPush.objects.select_related("connection")
    return leasing.claim(rows, push_id, now, waiting=WAITING, sending=PushState.PENDING)


def attempt(push_id: int) -> str:
    """The task's work: claim, file, record. Returns the outcome (or "skipped")."""
    push = claim(push_id)
    return deliver(push) if push is not None else "skipped"


def sweep(now: datetime | None = None) -> int:
    """Takes up pushes whose worker died (their lease ran out) and queues again due pushes
    whose task is gone. Returns how many it touched."""
    now = now or timezone.now()
    touched = 0
    for push in leasing.lost(TrackerPush, now, sending=PushState.PENDING):
        with transaction.atomic():
            if not TrackerPush.objects.filter(pk=push.pk, lease_until=push.lease_until).update(
                lease_until=None, next_attempt_at=now
            ):
                continue  # another sweep took it up first
            PushAttempt.objects.create(
                push=push,
                started_at=push.lease_until - leasing.LEASE if push.lease_until else now,
                outcome="interrupted",
                detail="The worker stopped before this attempt finished; queued again.",
            )
            leasing.close_dead_task(push.task_id, now)
            queue(push)
        touched += 1
    return touched + leasing.requeue_orphans(TrackerPush, queue, now, waiting=WAITING)


def backoff(attempts: int) -> float:
    return float(min(MAX_BACKOFF, 30 * 2 ** (attempts - 1)))


def deliver(push: TrackerPush) -> str:
    """Files one leased push; returns the outcome recorded."""
    action = ImprovementAction.objects.select_related("incident", "learning").get(pk=push.action_id)
    adapter = tracker(push.connection.kind, push.connection.settings())
    ticket = ticket_for(action)
    try:
        found = adapter.find(ticket.marker) if push.attempts > 1 else None
        ref, outcome = (found, "found") if found else (adapter.create(ticket), "created")
    except TrackerError as error:
        return _failed(push, error)
    with transaction.atomic():
        ImprovementAction.objects.filter(pk=action.pk).update(
            tracker_kind=push.connection.kind, tracker_key=ref.key, tracker_url=ref.url
        )
        data = {
            "action": str(action.uid),
            "title": action.title,
            "incident": action.incident.key,
            "tracker": push.connection.kind,
            "ticket": ref.key,
            "ticket_url": ref.url,
        }
        emit(action.incident.organisation_id, EventType.TICKET_LINKED, str(action.uid), data)
        push.state, push.done_at, push.lease_until, push.last_error = (
            PushState.DONE,
            timezone.now(),
            None,
            "",
        )
        push.save()
        PushAttempt.objects.create(push=push, outcome=outcome, detail=f"{ref.key} {ref.url}")
    return outcome


def _failed(push: TrackerPush, error: TrackerError) -> str:
    with transaction.atomic():
        push.last_error = scrub(str(error), push.connection.secrets())[:2000]
        push.lease_until = None
        if error.permanent or push.attempts >= MAX_ATTEMPTS:
            push.state, outcome = PushState.FAILED, "failed"
        else:
            wait = max(error.retry_after or 0.0, backoff(push.attempts))
            push.next_attempt_at, outcome = timezone.now() + timedelta(seconds=wait), "retry"
            queue(push, at=push.next_attempt_at)
        push.save()
        PushAttempt.objects.create(push=push, outcome=outcome, detail=push.last_error)
    log.warning("tracker push %s: %s: %s", push.pk, outcome, push.last_error)
    return outcome


def apply_tracker_status(connection: TrackerConnection, key: str, status_name: str) -> bool:
    """Moves the action filed as `key` to the mapped lifecycle status; True if it moved.
    In practice is never reached from a tracker: it needs evidence that a person records."""
    wanted = connection.lifecycle_status(status_name)
    action = ImprovementAction.objects.filter(
        owner_team_id=connection.team_id, tracker_kind=connection.kind, tracker_key=key
    ).first()
    if wanted is None or action is None or wanted == action.status:
        return False
    if action.status in (ActionStatus.IN_PRACTICE, ActionStatus.WONT_DO):
        return False  # closed in learnloop: the tracker does not reopen it
    if wanted == ActionStatus.WONT_DO:
        transition(
            action,
            wanted,
            None,
            reason=f"Closed as '{status_name}' in the tracker",
            source=connection.kind,
        )
    else:
        transition(action, wanted, None, source=connection.kind)
    return True


def reconcile(connection: TrackerConnection) -> int:
    """Reads the status of every open filed action, for events a webhook missed."""
    adapter = tracker(connection.kind, connection.settings())
    moved = 0
    for action in ImprovementAction.objects.filter(
        owner_team_id=connection.team_id, tracker_kind=connection.kind, status__in=OPEN
    ).exclude(tracker_key=""):
        try:
            moved += apply_tracker_status(
                connection, action.tracker_key, adapter.status_of(action.tracker_key)
            )
        except TrackerError as error:
            log.warning(
                "reconcile %s: %s", action.tracker_key, scrub(str(error), connection.secrets())
            )
    return moved


def check(connection: TrackerConnection) -> bool:
    """The settings page's connection test; the outcome is kept for the team to see."""
    try:
        who = tracker(connection.kind, connection.settings()).test()
        connection.last_check, connection.last_check_ok = f"Connected as {who}.", True
    except TrackerError as error:
        connection.last_check = scrub(str(error), connection.secrets())
        connection.last_check_ok = False
    connection.last_checked_at = timezone.now()
    connection.save(update_fields=["last_check", "last_check_ok", "last_checked_at"])
    return bool(connection.last_check_ok)
