"""The audit trail as an organisation's admins read it: filtered, paged, or as JSON Lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from learnloop.audit.models import AuditEntry


@dataclass(frozen=True)
class Filters:
    action: str = ""
    actor: str = ""  # part of the actor's name or email
    target: str = ""  # part of what was acted on
    since: date | None = None
    until: date | None = None  # inclusive


def entries(organisation_id: int, filters: Filters) -> QuerySet[AuditEntry]:
    found = AuditEntry.objects.filter(organisation_id=organisation_id)
    if filters.action:
        found = found.filter(action=filters.action)
    if filters.actor:
        found = found.filter(actor_label__icontains=filters.actor)
    if filters.target:
        found = found.filter(target__icontains=filters.target)
    if filters.since:
        found = found.filter(at__gte=_midnight(filters.since))
    if filters.until:
        found = found.filter(at__lt=_midnight(filters.until + timedelta(days=1)))
    return found.order_by("-at", "-id")


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def as_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(),
        "actor": entry.actor_label,
        "actor_id": entry.actor_id,
        "address": entry.address,
        "action": entry.action,
        "target": entry.target,
        "before": entry.before,
        "after": entry.after,
    }


def json_lines(found: QuerySet[AuditEntry]) -> Iterator[str]:
    for entry in found.iterator(chunk_size=2000):
        yield json.dumps(as_json(entry), ensure_ascii=False, sort_keys=True) + "\n"
