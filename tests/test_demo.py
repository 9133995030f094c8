"""The demo shows the whole loop: a reviewed incident whose narrative anyone can read."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.test import Client

from learnloop import demo
from learnloop.narratives.models import NarrativeStatus
from learnloop.reviews.models import Review
from learnloop.reviews.timeline import merged_timeline_for


def client_of(email: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(email=email))
    return client


def test_the_demo_holds_a_reviewed_incident_with_a_published_narrative(db: Any):
    demo.seed()
    review = Review.objects.get(incident__title="North depots started the day without routes")
    incident = review.incident
    assert incident.narrative.status == NarrativeStatus.PUBLISHED
    assert merged_timeline_for(incident).groups, "the demo shows a disagreement to discuss"
    assert review.factors.count() == 2 and review.learnings.count() == 2
    assert incident.improvement_actions.filter(learning__isnull=False).exists()

    reader = client_of("reader@demo.learnloop")
    portal = reader.get("/narratives/").content.decode()
    assert incident.title in portal
    page = reader.get(f"/narratives/{incident.key}/").content.decode()
    assert "A story of a quiet limit." in page
    assert "felt alone" not in page, "a private interview note reached the narrative"

    facilitator = client_of("amara@demo.learnloop")
    workspace = facilitator.get(f"/reviews/{review.pk}/")
    assert workspace.status_code == 200
    assert "Limits that guard a daily deadline" in workspace.content.decode()


def fingerprint() -> list[tuple[Any, ...]]:
    from learnloop.actions.models import ImprovementAction

    return sorted(
        (a.incident.title, a.title, a.status, a.cost_of_delay_per_week)
        for a in ImprovementAction.objects.select_related("incident")
    )


def test_the_demo_is_a_believable_year_and_the_same_every_time(db: Any):
    import re
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from learnloop.actions.models import ActionStatus, ImprovementAction
    from learnloop.analysis.models import AnalysisReport, ReportStatus
    from learnloop.costs.models import ChaosDay, TeamCostProfile, Training
    from learnloop.incidents.models import Incident
    from learnloop.narratives.models import Narrative

    with transaction.atomic():
        demo.seed()
        first = fingerprint()
        transaction.set_rollback(True)
    demo.seed()
    assert fingerprint() == first, "seeded from a fixed seed: the same organisation every time"

    incidents = Incident.objects.all()
    assert incidents.count() >= 30
    oldest = incidents.order_by("started_at").first().started_at
    assert timezone.now() - oldest > timedelta(days=300)
    assert {s for s in ActionStatus.values} <= set(
        ImprovementAction.objects.values_list("status", flat=True)
    ), "actions in every state"
    assert set(ReportStatus.values) <= set(AnalysisReport.objects.values_list("status", flat=True))
    assert Review.objects.filter(status="held").count() >= 10
    published = Narrative.objects.filter(current_publication__isnull=False)
    assert published.count() >= 5 and all(n.reads.exists() for n in published)
    assert TeamCostProfile.objects.count() == 3
    assert Training.objects.exists() and ChaosDay.objects.count() >= 8

    pm = client_of("pm.tracking@demo.learnloop")
    costs = pm.get("/teams/tracking/costs/").content.decode()
    assert "TCO for the period: unknown" not in costs
    measures = client_of("admin@demo.learnloop").get("/measures/").content.decode()
    assert not re.search(r"\d\.\d{3,}", measures), "figures to the cent, not float noise"
    for row in ("Action lead time", "Days between chaos days", "Unique readers"):
        cells = measures.split(row)[1].split("</tr>")[0]
        assert "—" not in cells, f"{row} shows nothing"
