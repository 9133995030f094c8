"""Lifecycle events to subscribers, at least once, each with a stable id so receivers can drop
repeats: recorded in the transaction of the change that caused them (both happen, or neither),
sent by the worker as a CloudEvents 1.0 JSON document signed as the Standard Webhooks
specification says (webhook-id, webhook-timestamp, webhook-signature), with the same lease,
retries, backoff, record of attempts and refusal of private destinations as narrative deliveries.
A worker that dies mid-delivery leaves its lease to run out; the sweep sends the event again."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from learnloop import leasing
from learnloop.integrations.base import PermanentError, TransientError, send
from learnloop.lib.redact import scrub
from learnloop.publishing.models import DeliveryState
from learnloop.trackers.services import MAX_ATTEMPTS, backoff
from learnloop.webhooks.models import EventAttempt, EventDelivery, OutboundEvent, Subscription
from learnloop.webhooks.outbox import queue

log = logging.getLogger(__name__)
CONTENT_TYPE = "application/cloudevents+json"


def document(event: OutboundEvent) -> str:
    """The CloudEvents 1.0 structured-mode JSON document every subscriber receives."""
    return json.dumps(
        {
            "specversion": "1.0",
            "id": event.uid,
            "source": f"{settings.BASE_URL}/",
            "type": f"io.learnloop.{event.type}",
            "subject": event.subject,
            "time": event.occurred_at.isoformat().replace("+00:00", "Z"),
            "datacontenttype": "application/json",
            "data": event.data,
        },
        separators=(",", ":"),
    )


def signed_headers(secret: str, message_id: str, body: str, at: datetime) -> dict[str, str]:
    return {
        "Content-Type": CONTENT_TYPE,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id=message_id, timestamp=at, data=body),
    }


def claim(delivery_id: int, now: datetime | None = None) -> EventDelivery | None:
    rows = EventDelivery.objects.select_related("subscription", "event")
    return leasing.claim(rows, delivery_id, now)


def attempt(delivery_id: int) -> str:
    """The task's work: claim, send, record. Returns the outcome recorded (or "skipped")."""
    delivery = claim(delivery_id)
    if delivery is None:
        return "skipped"
    started = timezone.now()
    subscription = delivery.subscription
    status: int | None = None
    wait: float | None = None
    try:
        if not subscription.active:
            raise PermanentError("The subscription was paused before this was sent.")
        body = document(delivery.event)
        headers = signed_headers(subscription.secret, delivery.event.uid, body, started)
        status = send("POST", subscription.url, content=body.encode(), headers=headers).status_code
        outcome, detail, retry = "sent", f"HTTP {status}", False
    except TransientError as error:
        outcome, detail, retry, wait = "retry", str(error), True, error.retry_after
    except PermanentError as error:
        outcome, detail, retry = "failed", str(error), False
    except Exception as error:  # a bug must not leave the delivery leased for ever
        log.exception("event delivery %s", delivery.pk)
        outcome, detail, retry = "retry", f"Unexpected error: {type(error).__name__}", True
    detail = scrub(detail, [subscription.secret])
    return record(delivery, started, outcome, detail, retry, status, wait)


def record(
    delivery: EventDelivery,
    started: datetime,
    outcome: str,
    detail: str,
    retry: bool,
    status: int | None,
    retry_after: float | None = None,
) -> str:
    now = timezone.now()
    if retry and delivery.attempts >= MAX_ATTEMPTS:
        outcome, retry = "failed", False
    state = {"sent": DeliveryState.SENT, "retry": DeliveryState.RETRY}.get(
        outcome, DeliveryState.FAILED
    )
    with transaction.atomic():
        delivery.state = state
        delivery.lease_until = None
        wait = max(retry_after or 0.0, backoff(delivery.attempts)) if retry else 0.0
        delivery.next_attempt_at = now + timedelta(seconds=wait)
        delivery.last_error = "" if state == DeliveryState.SENT else detail
        delivery.sent_at = now if state == DeliveryState.SENT else None
        delivery.save(
            update_fields=["state", "lease_until", "next_attempt_at", "last_error", "sent_at"]
        )
        EventAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            started_at=started,
            finished_at=now,
            outcome=outcome,
            status_code=status,
            detail=detail,
        )
        if state == DeliveryState.RETRY:
            queue(delivery, delivery.next_attempt_at)
    return outcome


def sweep(now: datetime | None = None) -> int:
    """Deliveries whose worker died while sending are sent again (at least once: the receiver
    drops a repeat by its webhook-id); due deliveries whose task is gone are queued again."""
    now = now or timezone.now()
    touched = 0
    for delivery in leasing.lost(EventDelivery, now):
        with transaction.atomic():
            changed = EventDelivery.objects.filter(
                pk=delivery.pk, state=DeliveryState.SENDING, lease_until=delivery.lease_until
            ).update(state=DeliveryState.RETRY, lease_until=None, next_attempt_at=now)
            if changed:
                EventAttempt.objects.create(
                    delivery=delivery,
                    number=delivery.attempts,
                    started_at=delivery.lease_until - leasing.LEASE
                    if delivery.lease_until
                    else now,
                    finished_at=now,
                    outcome="interrupted",
                    detail="The worker stopped during this attempt; sent again.",
                )
                leasing.close_dead_task(delivery.task_id, now)
                queue(delivery)
                touched += 1
    return touched + leasing.requeue_orphans(EventDelivery, queue, now)


def subscribe(
    organisation_id: int, url: str, types: list[str], description: str = ""
) -> tuple[Subscription, str]:
    """A new subscription and its secret, shown once."""
    from learnloop.accounts.models import Organisation
    from learnloop.webhooks.setup import save_subscription

    organisation = Organisation.objects.get(pk=organisation_id)
    return save_subscription(organisation, url=url, types=types, description=description)
