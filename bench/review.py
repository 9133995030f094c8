"""The review and the portal at scale: the merged timeline of a review with 5 analysts and 2,000
key events, and the portal's search over 5,000 published narratives."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from functools import partial

from django.contrib.auth.models import User
from django.db import connection, transaction

from bench.measure import RollbackError, Row, queries, row, timed
from bench.seed import WORDS, reader_client
from learnloop.accounts.models import Organisation
from learnloop.analysis.models import AnalysisAssignment, KeyEvent
from learnloop.incidents.models import Incident
from learnloop.narratives.models import Narrative, NarrativeStatus, NarrativeVersion, Publication

NARRATIVES = 5_000
ANALYSTS = 5
EVENTS = 2_000
PHRASES = (
    "paged the on-call engineer",
    "rolled back the deploy",
    "saw error rates climb on the dashboard",
    "failed over to the replica",
    "raised the connection pool limit",
    "posted a status page update",
    "found the expired certificate",
    "drained traffic from the zone",
)


def timeline(org: Organisation, n: int) -> list[Row]:
    """Five analysts tell the same incident, 400 key events each, with the usual disagreements:
    the same moment a few minutes apart, some hours-only or untimed events."""
    from learnloop.lib.text import stems
    from learnloop.reviews.timeline import LAYOUTS, merge, merged_timeline_for

    rng = random.Random(11)
    incident = Incident.objects.filter(organisation=org).order_by("id").first()
    assert incident is not None and incident.started_at is not None
    people = list(User.objects.filter(username__endswith="@bench.test")[: ANALYSTS + 10])
    rows: list[Row] = []
    try:
        with transaction.atomic():
            AnalysisAssignment.objects.filter(incident=incident).delete()
            start = incident.started_at
            assignments = AnalysisAssignment.objects.bulk_create(
                AnalysisAssignment(
                    incident=incident,
                    organisation_id=incident.organisation_id,
                    incident_team_id=incident.team_id,
                    analyst=person,
                    hours_allocated=Decimal(8),
                    window_start=start + timedelta(days=1),
                    window_end=start + timedelta(days=6),
                    due_at=start + timedelta(days=6),
                )
                for person in people[:ANALYSTS]
            )
            events = []
            for a, assignment in enumerate(assignments):
                for position in range(EVENTS // ANALYSTS):
                    precision = rng.choice(("minute",) * 8 + ("hour", "unknown"))
                    at = start + timedelta(minutes=position * 2 + rng.randrange(-3, 4))
                    events.append(
                        KeyEvent(
                            incident=incident,
                            assignment=assignment,
                            position=position,
                            precision=precision,
                            occurred_at=None if precision == "unknown" else at,
                            event_type="diagnosis",
                            description=f"{rng.choice(PHRASES)} ({rng.choice(WORDS)}, "
                            f"step {position}, as analyst {a} tells it)",
                        )
                    )
            KeyEvent.objects.bulk_create(events)
            loaded = list(
                KeyEvent.objects.filter(incident=incident).select_related("assignment__analyst")
            )
            merged = merge(loaded)
            # 50 runs each (at the default 200 requests): the p95 of 20 was the second slowest
            # run, and moved by half from one bench to the next.
            runs = max(5, n // 4)
            note = f"{len(merged.entries):,} entries, {len(merged.groups):,} groups flagged"

            def afresh(
                merging: Callable[[], object], *, first: bool = False
            ) -> Callable[[int], object]:
                """As after a change to the events: no grouping kept from an earlier merge (the
                unchanged events' words still are); or, `first`, nothing kept at all."""

                def measured(i: int) -> object:
                    LAYOUTS.kept.clear()
                    if first:
                        stems.cache_clear()
                    return merging()

                return measured

            rows.append(
                row(
                    "merged timeline: 5 analysts, 2,000 key events",
                    timed(afresh(lambda: merge(loaded)), runs),
                    note + "; in memory",
                )
            )
            rows.append(
                row(
                    "merged timeline with its query (one review)",
                    timed(afresh(lambda: merged_timeline_for(incident)), runs),
                    f"{connection.vendor}; after a change",
                )
            )
            rows.append(
                row(
                    "merged timeline with its query, the first in a process",
                    timed(afresh(lambda: merged_timeline_for(incident), first=True), runs),
                    f"{connection.vendor}; no event's words kept either",
                )
            )
            rows.append(
                row(
                    "merged timeline read again, unchanged (polls, other viewers)",
                    timed(lambda i: merged_timeline_for(incident), runs),
                    f"{connection.vendor}; the grouping kept by the process",
                )
            )
            rows.extend(review_pages(org, incident, max(5, n // 10)))
            raise RollbackError
    except RollbackError:
        pass
    return rows


def review_pages(org: Organisation, incident: Incident, runs: int) -> list[Row]:
    """The review's pages over those 2,000 key events, as an admin sees them (every form): the
    workspace (every step, the forms offering every event), its second step alone (as its poll
    fetches it after a change elsewhere) and the timeline's own page."""
    from django.test import Client

    from learnloop.accounts.models import Membership, Role
    from learnloop.reviews.models import Review

    admin = User.objects.create(username="review-admin@bench.test")
    Membership.objects.create(user=admin, organisation=org, role=Role.ADMIN)
    client = Client()
    client.force_login(admin)
    start = incident.started_at
    assert start is not None
    review = Review.objects.create(
        incident=incident,
        starts_at=start + timedelta(days=7),
        ends_at=start + timedelta(days=7, hours=1),
    )
    whole: dict[str, str] = {}
    pages = (
        ("review workspace, 2,000 key events", f"/reviews/{review.pk}/", whole),
        ("review step 2, shared understanding", f"/reviews/{review.pk}/understanding/", whole),
        ("review timeline page", f"/reviews/{review.pk}/timeline/", whole),
        (  # as the workspace asks for it when its section is opened
            "review's factor form, opened (every key event)",
            f"/reviews/{review.pk}/factors/form/",
            {"HX-Request": "true"},
        ),
    )
    rows = []
    for what, url, headers in pages:
        size = len(client.get(url, headers=headers).content)
        samples = timed(
            partial(lambda url, headers, i: client.get(url, headers=headers), url, headers), runs
        )
        note = f"{queries(client, url)} queries, {size // 1024:,} kB; the grouping kept"
        rows.append(row(what, samples, note))
    return rows


def ensure_published(org: Organisation) -> None:
    """Once: 5,000 of the seeded incidents get a published narrative, indexed for search."""
    published = Narrative.objects.filter(organisation=org, status=NarrativeStatus.PUBLISHED)
    if published.count() >= NARRATIVES:
        return
    from learnloop.insights.search import reindex

    started = time.perf_counter()
    rng = random.Random(5)
    incidents = list(Incident.objects.filter(organisation=org).order_by("id")[:NARRATIVES])
    with transaction.atomic():
        Narrative.objects.filter(incident__in=incidents).delete()
        narratives = Narrative.objects.bulk_create(
            Narrative(
                incident=i,
                organisation=org,
                title=i.title,
                status=NarrativeStatus.PUBLISHED,
                published_at=i.resolved_at,
            )
            for i in incidents
        )
        versions = NarrativeVersion.objects.bulk_create(
            NarrativeVersion(
                narrative=narrative,
                number=1,
                body=_body(narrative.title, rng),
            )
            for narrative in narratives
        )
        publications = Publication.objects.bulk_create(
            Publication(
                narrative=v.narrative,
                revision=1,
                version=v,
                title=v.narrative.title,
                published_at=v.narrative.published_at or v.created_at,
            )
            for v in versions
        )
        for narrative, publication in zip(narratives, publications, strict=True):
            narrative.current_publication = publication
        Narrative.objects.bulk_update(narratives, ["current_publication"], batch_size=1000)
    for first in range(0, len(incidents), 1000):
        reindex(
            Incident.objects.filter(pk__in=[i.pk for i in incidents[first : first + 1000]])
            .select_related("narrative")
            .prefetch_related("key_events", "improvement_actions")
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # after a bulk load the planner's statistics are empty
    print(f"  {NARRATIVES:,} published narratives in {time.perf_counter() - started:.0f} s")


def _body(title: str, rng: random.Random) -> str:
    story = " ".join(rng.choice(PHRASES) for _ in range(12))
    return (
        f"## Summary\n\n{title}.\n\n## How we got here\n\n{story}.\n\n"
        f"## What we learned\n\nThe {rng.choice(WORDS)} and the {rng.choice(WORDS)} interact.\n"
    )


def portal(org: Organisation, n: int) -> list[Row]:
    from learnloop.portal.queries import published

    ensure_published(org)
    client = reader_client()
    words = ("certificate", "replica", "rolled back", "cache", "pool limit", "status page")
    rows = [
        row(
            "portal search over 5,000 published narratives (query function)",
            timed(lambda i: list(published(org.pk, text=words[i % len(words)]).items), n),
            connection.vendor,
        ),
        row(
            "portal page, search and team filter",
            timed(lambda i: client.get(f"/narratives/?q={words[i % 6]}&team=team-0{i % 10}"), n),
            f"{queries(client, '/narratives/?q=cache')} queries",
        ),
        row(
            "portal page, newest published",
            timed(lambda i: client.get("/narratives/"), n),
            f"{queries(client, '/narratives/')} queries",
        ),
    ]
    return rows
