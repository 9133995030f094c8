"""Narratives are published through a signal (its receivers write in the publishing
transaction); the event for subscribers is one of them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.dispatch import receiver

from learnloop.narratives.signals import narrative_published
from learnloop.webhooks.models import EventType
from learnloop.webhooks.outbox import emit, when


@receiver(narrative_published)
def published(sender: Any, narrative: Any, revision: Any, **kwargs: Any) -> None:
    incident = narrative.incident
    data = {
        "incident": incident.key,
        "title": revision.title,
        "revision": revision.revision,
        "published_at": when(revision.published_at),
        "url": f"{settings.BASE_URL}/narratives/{incident.key}/",
    }
    emit(incident.organisation_id, EventType.NARRATIVE_PUBLISHED, incident.key, data)
