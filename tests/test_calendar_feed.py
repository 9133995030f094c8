"""A person's private calendar feed holds everything learnloop schedules for them."""

from __future__ import annotations

from django.test import Client
from icalendar import Calendar

from learnloop.accounts.models import Membership
from learnloop.analysis.models import AnalysisAssignment
from learnloop.incidents.models import ResponseRole
from learnloop.incidents.services import record_incident
from learnloop.narratives.models import Narrative, Walkthrough, WalkthroughAttendee
from learnloop.reviews.models import Review, ReviewInvitee, ReviewStatus
from tests.conftest import World, utc


def summaries(world: World, person) -> set[str]:  # type: ignore[no-untyped-def]
    token = Membership.objects.get(user=person).calendar_token
    response = Client().get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    return {str(e["summary"]) for e in Calendar.from_ical(response.content).walk("VEVENT")}


def test_the_feed_holds_analysis_periods_reviews_and_walkthroughs(world: World):
    incident = record_incident(
        world.org,
        world.payments_pm,
        title="Checkout down",
        team=world.payments,
        severity=1,
        started_at=utc(2026, 11, 1, 9),
        responders=[(world.alice, ResponseRole.ON_CALL)],
    )
    assert AnalysisAssignment.objects.filter(analyst=world.alice).exists()
    review = Review.objects.create(
        incident=incident, starts_at=utc(2026, 11, 9, 14), ends_at=utc(2026, 11, 9, 15)
    )
    ReviewInvitee.objects.create(review=review, user=world.alice, kind="responder")
    ReviewInvitee.objects.create(review=review, user=world.carol, kind="stakeholder")
    narrative = Narrative.objects.create(incident=incident, title="Checkout down")
    playback = Walkthrough.objects.create(
        narrative=narrative,
        kind="playback",
        starts_at=utc(2026, 11, 20, 10),
        ends_at=utc(2026, 11, 20, 11),
    )
    WalkthroughAttendee.objects.create(walkthrough=playback, user=world.carol)

    key = incident.key
    assert summaries(world, world.alice) == {
        f"Incident analysis: {key} Checkout down",
        f"Post-incident review: {key} Checkout down",
    }
    assert summaries(world, world.carol) == {
        f"Post-incident review: {key} Checkout down",
        f"Cross-team playback: {key} Checkout down",
    }
    Review.objects.filter(pk=review.pk).update(status=ReviewStatus.CANCELLED)
    assert summaries(world, world.carol) == {f"Cross-team playback: {key} Checkout down"}
    assert summaries(world, world.member) == set()
