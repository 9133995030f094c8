"""Each person's home: what needs them now, by what they do. A responder sees their open analysis
periods and what is left in each; a product or problem manager what waits on them in the
incidents they manage and their team's learning-culture cost this quarter; everyone the
narratives published since their last visit and the walkthroughs they are invited to; an admin or
problem manager the organisation's learning-culture cost by team and quarter. The page and
`GET /api/v1/me/home` show the same sections."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Window,
)
from django.urls import reverse
from django.utils import timezone

from learnloop.accounts.models import Membership, Role
from learnloop.accounts.rights import managed_incidents


@dataclass
class Item:
    """One row of a section: what it is, where to go, and what to say about it."""

    title: str
    url: str
    note: str = ""
    when: datetime | None = None
    late: bool = False


@dataclass
class Section:
    key: str
    title: str
    count: int
    url: str  # the filtered list, or the page where it is done
    items: list[Item] = field(default_factory=list)
    empty: str = ""  # what to do when there is nothing


@dataclass
class CostRow:
    team: str
    quarters: list[Any]  # report.Share per quarter


@dataclass
class Home:
    role: str
    sections: list[Section]
    team_cost: Any | None = None  # report.Share of the manager's team, this quarter
    organisation_costs: list[CostRow] = field(default_factory=list)
    year: int = 0
    quarter: int = 0

    @property
    def costs_at_a_glance(self) -> list[CostRow]:
        """For the page: the whole organisation, then the teams with the largest share this
        quarter (every team is on the costs page and in the API)."""
        *teams, whole = self.organisation_costs

        def share(row: CostRow) -> Decimal:
            percent = row.quarters[self.quarter - 1].percent
            return percent if percent is not None else Decimal(-1)

        return [whole, *sorted(teams, key=share, reverse=True)[:COSTLIEST]]


SHOWN = 8  # rows per section; the count says how many there are
LISTED = ("key", "title", "started_at")  # what a section shows of an incident
COSTLIEST = 5  # teams shown on the home beside the whole organisation


def first_and_count(found: QuerySet[Any]) -> tuple[list[Any], int]:
    """The first SHOWN rows and how many there are in all, in one query (a window count)."""
    shown = list(found.annotate(found_in_all=Window(Count("pk")))[:SHOWN])
    return shown, shown[0].found_in_all if shown else 0


def first_then_count(found: QuerySet[Any]) -> tuple[list[Any], int]:
    """As first_and_count, for rows that may be thousands (a new member's published
    narratives): a window count reads and joins every one of them (8 ms for 5,000 on SQLite),
    so the rows come first and only a full section asks for the count, which the index gives
    without the joins."""
    shown = list(found[:SHOWN])
    return shown, (found.count() if len(shown) == SHOWN else len(shown))


def scoped(rows: QuerySet[Any], membership: Membership, team_field: str) -> QuerySet[Any]:
    """A manager's rows of a child table, by its own columns: a product manager's team's (by
    team_field; none without a team), the organisation's for the others."""
    if membership.role != Role.PRODUCT_MANAGER:
        return rows.filter(organisation_id=membership.organisation_id)
    team = membership.team_id
    return rows.filter(**{team_field: team}) if team else rows.none()


def _quarter_of(day: date) -> tuple[int, date, date]:
    from learnloop.costs.report import quarters

    number = (day.month - 1) // 3 + 1
    start, end = quarters(day.year)[number - 1]
    return number, start, end


def _incidents_link(membership: Membership, **filters: str) -> str:
    if membership.role == Role.PRODUCT_MANAGER and membership.team_id and membership.team:
        filters["team"] = membership.team.slug
    return reverse("incident_list") + "?" + urlencode(filters)


def my_analysis(membership: Membership) -> Section:
    from learnloop.analysis.models import AnalysisAssignment

    open_periods = (
        AnalysisAssignment.objects.filter(analyst_id=membership.user_id, submitted_at__isnull=True)
        .select_related("incident", "report")
        .only("due_at", "incident__key", "incident__title", "report__body")
        .annotate(
            interviews_n=Count("interviews", distinct=True),
            events_n=Count("key_events", distinct=True),
        )
        .order_by("due_at")
    )
    now = timezone.now()
    items = []
    shown, count = first_and_count(open_periods)
    for work in shown:
        report = getattr(work, "report", None)
        said = "report drafted" if report and report.body.strip() else "report not started"
        note = (
            f"{work.interviews_n} interview{'s' if work.interviews_n != 1 else ''}, "
            f"{work.events_n} key event{'s' if work.events_n != 1 else ''}, {said}"
        )
        items.append(
            Item(
                f"{work.incident.key}: {work.incident.title}",
                reverse("assignment", args=[work.pk]),
                note,
                work.due_at,
                work.due_at < now,
            )
        )
    return Section(
        "analysis",
        "Your open analysis periods",
        count,
        reverse("my_assignments"),
        items,
        "No analysis waits for you. When an incident you responded to is of consequence, "
        "your period appears here.",
    )


def _awaiting_decision(membership: Membership, managed: Q) -> Section:
    from learnloop.incidents.models import Incident

    found = (
        Incident.objects.filter(managed, of_consequence__isnull=True)
        .only(*LISTED)
        .order_by("-started_at", "-id")
    )
    shown, count = first_and_count(found)
    items = [
        Item(f"{i.key}: {i.title}", reverse("incident_detail", args=[i.key]), when=i.started_at)
        for i in shown
    ]
    return Section(
        "decide",
        "Incidents awaiting a consequence decision",
        count,
        _incidents_link(membership, of_consequence="undecided"),
        items,
        "Every incident is decided.",
    )


def _overdue_analysis(membership: Membership) -> Section:
    from learnloop.analysis.models import AnalysisAssignment

    # Open periods past due, by their own index: the team's (assignment_team_open) for a
    # product manager, the organisation's (assignment_org_open) for the others.
    overdue = AnalysisAssignment.objects.filter(
        submitted_at__isnull=True, due_at__lt=timezone.now()
    )
    found = (
        scoped(overdue, membership, "incident_team_id")
        .select_related("incident", "analyst")
        .only(
            "due_at",
            "incident__key",
            "analyst__first_name",
            "analyst__last_name",
            "analyst__email",
        )
        .order_by("due_at")
    )
    shown, count = first_then_count(found)  # at 100,000 incidents, 1,356 of them
    items = [
        Item(
            f"{a.incident.key}: {a.analyst.get_full_name() or a.analyst.email}",
            reverse("assignment", args=[a.pk]),
            "report not submitted",
            a.due_at,
            True,
        )
        for a in shown
    ]
    return Section(
        "overdue_analysis",
        "Analysis periods overdue",
        count,
        reverse("incident_list") + "?of_consequence=yes",
        items,
        "No analysis is overdue.",
    )


def _reviews_to_schedule(membership: Membership, managed: Q) -> Section:
    from learnloop.analysis.models import AnalysisAssignment
    from learnloop.incidents.models import Incident

    reported = AnalysisAssignment.objects.filter(
        incident=OuterRef("pk"), submitted_at__isnull=False
    )
    found = (  # the incidents of consequence without a review have an index of their own
        Incident.objects.filter(managed, of_consequence=True, review_scheduled=False)
        .only(*LISTED)
        .filter(Exists(reported))
        .order_by("-started_at", "-id")
    )
    shown, count = first_and_count(found)
    items = [
        Item(
            f"{i.key}: {i.title}",
            reverse("review_schedule", args=[i.key]),
            "analysis reports are in",
            i.started_at,
        )
        for i in shown
    ]
    return Section(
        "reviews_to_schedule",
        "Reviews to schedule",
        count,
        _incidents_link(membership, of_consequence="yes"),
        items,
        "No incident waits for its review.",
    )


def _narratives_in_review(membership: Membership) -> Section:
    from learnloop.narratives.models import Narrative, NarrativeStatus

    found = (
        Narrative.objects.filter(  # the organisation's own column leads to its index
            managed_incidents(membership, "incident__"),
            organisation_id=membership.organisation_id,
            status=NarrativeStatus.IN_REVIEW,
        )
        .select_related("incident")
        .only("title", "updated_at", "incident__key", "incident__title")
        .order_by("-updated_at")
    )
    shown, count = first_and_count(found)
    items = [
        Item(
            f"{n.incident.key}: {n.title or n.incident.title}",
            reverse("narrative_edit", args=[n.incident.key]),
            "in review",
            n.updated_at,
        )
        for n in shown
    ]
    return Section(
        "narratives_in_review",
        "Narratives waiting for review",
        count,
        reverse("incident_list"),
        items,
        "No narrative waits for review.",
    )


def _late_actions(membership: Membership) -> tuple[Section, Section]:
    from learnloop.actions.models import ImprovementAction
    from learnloop.actions.services import OPEN

    open_actions = ImprovementAction.objects.filter(status__in=OPEN)
    # A product manager's are the team's backlog (action_team_target), the others' the
    # organisation's (action_org_target).
    listed = scoped(open_actions, membership, "owner_team_id").only(
        "uid", "title", "idea_at", "target_at"
    )
    # Late: past the target each keeps for its incident's severity (actions/targets.py).
    overdue, overdue_count = first_then_count(
        listed.filter(target_at__lt=timezone.now()).order_by("target_at", "pk")
    )
    unestimated, unestimated_count = first_then_count(
        listed.filter(
            Q(cost_of_delay_per_week__isnull=True) | Q(estimate_weeks__isnull=True)
        ).order_by("-idea_at", "-pk")
    )

    def items(found: list[Any], note: str, late: bool) -> list[Item]:
        return [
            Item(
                a.title,
                reverse("action_detail", args=[a.uid]),
                note,
                a.target_at if late else a.idea_at,
                late,
            )
            for a in found
        ]

    overdue_items = items(overdue, "past its target for the incident's severity", True)
    unestimated_items = items(unestimated, "estimate it to rank it by CD3", False)
    backlog = (
        reverse("team_backlog", args=[membership.team.slug])
        if membership.team_id and membership.team
        else reverse("incident_list")
    )
    return (
        Section(
            "actions_overdue",
            "Improvement actions overdue",
            overdue_count,
            backlog,
            overdue_items,
            "No action is past its target.",
        ),
        Section(
            "actions_unestimated",
            "Actions without a cost of delay or an estimate",
            unestimated_count,
            backlog,
            unestimated_items,
            "Every open action is estimated.",
        ),
    )


def _published_since(membership: Membership, since: datetime | None) -> Section:
    from learnloop.narratives.models import Narrative, NarrativeStatus

    found = Narrative.objects.filter(
        organisation_id=membership.organisation_id, status=NarrativeStatus.PUBLISHED
    ).select_related("incident")
    found = found.only("title", "published_at", "incident__key", "incident__title")
    if since is not None:
        found = found.filter(published_at__gt=since)
    found = found.order_by("-published_at")
    shown, count = first_then_count(found)
    items = [
        Item(
            n.title or n.incident.title,
            reverse("portal_narrative", args=[n.incident.key]),
            n.incident.key,
            n.published_at,
        )
        for n in shown
    ]
    return Section(
        "published",
        "Narratives published since your last visit" if since else "Published narratives",
        count,
        reverse("portal"),
        items,
        "Nothing new since your last visit: the portal holds every narrative.",
    )


def _walkthroughs(membership: Membership) -> Section:
    from learnloop.narratives.models import WalkthroughAttendee

    found = (
        WalkthroughAttendee.objects.filter(
            user_id=membership.user_id, walkthrough__ends_at__gte=timezone.now()
        )
        .select_related("walkthrough__narrative__incident")
        .only(
            "walkthrough__starts_at",
            "walkthrough__location",
            "walkthrough__narrative__title",
            "walkthrough__narrative__incident__key",
            "walkthrough__narrative__incident__title",
        )
        .order_by("walkthrough__starts_at")
    )
    shown, count = first_and_count(found)
    items = [
        Item(
            w.walkthrough.narrative.title or w.walkthrough.narrative.incident.title,
            reverse("portal_narrative", args=[w.walkthrough.narrative.incident.key]),
            w.walkthrough.location or "",
            w.walkthrough.starts_at,
        )
        for w in shown
    ]
    return Section(
        "walkthroughs",
        "Walkthroughs you are invited to",
        count,
        reverse("portal"),
        items,
        "No walkthrough ahead for you.",
    )


def build(membership: Membership, since: datetime | None = None) -> Home:
    """`since`: the person's previous visit (None: never), for the narratives published since."""
    from learnloop.costs import report
    from learnloop.costs.ledger import settings_of

    sections: list[Section] = []
    home = Home(role=membership.role, sections=sections)
    manages = membership.role in Membership.MANAGER_ROLES
    if membership.role != Role.MEMBER:
        sections.append(my_analysis(membership))
    if manages:
        managed = managed_incidents(membership)
        sections += [
            _awaiting_decision(membership, managed),
            _overdue_analysis(membership),
            _reviews_to_schedule(membership, managed),
            _narratives_in_review(membership),
            *_late_actions(membership),
        ]
    sections += [_published_since(membership, since), _walkthroughs(membership)]
    today = timezone.localdate()
    if membership.role == Role.PRODUCT_MANAGER and membership.team:
        _, start, end = _quarter_of(today)
        team = membership.team
        lines = report.summary(membership.organisation, start, end, team.slug)
        amount = sum((line.amount for line in lines), Decimal(0))
        tco = lines[0].tco if lines else None
        percent = (amount / tco * 100).quantize(Decimal("0.01")) if tco else None
        settings = settings_of(membership.organisation)
        band = settings.band(percent) if percent is not None else "—"
        home.team_cost = report.Share(amount, tco, percent, band)
    if membership.role in (Role.ADMIN, Role.PROBLEM_MANAGER):
        teams, shares = report.by_quarter(membership.organisation, today.year)
        home.year = today.year
        home.quarter = _quarter_of(today)[0]
        home.organisation_costs = [
            CostRow(t.name, [shares[(t.pk, n)] for n in (1, 2, 3, 4)]) for t in teams
        ] + [CostRow("Whole organisation", [shares[(None, n)] for n in (1, 2, 3, 4)])]
    return home
