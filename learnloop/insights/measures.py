"""The playbook's measures of a learning culture, as distributions."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from learnloop.accounts.models import Organisation
from learnloop.actions.models import ActionStatus, ImprovementAction
from learnloop.actions.services import OPEN, accrued_cost_of_delay
from learnloop.analysis.models import AnalysisAssignment, TimeEntry
from learnloop.costs.models import ChaosDay
from learnloop.lib.stats import Distribution
from learnloop.narratives.models import Narrative

DAY = Decimal(86400)


def _days(start: datetime, end: datetime) -> Decimal:
    return Decimal((end - start).total_seconds()) / DAY


@dataclass
class Measures:
    lead_time_days: Distribution
    days_between_practice: Distribution
    days_between_chaos_days: Distribution
    actions_total: int
    actions_decided: int  # in practice or won't do
    open_cost_of_delay: Distribution
    hours_allocated: Decimal
    hours_used: Decimal
    use_of_allocation: Distribution  # hours used / allocated per assignment, in %
    readers_per_narrative: Distribution  # unique readers of each published narrative

    @property
    def decided_share(self) -> Decimal | None:
        if not self.actions_total:
            return None
        return (Decimal(self.actions_decided) * 100 / self.actions_total).quantize(Decimal("0.1"))


def measure(
    organisation: Organisation, team_id: int | None = None, now: datetime | None = None
) -> Measures:
    now = now or timezone.now()
    actions = ImprovementAction.objects.filter(incident__organisation=organisation)
    chaos = ChaosDay.objects.filter(team__organisation=organisation)
    assignments = AnalysisAssignment.objects.filter(incident__organisation=organisation)
    if team_id is not None:
        actions = actions.filter(owner_team_id=team_id)
        chaos = chaos.filter(team_id=team_id)
        assignments = assignments.filter(incident__team_id=team_id)
    practised = [
        (idea, done)
        for idea, done in actions.filter(status=ActionStatus.IN_PRACTICE)
        .order_by("in_practice_at")
        .values_list("idea_at", "in_practice_at")
        if done is not None
    ]
    lead = [_days(idea, done) for idea, done in practised]
    between = [_days(a[1], b[1]) for a, b in itertools.pairwise(practised)]
    chaos_days = list(chaos.order_by("held_on").values_list("held_on", flat=True))
    chaos_gaps = [Decimal((b - a).days) for a, b in itertools.pairwise(chaos_days)]
    open_actions = actions.filter(status__in=OPEN, cost_of_delay_per_week__isnull=False)
    used_by = {
        assignment: Decimal(str(hours or 0)).quantize(Decimal("0.01"))  # SQLite sums in floats
        for assignment, hours in TimeEntry.objects.filter(assignment__in=assignments)
        .values("assignment_id")
        .annotate(hours=Sum("hours"))
        .values_list("assignment_id", "hours")
    }
    allocated = list(assignments.values_list("id", "hours_allocated"))
    narratives = Narrative.objects.filter(
        organisation=organisation, current_publication__isnull=False
    )
    if team_id is not None:
        narratives = narratives.filter(incident__team_id=team_id)
    readers = narratives.annotate(readers=Count("reads")).values_list("readers", flat=True)
    return Measures(
        lead_time_days=Distribution.of(lead),
        days_between_practice=Distribution.of(between),
        days_between_chaos_days=Distribution.of(chaos_gaps),
        actions_total=actions.count(),
        actions_decided=actions.filter(
            status__in=(ActionStatus.IN_PRACTICE, ActionStatus.WONT_DO)
        ).count(),
        open_cost_of_delay=Distribution.of([accrued_cost_of_delay(a, now) for a in open_actions]),
        hours_allocated=sum((h for _, h in allocated), Decimal("0.00")),
        hours_used=sum(used_by.values(), Decimal("0.00")),
        use_of_allocation=Distribution.of(
            [Decimal(used_by.get(pk) or 0) * 100 / hours for pk, hours in allocated if hours]
        ),
        readers_per_narrative=Distribution.of([Decimal(n) for n in readers]),
    )
