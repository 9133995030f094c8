"""Delivering published narratives to their channels, losing nothing and sending nothing twice.

Recorded with the publication: one Delivery per enabled channel, and a background task to send
it, are written in the publishing transaction (published and queued, or neither).

Sent once: a task first claims its delivery with a conditional UPDATE that sets a lease, so no
two workers send it. A worker that dies leaves its lease to run out; the worker's sweep then
queues the delivery again. That is safe for email (a message is accepted only at the end of the
SMTP DATA, so a dead worker delivered nothing) and for Confluence (the page is looked up by title
before one is created). Slack cannot be asked whether a post arrived, so a Slack delivery whose
request went out before the worker died, or whose connection broke after sending, is marked in
doubt and sent again only when a person asks."""

from __future__ import annotations

import logging
import traceback
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from learnloop import leasing
from learnloop.lib.redact import scrub
from learnloop.narratives.models import Narrative, Publication
from learnloop.publishing import messages, tasks
from learnloop.publishing.channels import Failure, Result, Success, channel_for
from learnloop.publishing.models import (
    CONFLUENCE,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    PublishChannel,
)
from learnloop.trackers.services import MAX_ATTEMPTS, backoff

log = logging.getLogger(__name__)


def channels_for(narrative: Narrative) -> QuerySet[PublishChannel]:
    """The organisation's channels, and those of the team that owns the incident."""
    team_id = narrative.incident.team_id
    scope = Q(team__isnull=True) | Q(team_id=team_id) if team_id else Q(team__isnull=True)
    return PublishChannel.objects.filter(
        scope, organisation_id=narrative.incident.organisation_id, enabled=True
    ).select_related("team")


def record_deliveries(publication: Publication) -> list[Delivery]:
    """One delivery per enabled channel, queued; call inside the publishing transaction."""
    recorded = []
    with transaction.atomic():
        for channel in channels_for(publication.narrative):
            delivery, created = Delivery.objects.get_or_create(
                channel=channel,
                publication=publication,
                defaults={
                    "narrative": publication.narrative,
                    "channel_name": channel.name,
                    "kind": channel.kind,
                },
            )
            if created:
                queue(delivery)
                recorded.append(delivery)
    return recorded


def queue(delivery: Delivery, at: datetime | None = None) -> None:
    """Enqueues the task that sends the delivery (at `at`, or now); commits with the caller."""
    task = tasks.send_delivery.using(run_after=at) if at else tasks.send_delivery
    result = task.enqueue(delivery.pk)
    delivery.task_id = str(result.id)
    Delivery.objects.filter(pk=delivery.pk).update(task_id=delivery.task_id)


def claim(delivery_id: int, now: datetime | None = None) -> Delivery | None:
    """Leases the delivery if it is due and nobody holds it; None otherwise."""
    rows = Delivery.objects.select_related(
        "channel", "publication__version", "publication__narrative__incident__team"
    )
    return leasing.claim(rows, delivery_id, now, request_sent_at=None)


def attempt(delivery_id: int) -> str:
    """The task's work: claim, send, record. Returns the outcome recorded (or "skipped")."""
    delivery = claim(delivery_id)
    if delivery is None:
        return "skipped"
    started = timezone.now()
    try:
        result: Success | Failure = send(delivery)
    except Exception as error:  # a bug must not leave the delivery leased for ever
        secrets = delivery.channel.secrets() if delivery.channel else []
        log.error("delivery %s: %s", delivery.pk, scrub(traceback.format_exc(), secrets))
        result = Failure(f"Unexpected error: {type(error).__name__}: {error}", retryable=True)
    return record(delivery, started, result)


def send(delivery: Delivery) -> Result:
    channel = delivery.channel
    if channel is None:
        return Failure("The channel was deleted.", retryable=False)
    if not channel.enabled:
        return Failure("The channel was switched off before this was sent.", retryable=False)
    return channel_for(channel.kind).deliver(
        delivery, channel, messages.story_of(delivery.publication)
    )


def record(delivery: Delivery, started: datetime, result: Result) -> str:
    """Writes the attempt and the delivery's new state together, then schedules any retry."""
    now = timezone.now()
    result.detail = scrub(result.detail, delivery.channel.secrets() if delivery.channel else [])
    with transaction.atomic():
        if isinstance(result, Success):
            state, outcome, detail = DeliveryState.SENT, result.outcome, result.detail
        elif result.in_doubt:
            state, outcome, detail = (
                DeliveryState.IN_DOUBT,
                "in_doubt",
                in_doubt_reason(result.detail),
            )
        elif result.retryable and delivery.attempts < MAX_ATTEMPTS:
            state, outcome, detail = DeliveryState.RETRY, "retry", result.detail
        else:
            state, outcome, detail = DeliveryState.FAILED, "failed", result.detail
        wait = 0.0
        if state == DeliveryState.RETRY and isinstance(result, Failure):
            wait = max(result.retry_after or 0.0, backoff(delivery.attempts))
        delivery.state = state
        delivery.lease_until = None
        delivery.next_attempt_at = now + timedelta(seconds=wait)
        delivery.last_error = "" if state == DeliveryState.SENT else detail
        delivery.sent_at = now if state == DeliveryState.SENT else None
        delivery.save(
            update_fields=["state", "lease_until", "next_attempt_at", "last_error", "sent_at"]
        )
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            started_at=started,
            finished_at=now,
            outcome=outcome,
            status_code=result.status_code,
            detail=detail,
        )
        if state == DeliveryState.RETRY:
            queue(delivery, delivery.next_attempt_at)
    if state != DeliveryState.SENT:
        log.warning(
            "delivery %s to %s: %s: %s", delivery.pk, delivery.channel_name, outcome, detail
        )
    return outcome


def in_doubt_reason(detail: str) -> str:
    return (
        f"{detail} The request reached Slack but no answer came back; Slack cannot be asked "
        "whether the message was posted, so it is not sent again by itself. Look in the channel, "
        "and send it again if it is missing."
    )


def sweep(now: datetime | None = None) -> int:
    """Takes up deliveries whose worker died: queued again, or (Slack, once the request went
    out) in doubt. Also queues due deliveries whose task is gone. Returns how many it touched."""
    now = now or timezone.now()
    touched = 0
    for delivery in leasing.lost(Delivery, now):
        touched += _take_up(delivery, now)
    return touched + leasing.requeue_orphans(Delivery, queue, now)


def _take_up(delivery: Delivery, now: datetime) -> int:
    doubt = channel_for(delivery.kind).unsure_once_sent and delivery.request_sent_at is not None
    with transaction.atomic():
        changed = Delivery.objects.filter(
            pk=delivery.pk, state=DeliveryState.SENDING, lease_until=delivery.lease_until
        ).update(
            state=DeliveryState.IN_DOUBT if doubt else DeliveryState.RETRY,
            lease_until=None,
            next_attempt_at=timezone.now(),
        )
        if not changed:
            return 0  # another sweep took it up first
        detail = (
            in_doubt_reason("The worker stopped after sending the request to Slack.")
            if doubt
            else "The worker stopped before this attempt finished; queued again."
        )
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            started_at=delivery.lease_until - leasing.LEASE if delivery.lease_until else now,
            finished_at=now,
            outcome="in_doubt" if doubt else "interrupted",
            detail=detail,
        )
        Delivery.objects.filter(pk=delivery.pk).update(last_error=detail)
        leasing.close_dead_task(delivery.task_id, now)
        if not doubt:
            queue(delivery)
    return 1


def send_again(delivery: Delivery, by: str) -> Delivery:
    """A person asks for a failed or in-doubt delivery to be sent again."""
    if delivery.state not in (DeliveryState.FAILED, DeliveryState.IN_DOUBT):
        raise ValueError("Only a failed or in-doubt delivery can be sent again.")
    now = timezone.now()
    with transaction.atomic():
        changed = Delivery.objects.filter(pk=delivery.pk, state=delivery.state).update(
            state=DeliveryState.QUEUED, next_attempt_at=now, lease_until=None, last_error=""
        )
        if not changed:
            raise ValueError("The delivery changed meanwhile; reload the page.")
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            started_at=now,
            finished_at=now,
            outcome="requeued",
            detail=f"Sent again at the request of {by}.",
        )
        delivery.refresh_from_db()
        queue(delivery)
    return delivery


def send_test(channel: PublishChannel, by: str) -> bool:
    """The settings page's "send a test": a real message (email, Slack) or a look at the space
    (Confluence, which would otherwise need a page). The outcome is kept on the channel."""
    story = messages.Story(
        key="TEST",
        title=f"Test from learnloop: {channel.name}",
        revision=1,
        team=channel.scope,
        service="—",
        severity="—",
        summary=f"{by} sent this test to check that published narratives reach this channel.",
        body="This is a test. Published narratives will arrive here like this.",
        link=f"{settings.BASE_URL}/narratives/",
        published=timezone.now().strftime("%d %b %Y %H:%M UTC"),
    )
    result = channel_for(channel.kind).test(channel, story)
    ok = isinstance(result, Success)
    result.detail = scrub(result.detail, channel.secrets())
    channel.last_test = (
        "Test sent. " + result.detail if ok and channel.kind not in CONFLUENCE else result.detail
    )
    channel.last_test_ok = ok
    channel.last_test_at = timezone.now()
    channel.save(update_fields=["last_test", "last_test_ok", "last_test_at"])
    return ok
