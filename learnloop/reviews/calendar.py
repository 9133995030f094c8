"""The review's .ics invitation: one per invitee, with a stable UID so that a move updates the
event already in their calendar (SEQUENCE goes up) rather than adding a second one."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from learnloop.reviews.models import Review


def review_link(review: Review) -> str:
    return settings.BASE_URL + reverse("review_detail", args=[review.pk])


def invitation(review: Review, invitee: User) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//learnloop//post-incident reviews//EN")
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    cal.add_component(event(review, invitee))
    return bytes(cal.to_ical())


def event(review: Review, invitee: User) -> Event:
    """The review as one calendar event, for the invitation and for the person's feed."""
    incident = review.incident
    event = Event()
    event.add("uid", f"review-{review.uid}@learnloop")
    event.add("sequence", review.sequence)
    event.add("dtstamp", timezone.now())
    # Stored in UTC; written in UTC, so that every invitee's calendar shows its own local time.
    event.add("dtstart", review.starts_at)
    event.add("dtend", review.ends_at)
    event.add("summary", f"Post-incident review: {incident.key} {incident.title}")
    link = review_link(review)
    event.add(
        "description",
        f"The collective review of {incident.key}: reports, shared understanding, "
        f"perspectives, contributing factors, learnings and the narrative.\n{link}",
    )
    event.add("url", link)
    if review.location:
        event.add("location", review.location)
    attendee = vCalAddress(f"mailto:{invitee.email}")
    attendee.params["cn"] = vText(invitee.get_full_name() or invitee.email)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["rsvp"] = vText("TRUE")
    event.add("attendee", attendee, encode=False)
    event.add("organizer", vCalAddress(f"mailto:{settings.DEFAULT_FROM_EMAIL}"), encode=False)
    return event
