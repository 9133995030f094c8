"""iCalendar invitations to a walkthrough or cross-team playback, one per attendee."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse

from learnloop.lib import ics
from learnloop.narratives.models import Walkthrough

if TYPE_CHECKING:  # icalendar is imported by the first invitation or feed, not by every worker
    from icalendar import Event


def invitation(walkthrough: Walkthrough, attendee: User) -> bytes:
    """METHOD:REQUEST with a UID that never changes and a SEQUENCE that grows with each
    reschedule, so a calendar updates the event it already has instead of adding another."""
    return ics.request("-//learnloop//walkthroughs//EN", event(walkthrough, attendee))


def event(walkthrough: Walkthrough, attendee: User) -> Event:
    """The walkthrough as one calendar event, for the invitation and for the person's feed."""
    narrative = walkthrough.narrative
    key = narrative.incident.key
    link = settings.BASE_URL + reverse("portal_narrative", args=[key])
    slides = settings.BASE_URL + reverse("portal_present", args=[key])
    organiser = walkthrough.organiser
    return ics.session(
        uid=f"walkthrough-{walkthrough.uid}@learnloop",
        sequence=walkthrough.sequence,
        starts_at=walkthrough.starts_at,
        ends_at=walkthrough.ends_at,
        summary=f"{walkthrough.get_kind_display()}: {key} {narrative.title}",
        description=f"The narrative: {link}\nSlides: {slides}",
        url=link,
        location=walkthrough.location,
        attendee=ics.address(attendee.email, attendee.get_full_name() or attendee.email),
        organiser=ics.address(organiser.email, organiser.get_full_name() or organiser.email)
        if organiser
        else ics.address(settings.DEFAULT_FROM_EMAIL),
    )
