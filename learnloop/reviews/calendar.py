"""The review's .ics invitation: one per invitee, with a stable UID so that a move updates the
event already in their calendar (SEQUENCE goes up) rather than adding a second one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse

from learnloop.lib import ics
from learnloop.reviews.models import Review

if TYPE_CHECKING:  # icalendar is imported by the first invitation or feed, not by every worker
    from icalendar import Event


def review_link(review: Review) -> str:
    return settings.BASE_URL + reverse("review_detail", args=[review.pk])


PRODID = "-//learnloop//post-incident reviews//EN"


def invitation(review: Review, invitee: User) -> bytes:
    return ics.request(PRODID, event(review, invitee))


def cancellation(review: Review, former_invitee: User) -> bytes:
    return ics.cancel(PRODID, event(review, former_invitee))


def event(review: Review, invitee: User) -> Event:
    """The review as one calendar event, for the invitation and for the person's feed."""
    incident = review.incident
    link = review_link(review)
    return ics.session(
        uid=f"review-{review.uid}@learnloop",
        sequence=review.sequence,
        starts_at=review.starts_at,
        ends_at=review.ends_at,
        summary=f"Post-incident review: {incident.key} {incident.title}",
        description=f"The collective review of {incident.key}: reports, shared understanding, "
        f"perspectives, contributing factors, learnings and the narrative.\n{link}",
        url=link,
        location=review.location,
        attendee=ics.address(invitee.email, invitee.get_full_name() or invitee.email),
        organiser=ics.address(settings.DEFAULT_FROM_EMAIL),
    )
