"""The improvement action lifecycle: closure needs evidence, won't do needs a reason, and every
change is kept with who and when."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from learnloop.actions.models import ActionChange, ActionStatus, ImprovementAction
from learnloop.audit.models import AuditAction
from learnloop.audit.trail import record
from learnloop.incidents.models import Incident
from learnloop.lib import cost_of_delay
from learnloop.webhooks.models import EventType
from learnloop.webhooks.outbox import emit

OPEN = (ActionStatus.IDEA, ActionStatus.PLANNED, ActionStatus.IN_PROGRESS, ActionStatus.IMPLEMENTED)


@transaction.atomic
def add_action(incident: Incident, by: User | None, **fields: Any) -> ImprovementAction:
    themes = fields.pop("themes", [])
    action = ImprovementAction(incident=incident, **fields)
    if action.owner_team_id is None:
        action.owner_team_id = incident.team_id
    action.position = incident.improvement_actions.count()
    action.full_clean()
    action.save()
    action.themes.set(themes)
    ActionChange.objects.create(action=action, to_status=action.status, by=by, note="Recorded")
    return action


EDITABLE = (
    "title",
    "description",
    "kind",
    "owner_team",
    "estimate_weeks",
    "cost_of_delay_per_week",
    "recurrence_chance_per_week",
    "exposure_per_hour",
    "typical_duration_hours",
    "toil_hours_per_week",
    "toil_hourly_rate",
)


@transaction.atomic
def update_action(action: ImprovementAction, by: User | None, **changes: Any) -> list[str]:
    """Changes what an action is and what it is worth (an action drafted in a review gets its
    estimate and cost of delay here); the history records what changed. Returns the changes."""
    themes = changes.pop("themes", None)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({name: "This cannot be changed here." for name in sorted(unknown)})
    said = []
    for name, value in changes.items():
        before = getattr(action, name)
        if before != value:
            label = name.replace("_", " ")
            said.append(f"{label}: {_shown(before)} → {_shown(value)}")
            setattr(action, name, value)
    if themes is not None and set(themes) != set(action.themes.all()):
        said.append("themes: " + (", ".join(sorted(str(t) for t in themes)) or "none"))
    if not said:
        return said
    action.full_clean()
    action.save()
    if themes is not None:
        action.themes.set(themes)
    ActionChange.objects.create(
        action=action,
        from_status=action.status,
        to_status=action.status,
        by=by,
        note="Edited: " + "; ".join(said),
    )
    return said


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "none"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


@transaction.atomic
def transition(
    action: ImprovementAction,
    to_status: str,
    by: User | None,
    *,
    evidence: str = "",
    reason: str = "",
    source: str = "learnloop",
    at: datetime | None = None,
) -> ImprovementAction:
    """Moves an action through its lifecycle. In practice needs evidence that it works; won't do
    needs a written reason. Moving to the same status changes nothing and records nothing."""
    if to_status not in ActionStatus.values:
        raise ValidationError({"status": f"'{to_status}' is not a lifecycle status."})
    if to_status == action.status:
        return action
    now = at or timezone.now()
    note = ""
    if to_status == ActionStatus.IN_PRACTICE:
        if not evidence.strip():
            raise ValidationError({"evidence": "Say what shows that it works in practice."})
        action.evidence, action.in_practice_at, note = evidence.strip(), now, evidence.strip()
    elif to_status == ActionStatus.WONT_DO:
        if not reason.strip():
            raise ValidationError({"wont_do_reason": "Give the reason for not doing it."})
        action.wont_do_reason, action.closed_at, note = reason.strip(), now, reason.strip()
    else:
        action.in_practice_at = None
        action.closed_at = None
    ActionChange.objects.create(
        action=action,
        from_status=action.status,
        to_status=to_status,
        by=by,
        note=note,
        source=source,
        created_at=now,
    )
    was = action.status
    action.status = to_status
    action.save()
    incident = action.incident
    data = {
        "action": str(action.uid),
        "title": action.title,
        "incident": incident.key,
        "from": was,
        "to": to_status,
        "source": source,
        "url": f"{settings.BASE_URL}/actions/{action.uid}/",
    }
    emit(incident.organisation_id, EventType.ACTION_STATUS_CHANGED, str(action.uid), data)
    if to_status in CLOSING:
        record(
            CLOSING[to_status],
            organisation_id=action.incident.organisation_id,
            target=f"{action.incident.key}: {action.title}",
            before={"status": was},
            after={"status": to_status, "why": note, "source": source},
        )
    return action


# Closing an action is audited: who decided it works in practice, or that it won't be done.
CLOSING: dict[str, str] = {
    ActionStatus.IN_PRACTICE: AuditAction.ACTION_IN_PRACTICE,
    ActionStatus.WONT_DO: AuditAction.ACTION_WONT_DO,
}


def accrued_cost_of_delay(action: ImprovementAction, now: datetime | None = None) -> Decimal:
    """From idea to in practice (or won't do), or to now while it is still open."""
    end = action.in_practice_at or action.closed_at or now or timezone.now()
    return cost_of_delay.accrued(action.cost_of_delay_per_week, action.idea_at, end)


def is_overdue(action: ImprovementAction, now: datetime) -> bool:
    return action.status in OPEN and action.target_at < now
