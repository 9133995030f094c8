"""Seeds a large organisation for the benchmarks: 20,000 incidents over three years, 50 teams,
150 services, 400,000 key events, with responders and analysis assignments. Bulk inserts in
batches, so that it takes minutes, not hours; a marker lets later runs reuse it. The learning
loop is done for all but the last month: reports submitted, reviews held."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import F
from django.test import Client

from learnloop.accounts.models import Membership, Organisation, Role, Service, Team
from learnloop.actions.targets import target_of
from learnloop.analysis.models import AnalysisAssignment, KeyEvent
from learnloop.costs.models import TeamCostProfile
from learnloop.incidents.models import Incident, Responder, Status
from learnloop.incidents.services import policy_for
from learnloop.insights.search import merge_fulltext
from learnloop.lib.planner import refresh_statistics

SLUG = "bench"
ORIGIN = datetime(2023, 12, 1, tzinfo=UTC)  # incidents span three years from here
# Where the organisation's learning stands: before this day, every analysis report is in and
# every review of an incident of consequence held; the last month's are still under way.
LOOP_DONE_BEFORE = ORIGIN + timedelta(days=3 * 365 - 30)
BATCH = 5000
WORDS = (
    "cache",
    "queue",
    "database",
    "deploy",
    "certificate",
    "DNS",
    "load balancer",
    "quota",
    "replica",
    "config",
    "index",
    "timeout",
    "retry storm",
    "disk",
    "memory",
    "network",
)
SYMPTOMS = ("outage", "slowness", "errors", "data delay")
EVENT_TYPES = (
    "trigger",
    "detection",
    "escalation",
    "diagnosis",
    "decision",
    "mitigation",
    "recovery",
    "resolution",
    "communication",
    "context",
)


SHAPE = 2  # bumped when the seed's shape changes, so that an older seed is made again


READER = "reader@bench.test"  # a member of the bench organisation, who reads


def reader() -> User:
    return User.objects.get(username=READER)


def reader_client() -> Client:
    """A test client signed in as the reader, without the sign-in form (django-axes wants a
    request for that)."""
    client = Client()
    client.force_login(reader())
    return client


def existing(incidents: int) -> Organisation | None:
    org = Organisation.objects.filter(slug=SLUG).first()
    if org is not None and org.name == f"Bench {incidents} ({SHAPE})":
        return org
    return None


def _empty_database() -> None:
    """The bench database holds only the bench: a new seed starts from empty tables (deleting
    an organisation of 20,000 incidents row by row is slower, and on SQLite exceeds the
    number of variables one statement may have)."""
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    else:
        path = connection.settings_dict["NAME"]
        connection.close()
        Path(path).unlink(missing_ok=True)
    call_command("migrate", interactive=False, verbosity=0)


def seed(incidents: int = 20_000, events_per_incident: int = 20, teams: int = 50) -> Organisation:
    rng = random.Random(42)
    started = time.perf_counter()
    _empty_database()
    with transaction.atomic():
        org = Organisation.objects.create(name="Bench (seeding)", slug=SLUG)
        team_rows = Team.objects.bulk_create(
            Team(organisation=org, name=f"Team {n:02}", slug=f"team-{n:02}") for n in range(teams)
        )
        services = Service.objects.bulk_create(
            Service(
                organisation=org,
                team=team_rows[n % teams],
                name=f"Service {n:03}",
                slug=f"service-{n:03}",
            )
            for n in range(teams * 3)
        )
        people = []
        for n in range(teams * 4):
            user = User(username=f"person{n}@bench.test", email=f"person{n}@bench.test")
            user.set_unusable_password()
            people.append(user)
        people = User.objects.bulk_create(people)
        Membership.objects.bulk_create(
            Membership(
                user=u,
                organisation=org,
                team=team_rows[n % teams],
                role=Role.RESPONDER if n % 4 else Role.PRODUCT_MANAGER,
                calendar_token=f"bench-{n}",
            )
            for n, u in enumerate(people)
        )
        reader = User.objects.create_user(READER, READER, "bench-pass")
        Membership.objects.create(
            user=reader,
            organisation=org,
            role=Role.MEMBER,
            calendar_token="bench-reader",  # noqa: S106 - not a secret
        )
    for first in range(0, incidents, BATCH):
        with transaction.atomic():
            rows = []
            for n in range(first, min(first + BATCH, incidents)):
                service = services[rng.randrange(len(services))]
                start = ORIGIN + timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
                severity = rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 4, 5))
                rows.append(
                    Incident(
                        organisation=org,
                        key=f"INC-{n + 1}",
                        team_id=service.team_id,
                        service=service,
                        severity=severity,
                        title=f"{rng.choice(WORDS).capitalize()} {rng.choice(SYMPTOMS)} "
                        f"on {service.name}",
                        status=rng.choice((Status.RESOLVED, Status.CLOSED, Status.MITIGATED)),
                        started_at=start,
                        detected_at=start + timedelta(minutes=rng.randrange(30)),
                        resolved_at=start + timedelta(minutes=30 + rng.randrange(600)),
                        customer_facing=rng.random() < 0.4,
                        of_consequence=severity <= 2,
                        estimated_loss=Decimal(rng.randrange(0, 50_000)),
                    )
                )
            created = Incident.objects.bulk_create(rows)
            events, responders, assignments = [], [], []
            for incident in created:
                assert incident.started_at is not None
                for position in range(events_per_incident):
                    events.append(
                        KeyEvent(
                            incident=incident,
                            position=position,
                            precision="minute",
                            occurred_at=incident.started_at + timedelta(minutes=position * 3),
                            event_type=rng.choice(EVENT_TYPES),
                            actor_role="on-call engineer",
                            description=f"Step {position}: {rng.choice(WORDS)} {rng.choice(WORDS)}",
                        )
                    )
                pair = rng.sample(people, 2)
                for person in pair:
                    responders.append(Responder(incident=incident, user=person))
                    if incident.of_consequence:
                        assignments.append(
                            AnalysisAssignment(
                                incident=incident,
                                organisation=org,
                                incident_team_id=incident.team_id,
                                analyst=person,
                                hours_allocated=Decimal(8),
                                window_start=incident.started_at + timedelta(days=1),
                                window_end=incident.started_at + timedelta(days=6),
                                due_at=incident.started_at + timedelta(days=6),
                            )
                        )
            KeyEvent.objects.bulk_create(events, batch_size=BATCH)
            Responder.objects.bulk_create(responders, batch_size=BATCH)
            AnalysisAssignment.objects.bulk_create(assignments, batch_size=BATCH)
        print(f"  seeded {min(first + BATCH, incidents):,} incidents", flush=True)
    _costs(org, team_rows, rng)
    _loop(org)
    _index(org)
    maintained()
    Organisation.objects.filter(pk=org.pk).update(name=f"Bench {incidents} ({SHAPE})")
    print(f"  seeding took {time.perf_counter() - started:.0f} s", flush=True)
    org.refresh_from_db()
    return org


def _costs(org: Organisation, teams: list[Team], rng: random.Random) -> None:
    """Three years of what the cost ledger is made of, for every team: cost profiles, trainings,
    analysis time on every assignment, and improvement actions with cost of delay."""
    from learnloop.actions.models import ActionKind, ActionStatus, ImprovementAction
    from learnloop.analysis.models import TimeEntry
    from learnloop.costs.models import Training

    started = time.perf_counter()
    with transaction.atomic():
        TeamCostProfile.objects.bulk_create(
            TeamCostProfile(
                team=t,
                headcount=8,
                loaded_annual_people_cost=Decimal("840000"),
                annual_run_cost=Decimal("96000"),
            )
            for t in teams
        )
        Training.objects.bulk_create(
            Training(
                team=t,
                kind=rng.choice(("incident_analysis", "incident_review")),
                held_on=(datetime(2024, 1, 15, tzinfo=UTC) + timedelta(days=120 * n)).date(),
                hours=Decimal(16),
            )
            for t in teams
            for n in range(9)
        )
        TimeEntry.objects.bulk_create(
            (
                TimeEntry(
                    assignment_id=a.pk,
                    hours=Decimal(rng.randrange(1, 9)),
                    spent_on=a.window_start.date(),
                )
                for a in AnalysisAssignment.objects.filter(incident__organisation=org).only(
                    "id", "window_start"
                )
            ),
            batch_size=BATCH,
        )
        incidents = list(
            Incident.objects.filter(organisation=org, of_consequence=True).only(
                "id", "team_id", "resolved_at", "severity"
            )
        )
        policy = policy_for(org)
        actions = []
        for incident in incidents[::4]:
            assert incident.resolved_at is not None
            done = rng.random() < 0.6
            actions.append(
                ImprovementAction(
                    incident=incident,
                    organisation_id=incident.organisation_id,
                    owner_team_id=incident.team_id,
                    title="Bench action",
                    kind=ActionKind.CODE_FIX,
                    idea_at=incident.resolved_at,
                    target_at=target_of(incident.resolved_at, incident.severity, policy),
                    status=ActionStatus.IN_PRACTICE if done else ActionStatus.PLANNED,
                    in_practice_at=incident.resolved_at + timedelta(days=rng.randrange(3, 90))
                    if done
                    else None,
                    cost_of_delay_per_week=Decimal(rng.randrange(100, 5000)),
                    estimate_weeks=Decimal(rng.randrange(1, 6)),
                )
            )
        ImprovementAction.objects.bulk_create(actions, batch_size=BATCH)
    print(
        f"  cost inputs: {len(actions):,} actions, {time.perf_counter() - started:.0f} s",
        flush=True,
    )


def _loop(org: Organisation) -> None:
    """Analysis reports submitted and reviews held for every incident before LOOP_DONE_BEFORE."""
    from learnloop.analysis.models import AnalysisReport, ReportStatus
    from learnloop.reviews.models import Review, ReviewStatus, note_reviews_of

    started = time.perf_counter()
    past = Incident.objects.filter(organisation=org, started_at__lt=LOOP_DONE_BEFORE)
    with transaction.atomic():
        AnalysisReport.objects.bulk_create(
            (
                AnalysisReport(
                    assignment_id=a.pk,
                    body="What I saw, what made sense at the time, what surprised me.",
                    status=ReportStatus.SUBMITTED,
                    submitted_at=a.due_at,
                )
                for a in AnalysisAssignment.objects.filter(incident__in=past).only("id", "due_at")
            ),
            batch_size=BATCH,
        )
        AnalysisAssignment.objects.filter(incident__in=past).update(submitted_at=F("due_at"))
        reviews = []
        for incident in past.filter(of_consequence=True).only("id", "started_at"):
            assert incident.started_at is not None  # every seeded incident has started
            starts = incident.started_at + timedelta(days=8)
            reviews.append(
                Review(
                    incident_id=incident.pk,
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=2),
                    status=ReviewStatus.HELD,
                    started_at=starts,
                    held_at=starts + timedelta(hours=2),
                    current_step=6,
                )
            )
        Review.objects.bulk_create(reviews, batch_size=BATCH)
        # bulk_create skips Review.save, which keeps the incident's flag
        note_reviews_of(past.filter(of_consequence=True))
    print(
        f"  learning loop: {len(reviews):,} reviews held, {time.perf_counter() - started:.0f} s",
        flush=True,
    )


def _index(org: Organisation) -> None:
    from learnloop.insights.search import reindex

    started = time.perf_counter()
    incidents = Incident.objects.filter(organisation=org).order_by("id")
    total = incidents.count()
    for first in range(0, total, 1000):
        reindex(
            incidents[first : first + 1000].prefetch_related("key_events", "improvement_actions")
        )
    print(
        f"  search index: {total:,} incidents in {time.perf_counter() - started:.0f} s", flush=True
    )


def maintained() -> None:
    """What a deployment keeps true between two runs of the bench: the full-text index merged
    (the worker does it daily) and, on PostgreSQL, dead rows vacuumed and statistics fresh
    (autovacuum, which is off on the machines here). Each run's own writes (the load section
    creates incidents in an organisation of its own and deletes it) would otherwise slow the
    next run's searches: similar incidents on SQLite took 78 ms after two runs, 21 ms merged."""
    merge_fulltext()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        refresh_statistics()
