"""The cost ledger summary and the measures of a learning culture."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router

from learnloop.accounts.models import Team
from learnloop.accounts.rights import can_rank_backlog
from learnloop.api.common import Schema, member
from learnloop.costs import report
from learnloop.insights.measures import measure
from learnloop.lib.stats import Distribution

router = Router(tags=["costs and measures"])


class CostLineOut(Schema):
    team: str
    cost_type: str
    capex: Decimal
    opex: Decimal
    amount: Decimal
    hours: Decimal
    tco: Decimal | None
    tco_percent: Decimal | None
    band: str
    expected: str


class DistributionOut(Schema):
    count: int
    median: Decimal | None
    p85: Decimal | None
    total: Decimal


class MeasuresOut(Schema):
    lead_time_days: DistributionOut
    days_between_practice: DistributionOut
    days_between_chaos_days: DistributionOut
    actions_total: int
    actions_decided: int
    open_cost_of_delay: DistributionOut
    hours_allocated: Decimal
    hours_used: Decimal
    use_of_allocation: DistributionOut
    readers_per_narrative: DistributionOut


def _out(d: Distribution) -> DistributionOut:
    return DistributionOut(count=d.count, median=d.median, p85=d.p85, total=d.total)


@router.get(
    "/costs",
    response=list[CostLineOut],
    summary="Cost of the learning culture per team and type for a period (managers)",
)
def costs(
    request: HttpRequest,
    team: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[CostLineOut]:
    membership = member(request)
    teams = Team.objects.filter(organisation_id=membership.organisation_id)
    chosen = [get_object_or_404(teams, slug=team)] if team else list(teams)
    if not all(can_rank_backlog(membership, t) for t in chosen):
        raise PermissionDenied("Costs are for the team's managers.")
    today = timezone.now().date()
    first, last = start or today.replace(month=1, day=1), end or today
    if last < first:
        raise ValidationError({"end": "The period ends before it starts."})
    return [
        CostLineOut(**line.__dict__)
        for line in report.summary(membership.organisation, first, last, team)
    ]


@router.get(
    "/measures", response=MeasuresOut, summary="Measures of a learning culture, as distributions"
)
def measures(request: HttpRequest, team: str | None = None) -> MeasuresOut:
    membership = member(request)
    chosen = (
        get_object_or_404(Team, organisation_id=membership.organisation_id, slug=team)
        if team
        else None
    )
    found = measure(membership.organisation, chosen.pk if chosen else None)
    return MeasuresOut(
        lead_time_days=_out(found.lead_time_days),
        days_between_practice=_out(found.days_between_practice),
        days_between_chaos_days=_out(found.days_between_chaos_days),
        actions_total=found.actions_total,
        actions_decided=found.actions_decided,
        open_cost_of_delay=_out(found.open_cost_of_delay),
        hours_allocated=found.hours_allocated,
        hours_used=found.hours_used,
        use_of_allocation=_out(found.use_of_allocation),
        readers_per_narrative=_out(found.readers_per_narrative),
    )
