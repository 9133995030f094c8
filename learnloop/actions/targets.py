"""When an improvement action is due in practice: its idea plus the days the consequence policy
gives its incident's severity (action_target_days). Each action stores its target (target_at), so
that an organisation's late actions are found by an index rather than by reading each open
action's incident; the target is set again whenever one of its three inputs changes: the action
is saved, its incident's severity changes, or the policy's days change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import F, QuerySet

if TYPE_CHECKING:
    from learnloop.actions.models import ImprovementAction
    from learnloop.incidents.models import ConsequencePolicy


def target_of(idea_at: datetime, severity: int | None, policy: ConsequencePolicy) -> datetime:
    return idea_at + timedelta(days=policy.target_days_for(severity))


def aim(action: ImprovementAction) -> None:
    """Sets the action's target from its idea, its incident and its organisation's policy."""
    from learnloop.incidents.services import policy_of

    policy = policy_of(action.organisation_id)
    action.target_at = target_of(action.idea_at, action.incident.severity, policy)


def retarget(actions: QuerySet[Any], days_for: Callable[[int | None], int]) -> None:
    """Sets the stored target of each of these actions from its incident's severity, one
    statement for each number of days the policy gives (days_for: its target_days_for). The
    days for no severity also go to an incident without one."""
    from learnloop.incidents.models import Severity

    unknown = days_for(None)
    severities_by_days: dict[int, list[int]] = {unknown: []}
    for severity in Severity.values:
        severities_by_days.setdefault(days_for(severity), []).append(severity)
    for days, severities in severities_by_days.items():
        if days == unknown:  # these severities, and none
            others = [s for s in Severity.values if s not in severities]
            which = actions.exclude(incident__severity__in=others)
        else:
            which = actions.filter(incident__severity__in=severities)
        which.update(target_at=F("idea_at") + timedelta(days=days))
