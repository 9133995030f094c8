"""A year of the demo organisation's history, so that the measures, themes and cost pages have
something to show on first start: incidents across the three teams, analyses with their hours and
reports, reviews held, narratives published and read, improvement actions in every state, and the
setup work (trainings, playbacks, chaos days) with each team's cost profile. Generated from a
fixed seed, relative to the day it runs: the same organisation every time."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import User

from learnloop.accounts.models import Service, Team
from learnloop.actions.models import ActionKind, ActionStatus
from learnloop.actions.services import add_action, transition
from learnloop.analysis.models import AnalysisAssignment, KeyEvent, LearningTheme, TimeEntry
from learnloop.analysis.services import save_report
from learnloop.costs.models import ChaosDay, SetupEffort, SetupKind, TeamCostProfile, Training
from learnloop.incidents.models import Incident, ResponseRole, Status
from learnloop.incidents.services import record_incident
from learnloop.narratives import services as narratives
from learnloop.narratives.draft import generate_draft
from learnloop.narratives.models import NarrativeRead, Publication
from learnloop.reviews.models import InviteeKind, Review, ReviewInvitee, ReviewStatus


@dataclass(frozen=True)
class Past:
    team: str
    service: str
    title: str
    severity: int
    minutes: int
    noticed: str  # how it was detected
    fixed: str  # how it was mitigated
    action: str  # the improvement it led to
    theme: str
    customer_facing: bool = False


# Oldest first; each becomes one incident, spread over the last twelve months.
# fmt: off
HISTORY = [
    Past("tracking", "tracking-api", "Tracking API answered 503 during the Monday morning peak", 2, 55, "Synthetic checks fail from three regions.", "Two more API replicas started by hand.", "Autoscale the tracking API on request queue depth", "Capacity planning", True),
    Past("depots", "scanner-gateway", "Depot Wi-Fi dropped scanners for ten minutes", 5, 10, "Scanners show 'offline' in the depot dashboard.", "Access point restarted.", "Give the Leeds depot a second access point", "Capacity planning"),
    Past("routing", "route-optimiser", "Optimiser used last week's depot opening hours", 3, 95, "A depot lead reports drivers arriving at a closed gate.", "Opening hours reloaded and plans regenerated.", "Validate depot opening hours before each nightly run", "Config drift"),
    Past("tracking", "tracking-api", "Slow tracking page for customers in Ireland", 4, 45, "Latency alert for the Dublin edge.", "Traffic moved to the London edge.", "Alert on latency per edge location", "Alert fatigue"),
    Past("depots", "scanner-gateway", "Handheld scanners could not log in at the Leeds depot", 2, 70, "The depot's shift lead calls the service desk.", "Expired certificate on the depot gateway replaced.", "Alert thirty days before any gateway certificate expires", "Runbook gaps", True),
    Past("routing", "route-optimiser", "Plan export to the fleet system arrived late", 4, 40, "Fleet system shows no plans at 05:30.", "Export job rerun.", "Retry the plan export before paging", "Runbook gaps"),
    Past("tracking", "notifications", "Delivery emails sent twice to 40,000 customers", 3, 35, "Customers reply to ask why they got two emails.", "The retried batch job stopped; duplicates suppressed.", "Make the notification batch idempotent", "Hidden dependency", True),
    Past("tracking", "notifications", "Template typo in the 'out for delivery' email", 5, 20, "A customer points out the typo.", "Template corrected.", "Review email templates in pairs", "Runbook gaps"),
    Past("routing", "route-optimiser", "Route plans missed the new one-way streets in Bristol", 4, 240, "Drivers report impossible turns.", "Map data refreshed by hand.", "Refresh map data weekly instead of monthly", "Config drift"),
    Past("depots", "scanner-gateway", "Cage labels printed in the wrong order", 5, 30, "Loaders sort cages by hand.", "Print queue cleared.", "Sort the print queue by route", "Config drift"),
    Past("depots", "scanner-gateway", "Scanner gateway dropped parcels scanned offline", 2, 180, "Depot counts do not match the van manifests.", "Offline queue replayed from the handhelds.", "Test the offline replay path in every release", "Hidden dependency", True),
    Past("routing", "route-optimiser", "Optimiser logs filled the shared disk", 4, 50, "Disk usage alert on the batch host.", "Debug logging switched off.", "Keep debug logging off in production by default", "Config drift"),
    Past("tracking", "tracking-api", "Paging storm of 300 alerts for one slow database", 3, 50, "On-call silences alerts one by one.", "Replica lag resolved by a vacuum.", "Group database alerts by cause", "Alert fatigue"),
    Past("tracking", "tracking-api", "Certificate renewal failed for the partner API", 3, 35, "A partner reports TLS errors.", "Certificate renewed by hand.", "Alert when an automated renewal fails", "Runbook gaps"),
    Past("routing", "route-optimiser", "Optimiser ran out of memory on the Christmas volume", 1, 130, "No plans by 05:00 for six depots.", "Run split per region on bigger machines.", "Load-test the optimiser with peak-season volume each October", "Capacity planning", True),
    Past("depots", "scanner-gateway", "Scanner battery alerts paged at night", 5, 15, "On-call woken by battery-low alerts.", "Alert moved to working hours.", "Route battery alerts to the depot, not on-call", "Alert fatigue"),
    Past("tracking", "notifications", "SMS provider outage hid delivery windows", 3, 80, "Support sees calls asking for delivery times.", "Fallback to email notifications switched on.", "Fail over to the second SMS provider automatically", "Runbook gaps", True),
    Past("routing", "route-optimiser", "Weekend plans skipped a new depot", 3, 70, "The new depot has no routes on Saturday.", "Depot added to the weekend calendar.", "Add new depots to every calendar in one step", "Hidden dependency"),
    Past("depots", "scanner-gateway", "Label printers at two depots printed blank labels", 4, 45, "Loaders notice blank labels on cages.", "Printer templates redeployed.", "Version the label templates with the gateway", "Config drift"),
    Past("tracking", "notifications", "Unsubscribe link pointed to the test site", 4, 90, "Customers report an unknown login page.", "Link corrected and resent.", "Check links in emails against production hosts", "Config drift", True),
    Past("tracking", "tracking-api", "Tracking history showed other customers' parcels", 1, 25, "A customer posts a screenshot on social media.", "Cache disabled; sessions invalidated.", "Include the customer in every tracking cache key", "Hidden dependency", True),
    Past("routing", "route-optimiser", "Plans assigned electric vans to routes beyond their range", 3, 300, "Two vans run low on charge before noon.", "Range limits re-entered.", "Read van range from the fleet system, not a spreadsheet", "Config drift"),
    Past("depots", "scanner-gateway", "Pager went to a person on leave for a whole night", 3, 120, "Morning shift finds eleven unacknowledged pages.", "Rota corrected.", "Check the rota against the leave calendar every Friday", "Alert fatigue"),
    Past("tracking", "notifications", "Push notifications delayed by up to two hours", 4, 140, "Mobile team notices the queue age graph.", "Stuck worker restarted.", "Alert on notification queue age", "Alert fatigue"),
    Past("routing", "route-optimiser", "Depot plans published with the wrong date", 2, 65, "Drivers see tomorrow's stops on their scanners.", "Plans regenerated with the date fixed.", "Write the runbook for republishing a day's plans", "Runbook gaps", True),
    Past("depots", "scanner-gateway", "Gateway database filled its disk at the Leeds depot", 2, 90, "Scans stop being accepted at 04:10.", "Old logs removed; disk grown.", "Rotate gateway logs and alert at 80% disk", "Capacity planning", True),
    Past("tracking", "tracking-api", "Rate limiter blocked the call centre's own tool", 3, 40, "Call-centre agents see 429 errors.", "The tool's address allow-listed.", "Give internal clients their own rate-limit class", "Hidden dependency"),
    Past("routing", "route-optimiser", "Nightly run started twice and published two plans", 3, 30, "Depots ask which of two plans to follow.", "Second plan withdrawn.", "Lock the nightly run so that it cannot start twice", "Runbook gaps"),
    Past("depots", "scanner-gateway", "Firmware update left 60 scanners unable to sync", 2, 210, "Depots report scanners stuck on 'syncing'.", "Firmware rolled back per device.", "Roll firmware out to one depot first", "Config drift", True),
    Past("tracking", "notifications", "Delivery window emails showed times in UTC", 4, 600, "Customers in Dublin ask why the window moved.", "Time zone setting corrected.", "Test emails in every time zone we deliver to", "Config drift", True),
]
# fmt: on


def _people_of(team: str, people: dict[str, User]) -> list[User]:
    return [
        people[n]
        for n in {
            "tracking": ("amara", "ben"),
            "routing": ("chen", "dev"),
            "depots": ("eve", "femi"),
        }[team]
    ]


def seed_year(
    people: dict[str, User],
    teams: dict[str, Team],
    services: dict[str, Service],
    themes: dict[str, LearningTheme],
    now: datetime,
) -> None:
    chance = random.Random(2026)  # noqa: S311 - demo data, not security
    _setup_work(people, teams, now, chance)
    spacing = timedelta(days=330) / len(HISTORY)
    for number, past in enumerate(HISTORY):
        started = (now - timedelta(days=360) + spacing * number).replace(
            hour=chance.choice((3, 6, 9, 11, 14, 16, 21)), minute=chance.choice((4, 17, 38, 52))
        )
        _incident(past, started, number, people, teams, services, themes, now, chance)


def _setup_work(
    people: dict[str, User], teams: dict[str, Team], now: datetime, chance: random.Random
) -> None:
    year_ago = (now - timedelta(days=365)).date()
    for slug, team in teams.items():
        headcount = {"tracking": 8, "routing": 6, "depots": 7}[slug]
        TeamCostProfile.objects.create(
            team=team,
            headcount=headcount,
            loaded_annual_people_cost=Decimal(92000 * headcount),
            annual_run_cost=Decimal({"tracking": 140000, "routing": 90000, "depots": 60000}[slug]),
        )
        for person in _people_of(slug, people):
            Training.objects.create(
                team=team,
                kind="incident_analysis",
                held_on=year_ago + timedelta(days=20),
                hours=Decimal(8),
                person=person,
            )
        Training.objects.create(
            team=team, kind="incident_review", held_on=year_ago + timedelta(days=34), hours=12
        )
        for quarter in range(4):
            SetupEffort.objects.create(
                team=team,
                kind=(SetupKind.PLAYBACKS, SetupKind.KNOWLEDGE_SHARING)[quarter % 2],
                done_on=year_ago + timedelta(days=60 + 91 * quarter),
                hours=Decimal(chance.choice((4, 6, 8))),
            )
            ChaosDay.objects.create(
                team=team,
                held_on=year_ago + timedelta(days=75 + 91 * quarter + chance.randint(0, 20)),
                note=("Failover drill", "Dependency outage game", "Disk full game day")[
                    quarter % 3
                ],
            )


def _incident(
    past: Past,
    started: datetime,
    number: int,
    people: dict[str, User],
    teams: dict[str, Team],
    services: dict[str, Service],
    themes: dict[str, LearningTheme],
    now: datetime,
    chance: random.Random,
) -> None:
    team = teams[past.team]
    responders = _people_of(past.team, people)
    manager = people[f"pm.{past.team}"]
    incident = record_incident(
        team.organisation,
        manager,
        title=past.title,
        summary=f"{past.noticed} {past.fixed}",
        team=team,
        service=services[past.service],
        severity=past.severity,
        status=Status.CLOSED,
        started_at=started,
        detected_at=started + timedelta(minutes=past.minutes // 5),
        mitigated_at=started + timedelta(minutes=past.minutes * 4 // 5),
        resolved_at=started + timedelta(minutes=past.minutes),
        customer_facing=past.customer_facing,
        estimated_loss=Decimal(past.minutes * (400 if past.customer_facing else 60)),
        responders=[
            (responders[0], ResponseRole.ON_CALL),
            (responders[1], ResponseRole.OPERATIONS),
        ],
    )
    incident.themes.add(themes[past.theme])
    for work in incident.assignments.all():
        _analysis(work, incident, past, started, chance, late=number == len(HISTORY) - 1)
    if not incident.of_consequence:
        return
    held = number % 5 != 4  # most are reviewed
    if held:
        _review(incident, started, responders, manager, people, chance)
    _action(incident, past, started, manager, now, number)
    if held and number % 3 != 2:
        _narrative(incident, started, manager, people, chance)


def _analysis(
    work: AnalysisAssignment,
    incident: Incident,
    past: Past,
    started: datetime,
    chance: random.Random,
    late: bool,
) -> None:
    work.window_start = started + timedelta(days=1)
    work.window_end = started + timedelta(days=6)
    work.due_at = work.window_end
    work.save()
    for position, (minutes, kind, text) in enumerate(
        (
            (past.minutes // 5, "detection", past.noticed),
            (past.minutes * 4 // 5, "mitigation", past.fixed),
        )
    ):
        KeyEvent.objects.create(
            incident=incident,
            assignment=work,
            occurred_at=started + timedelta(minutes=minutes + chance.choice((0, 0, 3, -2))),
            precision=chance.choice(("minute", "minute", "approximate")),
            event_type=kind,
            actor_role="on-call engineer",
            description=text,
            position=position,
        )
    used = (work.hours_allocated * Decimal(chance.choice(("0.6", "0.8", "0.9", "1.1")))).quantize(
        Decimal("0.5")
    )
    TimeEntry.objects.create(
        assignment=work, hours=max(used, Decimal("1")), spent_on=work.window_start.date()
    )
    if late:
        save_report(work, "Draft: interviews still to do.", submit=False)
    else:
        save_report(
            work, f"## What I found\n\n{past.noticed} Then: {past.fixed.lower()}", submit=True
        )


def _review(
    incident: Incident,
    started: datetime,
    responders: list[User],
    manager: User,
    people: dict[str, User],
    chance: random.Random,
) -> None:
    starts = (started + timedelta(days=8)).replace(hour=14, minute=0)
    review = Review.objects.create(
        incident=incident,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=chance.choice((60, 90))),
        location="Video call",
        facilitator=people["problem"],
        scheduled_by=manager,
        status=ReviewStatus.HELD,
        preparation_hours=Decimal("1"),
    )
    for person in responders:
        ReviewInvitee.objects.create(
            review=review, user=person, kind=InviteeKind.RESPONDER, attended=True
        )
    ReviewInvitee.objects.create(
        review=review, user=manager, kind=InviteeKind.STAKEHOLDER, attended=chance.random() < 0.8
    )


def _action(
    incident: Incident, past: Past, started: datetime, manager: User, now: datetime, number: int
) -> None:
    idea = started + timedelta(days=8, hours=2)
    action = add_action(
        incident,
        manager,
        title=past.action,
        kind=(ActionKind.CODE_FIX, ActionKind.MONITORING, ActionKind.PROCESS)[number % 3],
        estimate_weeks=Decimal(("0.5", "1", "2", "3")[number % 4]),
        cost_of_delay_per_week=Decimal((250, 600, 1200, 2400)[(number * 7) % 4]),
        idea_at=idea,
    )
    # Older incidents' actions have gone further: the last few are still ideas.
    stage = number % 6 if number < len(HISTORY) - 4 else 0
    steps = [ActionStatus.PLANNED, ActionStatus.IN_PROGRESS, ActionStatus.IMPLEMENTED]
    if stage == 5:
        transition(
            action,
            ActionStatus.WONT_DO,
            manager,
            reason="The service is being retired.",
            at=idea + timedelta(days=10),
        )
        return
    for step, status in enumerate(steps[: min(stage, 3)]):
        transition(action, status, manager, at=idea + timedelta(days=7 * (step + 1)))
    if stage == 4 or (stage == 3 and number % 2 == 0):
        when = min(idea + timedelta(days=35), now - timedelta(days=1))
        transition(
            action,
            ActionStatus.IN_PRACTICE,
            manager,
            at=when,
            evidence="No recurrence since; the drill in the next chaos day passed.",
        )


def _narrative(
    incident: Incident,
    started: datetime,
    manager: User,
    people: dict[str, User],
    chance: random.Random,
) -> None:
    narrative = narratives.narrative_for(incident)
    draft = generate_draft(incident, manager)
    narratives.change_status(narrative, "in_review")
    publication = narratives.publish(narrative, manager)
    published = started + timedelta(days=12)
    Publication.objects.filter(pk=publication.pk).update(published_at=published)
    readers = chance.sample(sorted(people.values(), key=lambda u: u.pk), chance.randint(2, 7))
    for reader in readers:
        at = published + timedelta(days=chance.randint(0, 20))
        NarrativeRead.objects.create(
            narrative=narrative, reader=reader, first_read_at=at, last_read_at=at
        )
    assert draft.number >= 1
