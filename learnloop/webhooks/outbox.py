"""Where the rest of learnloop says what happened: `emit` records a lifecycle event and its
deliveries in the caller's transaction (the change and its event commit together, or neither)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from learnloop.accounts.models import organisation_param
from learnloop.lib import statements
from learnloop.webhooks import tasks
from learnloop.webhooks.models import EventDelivery, OutboundEvent, Subscription


def listeners(organisation_id: int) -> list[Subscription]:
    """The organisation's active subscriptions: read once by a caller about to emit several
    events, and passed to emit as `among` (every create does: a statement compiled once)."""
    given = {"organisation": organisation_id}
    return statements.prepared("listeners", _listeners).instances(Subscription, given)


def _listeners() -> QuerySet[Any, Any]:
    mine = Subscription.objects.filter(organisation_id=organisation_param(), active=True)
    return statements.whole(mine)


def emit(
    organisation_id: int,
    event_type: str,
    subject: str,
    data: dict[str, Any],
    among: list[Subscription] | None = None,
) -> None:
    """Records the event and one delivery per subscription that wants it, in the caller's
    transaction. Nothing is recorded when nobody listens."""
    subscriptions = listeners(organisation_id) if among is None else among
    wanted = [s for s in subscriptions if s.wants(event_type)]
    if not wanted:
        return
    with transaction.atomic():
        event = OutboundEvent.objects.create(
            uid=f"msg_{uuid.uuid4().hex}",
            organisation_id=organisation_id,
            type=event_type,
            subject=subject[:200],
            data=data,
        )
        for subscription in wanted:
            queue(EventDelivery.objects.create(subscription=subscription, event=event))


def queue(delivery: EventDelivery, at: datetime | None = None) -> None:
    task = tasks.send_event.using(run_after=at) if at else tasks.send_event
    delivery.task_id = str(task.enqueue(delivery.pk).id)
    EventDelivery.objects.filter(pk=delivery.pk).update(task_id=delivery.task_id)


def when(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def incident_data(incident: Any) -> dict[str, Any]:
    from django.conf import settings

    return {
        "key": incident.key,
        "title": incident.title,
        "team": incident.team.slug if incident.team_id and incident.team else None,
        "severity": incident.severity,
        "status": incident.status,
        "started_at": when(incident.started_at),
        "of_consequence": incident.of_consequence,
        "url": f"{settings.BASE_URL}/incidents/{incident.key}/",
    }
