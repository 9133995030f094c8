"""Themes that recur after an action meant to address them. Derived on read, never stored: an
incident counts when it started after the action reached practice (or, while the action is still
open, after it became an idea) and carries one of the action's themes, on the incident itself or
on one of its key events."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from learnloop.actions.models import ImprovementAction
from learnloop.analysis.models import LearningTheme
from learnloop.incidents.models import Incident


@dataclass
class Recurrence:
    incident: Incident
    themes: list[LearningTheme]


def recurrences(action: ImprovementAction) -> list[Recurrence]:
    themes = list(action.themes.all())
    if not themes:
        return []
    since = action.in_practice_at or action.idea_at
    ids = [t.pk for t in themes]
    incidents = (
        Incident.objects.filter(
            organisation_id=action.incident.organisation_id, started_at__gt=since
        )
        .exclude(pk=action.incident_id)
        .filter(Q(themes__in=ids) | Q(key_events__themes__in=ids))
        .distinct()
        .order_by("started_at")
        .prefetch_related("themes", "key_events__themes")[:20]
    )
    found = []
    for incident in incidents:
        tagged = {t.pk for t in incident.themes.all()} | {
            t.pk for e in incident.key_events.all() for t in e.themes.all()
        }
        found.append(Recurrence(incident, [t for t in themes if t.pk in tagged]))
    return found
