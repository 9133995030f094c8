"""Posts the learning culture's costs to the ledger, derived from what was recorded elsewhere
(trainings, setup effort, analysis time, reviews, improvement actions). Posting compares what each
source should amount to with what the ledger already says for it, and appends only the
difference: running it twice adds nothing, and a changed source gets a correction entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from learnloop.accounts.models import Organisation
from learnloop.actions.models import ActionChange, ActionStatus, ImprovementAction
from learnloop.analysis.models import TimeEntry
from learnloop.costs import months
from learnloop.costs.models import (
    CostSettings,
    CostType,
    LedgerEntry,
    LedgerMonth,
    SetupEffort,
    TeamCostProfile,
    Training,
)
from learnloop.lib.cost_of_delay import cents
from learnloop.narratives.models import Walkthrough, WalkthroughKind
from learnloop.reviews.models import Review

WEEK = Decimal(7 * 24 * 3600)


@dataclass
class Line:
    source: str
    team_id: int | None
    cost_type: str
    occurred_on: date
    amount: Decimal
    description: str
    hours: Decimal | None = None
    service_id: int | None = None
    accruing: bool = False  # the running month of an open action's cost of delay


def settings_of(organisation: Organisation) -> CostSettings:
    found, _ = CostSettings.objects.get_or_create(organisation=organisation)
    return found


class Rates:
    """Hourly rate per team: loaded annual people cost / headcount / working hours a year."""

    def __init__(self, organisation: Organisation, cost_settings: CostSettings) -> None:
        self.default = cost_settings.default_rate
        self.hours_a_year = Decimal(cost_settings.working_hours_per_year)
        self.by_team = {
            p.team_id: cents(p.loaded_annual_people_cost / max(p.headcount, 1) / self.hours_a_year)
            for p in TeamCostProfile.objects.filter(team__organisation=organisation)
        }

    def of(self, team_id: int | None) -> Decimal:
        return self.by_team.get(team_id, self.default) if team_id else self.default


def _setup(organisation: Organisation, rates: Rates) -> list[Line]:
    lines = []
    for training in Training.objects.filter(team__organisation=organisation):
        lines.append(
            Line(
                f"training:{training.pk}",
                training.team_id,
                CostType.SETUP,
                training.held_on,
                cents(training.hours * rates.of(training.team_id)),
                training.get_kind_display(),
                training.hours,
            )
        )
    for effort in SetupEffort.objects.filter(team__organisation=organisation):
        lines.append(
            Line(
                f"setup:{effort.pk}",
                effort.team_id,
                CostType.SETUP,
                effort.done_on,
                cents(effort.hours * rates.of(effort.team_id)),
                effort.get_kind_display(),
                effort.hours,
            )
        )
    return lines


# What a cost line needs of its incident, read with each source's row rather than the incident
# as a model instance: 89,000 time entries at 100,000 incidents took most of a posting's 8 s so.
INCIDENT = ("team_id", "service_id", "key")


@dataclass
class Of:
    """The incident a source belongs to, as its cost line needs it."""

    team_id: int | None
    service_id: int | None
    key: str


def _insight(organisation: Organisation, rates: Rates) -> list[Line]:
    lines = []
    entries = TimeEntry.objects.filter(assignment__incident__organisation=organisation)
    incident = [f"assignment__incident__{name}" for name in INCIDENT]
    for uid, hours, spent_on, *of in entries.values_list("uid", "hours", "spent_on", *incident):
        about = Of(*of)
        lines.append(
            Line(
                f"analysis:{uid}",
                about.team_id,
                CostType.INSIGHT,
                spent_on,
                cents(hours * rates.of(about.team_id)),
                f"Analysis of {about.key}",
                hours,
                about.service_id,
            )
        )
    reviews = (
        Review.objects.filter(incident__organisation=organisation, starts_at__lte=timezone.now())
        .exclude(status="cancelled")
        .annotate(
            invited=Count("invitees", distinct=True),
            present=Count("invitees", filter=Q(invitees__attended=True), distinct=True),
            analysts=Count("incident__assignments", distinct=True),
        )
        .values_list(
            "uid", "starts_at", "ends_at", "preparation_hours", "invited", "present", "analysts",
            *(f"incident__{name}" for name in INCIDENT),
        )
    )  # fmt: skip
    for uid, starts_at, ends_at, preparation, invited, present, analysts, *of in reviews:
        # Those recorded as present; else those invited; else (older reviews) the analysts.
        attendees = present or invited or analysts
        session = Session(starts_at, ends_at, attendees, preparation)
        lines.append(session.line(f"review:{uid}", Of(*of), rates, "Review"))
    walkthroughs = (
        Walkthrough.objects.filter(
            narrative__incident__organisation=organisation, starts_at__lte=timezone.now()
        )
        .annotate(
            invited=Count("attendees"),
            present=Count("attendees", filter=Q(attendees__attended=True)),
        )
        .values_list(
            "uid", "kind", "starts_at", "ends_at", "invited", "present",
            *(f"narrative__incident__{name}" for name in INCIDENT),
        )
    )  # fmt: skip
    kinds = dict(WalkthroughKind.choices)
    for uid, kind, starts_at, ends_at, invited, present, *of in walkthroughs:
        session = Session(starts_at, ends_at, present or invited, Decimal(0))
        lines.append(session.line(f"walkthrough:{uid}", Of(*of), rates, str(kinds[kind])))
    return lines


@dataclass
class Session:
    """A review or walkthrough: attendees x duration, plus preparation."""

    starts_at: datetime
    ends_at: datetime
    attendees: int
    preparation: Decimal

    def line(self, source: str, incident: Of, rates: Rates, what: str) -> Line:
        duration = Decimal((self.ends_at - self.starts_at).total_seconds()) / 3600
        hours = (duration * self.attendees + self.preparation).quantize(Decimal("0.01"))
        return Line(
            source,
            incident.team_id,
            CostType.INSIGHT,
            self.starts_at.date(),
            cents(hours * rates.of(incident.team_id)),
            f"{what} of {incident.key} ({self.attendees} attendees)",
            hours,
            incident.service_id,
        )


def _run(organisation: Organisation, rates: Rates) -> list[Line]:
    """An action put into practice: its estimate's hours, on the day it was first implemented
    (its first change to implemented or in practice; else its idea)."""
    lines = []
    done_statuses = (ActionStatus.IMPLEMENTED, ActionStatus.IN_PRACTICE)
    first_done = (
        ActionChange.objects.filter(action=OuterRef("pk"), to_status__in=done_statuses)
        .order_by("created_at")
        .values("created_at")[:1]
    )
    done = (
        ImprovementAction.objects.filter(
            incident__organisation=organisation,
            estimate_weeks__isnull=False,
            status__in=done_statuses,
        )
        .annotate(implemented_at=Subquery(first_done))
        .select_related("incident")
    )
    for action in done:
        implemented_at = getattr(action, "implemented_at")  # noqa: B009 - annotated above
        when = implemented_at.date() if implemented_at else action.idea_at.date()
        assert action.estimate_weeks is not None
        hours = (action.estimate_weeks * rates.hours_a_year / 52).quantize(Decimal("0.01"))
        team = action.owner_team_id or action.incident.team_id
        lines.append(
            Line(
                f"run:{action.uid}",
                team,
                CostType.RUN,
                when,
                cents(hours * rates.of(team)),
                f"Putting into practice: {action.title}"[:300],
                hours,
                action.incident.service_id,
            )
        )
    return lines


def _months(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    slices = []
    cursor = start
    while cursor < end:
        following = (cursor.replace(day=1) + timedelta(days=32)).replace(
            day=1, hour=0, minute=0, second=0, microsecond=0
        )
        slices.append((cursor, min(following, end)))
        cursor = following
    return slices


def _opportunity(organisation: Organisation, now: datetime) -> list[Line]:
    """Cost of delay accrued from idea to practice (or, while open, to the start of today), in
    monthly slices whose rounding telescopes, so the slices add up to the whole to the cent.
    An open action accrues in whole days: posting again the same day appends nothing."""
    lines = []
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    actions = ImprovementAction.objects.filter(
        incident__organisation=organisation, cost_of_delay_per_week__isnull=False
    ).select_related("incident")
    for action in actions:
        assert action.cost_of_delay_per_week is not None
        end = action.in_practice_at or action.closed_at or max(today, action.idea_at)
        per_second = action.cost_of_delay_per_week / WEEK
        team = action.owner_team_id or action.incident.team_id
        for start, stop in _months(action.idea_at, end):
            before = cents(per_second * Decimal((start - action.idea_at).total_seconds()))
            after = cents(per_second * Decimal((stop - action.idea_at).total_seconds()))
            lines.append(
                Line(
                    f"delay:{action.uid}:{start:%Y-%m}",
                    team,
                    CostType.OPPORTUNITY,
                    (stop - timedelta(microseconds=1)).date(),
                    after - before,
                    f"Cost of delay: {action.title}"[:300],
                    service_id=action.incident.service_id,
                    accruing=stop == today,
                )
            )
    return lines


@transaction.atomic
def post(organisation: Organisation, now: datetime | None = None) -> int:
    """Brings the ledger in line with its sources; returns how many entries were appended.
    One posting at a time per organisation (its row is locked until the commit): two at once
    would both append the same differences."""
    months.hold(organisation.pk)
    cost_settings = settings_of(organisation)
    rates = Rates(organisation, cost_settings)
    desired = {
        line.source: line
        for line in (
            _setup(organisation, rates)
            + _insight(organisation, rates)
            + _run(organisation, rates)
            + _opportunity(organisation, now or timezone.now())
        )
    }
    sums = (
        LedgerEntry.objects.filter(organisation=organisation)
        .values("source")
        .annotate(total=Sum("amount"), hours=Sum("hours"))
    )
    posted = {row["source"]: Decimal(row["total"] or 0) for row in sums}
    posted_hours = {row["source"]: Decimal(row["hours"] or 0) for row in sums}
    new = []
    for source, line in desired.items():
        difference = line.amount - posted.get(source, Decimal(0))
        hours = None
        if line.hours is not None:
            hours = line.hours - posted_hours.get(source, Decimal(0))
        if difference or hours:
            new.append(
                LedgerEntry(
                    organisation=organisation,
                    team_id=line.team_id,
                    service_id=line.service_id,
                    cost_type=line.cost_type,
                    capex=cost_settings.capex_by_default,
                    occurred_on=line.occurred_on,
                    hours=hours,
                    amount=difference,
                    description=line.description,
                    source=source,
                    correction=source in posted and not line.accruing,
                )
            )
    for source, total in posted.items():
        if source not in desired and total:
            last = LedgerEntry.objects.filter(organisation=organisation, source=source).last()
            assert last is not None
            new.append(
                LedgerEntry(
                    organisation=organisation,
                    team_id=last.team_id,
                    service_id=last.service_id,
                    cost_type=last.cost_type,
                    capex=last.capex,
                    occurred_on=last.occurred_on,  # corrects the period it belonged to
                    amount=-total,
                    hours=-posted_hours[source] or None,
                    description=f"Reversed: {last.description}"[:300],
                    source=source,
                    correction=True,
                )
            )
    LedgerEntry.objects.bulk_create(new)
    LedgerMonth.refresh(organisation.pk, {entry.occurred_on.replace(day=1) for entry in new})
    CostSettings.objects.filter(pk=cost_settings.pk).update(ledger_posted_at=timezone.now())
    return len(new)
