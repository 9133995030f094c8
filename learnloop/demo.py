"""The demo organisation seeded on first start: a parcel-delivery company's product teams, with
incidents written for learnloop, analyses in several states, one incident reviewed and its
narrative published (demo_review.py), and the year of history before them (demo_year.py)."""

from __future__ import annotations

import io
import secrets
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from learnloop.accounts.models import Membership, Organisation, Role, Service, Team
from learnloop.actions.models import ActionKind, ActionStatus, PlannedFeature
from learnloop.actions.services import add_action, transition
from learnloop.analysis.models import KeyEvent, LearningTheme, TimeEntry
from learnloop.analysis.services import save_report
from learnloop.chat import sample
from learnloop.chat.services import import_chat
from learnloop.costs import ledger
from learnloop.demo_review import seed_reviewed_incident
from learnloop.demo_year import seed_year
from learnloop.incidents.models import ResponseRole, Status
from learnloop.incidents.services import record_incident

PEOPLE = [
    ("admin@demo.learnloop", "Dana Admin", Role.ADMIN, None),
    ("problem@demo.learnloop", "Priya Problem", Role.PROBLEM_MANAGER, None),
    ("pm.tracking@demo.learnloop", "Tomás Tracking", Role.PRODUCT_MANAGER, "tracking"),
    ("pm.routing@demo.learnloop", "Rhea Routing", Role.PRODUCT_MANAGER, "routing"),
    ("amara@demo.learnloop", "Amara Okafor", Role.RESPONDER, "tracking"),
    ("ben@demo.learnloop", "Ben Larsen", Role.RESPONDER, "tracking"),
    ("chen@demo.learnloop", "Chen Wei", Role.RESPONDER, "routing"),
    ("dev@demo.learnloop", "Dev Patel", Role.RESPONDER, "routing"),
    ("pm.depots@demo.learnloop", "Dario Depots", Role.PRODUCT_MANAGER, "depots"),
    ("eve@demo.learnloop", "Eve Nakamura", Role.RESPONDER, "depots"),
    ("femi@demo.learnloop", "Femi Adeyemi", Role.RESPONDER, "depots"),
    ("reader@demo.learnloop", "Robin Reader", Role.MEMBER, None),
]

# What the tracking outage's channel said (the demo's chat export).
CHAT = [
    "Support sees a spike of 'parcel lost' calls, {n} in ten minutes",
    "<@{other}> are tracking histories empty for you too?",
    "Yes, every parcel I try shows an empty history",
    "Deploy #{n} went out 25 minutes ago, it touched the cache keys",
    "Cache hits fell to {n}% at the deploy: <https://grafana.demo/d/cache|the cache board>",
    "Misses fall through to an empty default, not to the database?",
    "Rolling back deploy #{n} now",
    "Flushing the history cache on all nodes",
    "Histories are back for new lookups",
    "Call centre still busy, {n} calls waiting",
    "Status page updated in <#C0STATUS|status>",
    "Keeping the channel open until the call queue is empty",
    "The empty fallback dates from the 2019 migration &amp; nobody remembered it",
]

THEMES = [
    ("Alert fatigue", "Alerts that fire so often that people stop trusting them."),
    ("Hidden dependency", "A service relied on something nobody had written down."),
    ("Config drift", "Environments that were meant to match, and did not."),
    ("Runbook gaps", "Steps people needed during the incident were not written anywhere."),
    ("Capacity planning", "Load grew past what the system was sized for."),
]


@transaction.atomic
def seed() -> list[tuple[str, str, str]]:
    """Creates the demo organisation; returns (email, role, password) for each person."""
    org = Organisation.objects.create(name="Northwind Parcels", slug="northwind", currency="EUR")
    tracking = Team.objects.create(organisation=org, name="Parcel Tracking", slug="tracking")
    routing = Team.objects.create(organisation=org, name="Route Planning", slug="routing")
    depots = Team.objects.create(organisation=org, name="Depot Systems", slug="depots")
    teams = {"tracking": tracking, "routing": routing, "depots": depots}
    svc_tracking = Service.objects.create(
        organisation=org, team=tracking, name="Tracking API", slug="tracking-api"
    )
    svc_notify = Service.objects.create(
        organisation=org, team=tracking, name="Delivery notifications", slug="notifications"
    )
    svc_routes = Service.objects.create(
        organisation=org, team=routing, name="Route optimiser", slug="route-optimiser"
    )
    svc_scanners = Service.objects.create(
        organisation=org, team=depots, name="Scanner gateway", slug="scanner-gateway"
    )
    services = {s.slug: s for s in (svc_tracking, svc_notify, svc_routes, svc_scanners)}
    themes = {
        name: LearningTheme.objects.create(
            organisation=org, name=name, slug=name.lower().replace(" ", "-"), description=d
        )
        for name, d in THEMES
    }
    credentials, people = [], {}
    for email, name, role, team in PEOPLE:
        password = secrets.token_urlsafe(9)
        first, _, last = name.partition(" ")
        user = User.objects.create_user(
            username=email, email=email, password=password, first_name=first, last_name=last
        )
        Membership.objects.create(
            user=user,
            organisation=org,
            role=role,
            team=teams.get(team or ""),
            time_zone="Europe/London",
        )
        people[email.split("@")[0]] = user
        credentials.append((email, str(role), password))

    now = timezone.now().replace(second=0, microsecond=0)
    # 1. Of consequence, both analyses under way: one report submitted, one still a draft.
    day = now - timedelta(days=3)
    outage = record_incident(
        org,
        people["pm.tracking"],
        title="Tracking pages showed parcels as lost for 47 minutes",
        summary="A cache-key change made the tracking API return empty histories.",
        team=tracking,
        service=svc_tracking,
        severity=2,
        status=Status.RESOLVED,
        started_at=day,
        detected_at=day + timedelta(minutes=9),
        mitigated_at=day + timedelta(minutes=41),
        resolved_at=day + timedelta(minutes=47),
        customer_facing=True,
        estimated_loss=Decimal("18500.00"),
        impact_summary="About 120,000 customers saw 'parcel lost'; "
        "the call centre took 9,000 calls.",
        responders=[
            (people["amara"], ResponseRole.INCIDENT_COMMANDER),
            (people["ben"], ResponseRole.SUBJECT_MATTER_EXPERT),
        ],
    )
    lead, expert = list(outage.assignments.order_by("id"))
    for position, (minutes, kind, actor, text) in enumerate(
        [
            (
                -25,
                "change",
                "developer",
                "Deploy changes the cache key format for parcel histories.",
            ),
            (
                0,
                "trigger",
                None,
                "Cache misses fall through to an empty default instead of the database.",
            ),
            (
                9,
                "detection",
                "on-call engineer",
                "Support escalates a spike of 'parcel lost' calls.",
            ),
            (
                30,
                "diagnosis",
                "incident commander",
                "Team links the empty histories to the deploy.",
            ),
            (41, "mitigation", "developer", "Deploy rolled back; caches flushed."),
        ]
    ):
        event = KeyEvent.objects.create(
            incident=outage,
            assignment=lead,
            occurred_at=day + timedelta(minutes=minutes),
            precision="minute",
            actor_role=actor or "",
            event_type=kind,
            description=text,
            position=position,
        )
        if kind == "trigger":
            event.themes.add(themes["Hidden dependency"])
    TimeEntry.objects.create(assignment=lead, hours=Decimal("3.5"), spent_on=day.date())
    save_report(
        lead,
        "## What we found\n\nThe fallback to an *empty* history was written "
        "years ago for a migration and never removed.",
        submit=True,
    )
    save_report(expert, "Draft: still interviewing the call-centre lead.", submit=False)
    outage.themes.add(themes["Hidden dependency"])
    import_chat(
        outage,
        io.BytesIO(
            sample.write(
                messages=120,
                seed=3,
                start=day - timedelta(minutes=5),
                channel="inc-tracking-lost",
                people=[
                    ("U1AMARA", "amara", "Amara Okafor", "amara@demo.learnloop"),
                    ("U2BEN", "ben", "Ben Larsen", "ben@demo.learnloop"),
                    ("U3TOMAS", "tomas", "Tomás Tracking", "pm.tracking@demo.learnloop"),
                    ("U4SUPPORT", "lea", "Léa from Support", "lea@support.example"),
                ],
                lines=CHAT,
                span=timedelta(minutes=60),
            ).data
        ),
        "inc-tracking-lost",
        workspace_url="https://demo-logistics.slack.com",
    )

    # 2. Of consequence, analysis not started and overdue.
    day = now - timedelta(days=12)
    slow = record_incident(
        org,
        people["pm.routing"],
        title="Route optimiser missed the 06:00 plan for two depots",
        team=routing,
        service=svc_routes,
        severity=3,
        status=Status.CLOSED,
        started_at=day,
        resolved_at=day + timedelta(hours=2, minutes=10),
        customer_facing=False,
        estimated_loss=Decimal("4200.00"),
        impact_summary="Drivers at two depots started 70 minutes late.",
        responders=[
            (people["chen"], ResponseRole.ON_CALL),
            (people["dev"], ResponseRole.OPERATIONS),
        ],
    )
    for work in slow.assignments.all():
        work.window_start, work.window_end = day + timedelta(days=1), day + timedelta(days=4)
        work.due_at = work.window_end
        work.save()
    slow.themes.add(themes["Capacity planning"])

    # 3. Minor, not of consequence by the policy.
    day = now - timedelta(days=1)
    record_incident(
        org,
        people["ben"],
        title="Delivery SMS delayed by up to 10 minutes",
        team=tracking,
        service=svc_notify,
        severity=4,
        status=Status.RESOLVED,
        started_at=day,
        resolved_at=day + timedelta(minutes=25),
        responders=[(people["ben"], ResponseRole.ON_CALL)],
    )
    # Improvement actions competing with features in the tracking team's backlog.
    breaker = add_action(
        outage,
        people["pm.tracking"],
        title="Fail loudly when a parcel history is missing",
        kind=ActionKind.CODE_FIX,
        estimate_weeks=Decimal("1"),
        recurrence_chance_per_week=Decimal("0.05"),
        exposure_per_hour=Decimal("24000"),
        typical_duration_hours=Decimal("0.75"),
        toil_hours_per_week=Decimal("2"),
        toil_hourly_rate=Decimal("85"),
        cost_of_delay_per_week=Decimal("1070.00"),
    )
    transition(breaker, ActionStatus.IN_PROGRESS, people["pm.tracking"])
    add_action(
        outage,
        people["pm.tracking"],
        title="Alert on a spike of 'parcel lost' support calls",
        kind=ActionKind.MONITORING,
        estimate_weeks=Decimal("0.5"),
        cost_of_delay_per_week=Decimal("400.00"),
    )
    add_action(
        outage,
        people["pm.tracking"],
        title="Pair a call-centre lead with on-call for a day",
        kind=ActionKind.TRAINING,
        estimate_weeks=Decimal("0.2"),
    )
    PlannedFeature.objects.create(
        team=tracking,
        title="Delivery time-slot picker",
        cost_of_delay_per_week=Decimal("3000"),
        estimate_weeks=Decimal("6"),
    )
    capacity = add_action(
        slow,
        people["pm.routing"],
        title="Size the optimiser for the Monday peak",
        kind=ActionKind.CONFIGURATION,
        estimate_weeks=Decimal("1"),
        cost_of_delay_per_week=Decimal("650.00"),
    )
    transition(
        capacity,
        ActionStatus.IN_PRACTICE,
        people["pm.routing"],
        evidence="Three Monday peaks since, all plans out by 05:40.",
    )
    # 4. Reviewed, its narrative published to the organisation.
    seed_reviewed_incident(people, routing, svc_routes, themes, now)
    # 5. The year before: what the measures, themes and costs are made of.
    seed_year(people, teams, services, themes, now)
    # 6. The cost ledger posted, so every home and cost figure has something to show.
    ledger.post(org)
    return credentials
