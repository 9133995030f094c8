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
    review = Review.objects.get(status="held")
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
