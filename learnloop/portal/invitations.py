"""iCalendar invitations to a walkthrough or cross-team playback, one per attendee."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from learnloop.narratives.models import Walkthrough


def invitation(walkthrough: Walkthrough, attendee: User) -> bytes:
    """METHOD:REQUEST with a UID that never changes and a SEQUENCE that grows with each
    reschedule, so a calendar updates the event it already has instead of adding another."""
    cal = Calendar()
    cal.add("prodid", "-//learnloop//walkthroughs//EN")
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    cal.add_component(event(walkthrough, attendee))
    return bytes(cal.to_ical())


def event(walkthrough: Walkthrough, attendee: User) -> Event:
    """The walkthrough as one calendar event, for the invitation and for the person's feed."""
    narrative = walkthrough.narrative
    key = narrative.incident.key
    link = settings.BASE_URL + reverse("portal_narrative", args=[key])
    slides = settings.BASE_URL + reverse("portal_present", args=[key])
    event = Event()
    event.add("uid", f"walkthrough-{walkthrough.uid}@learnloop")
    event.add("sequence", walkthrough.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", walkthrough.starts_at)
    event.add("dtend", walkthrough.ends_at)
    event.add("summary", f"{walkthrough.get_kind_display()}: {key} {narrative.title}")
    event.add("description", f"The narrative: {link}\nSlides: {slides}")
    event.add("url", link)
    if walkthrough.location:
        event.add("location", walkthrough.location)
    organiser = walkthrough.organiser
    organiser_address = vCalAddress(
        f"mailto:{organiser.email if organiser else settings.DEFAULT_FROM_EMAIL}"
    )
    if organiser is not None:
        organiser_address.params["cn"] = vText(organiser.get_full_name() or organiser.email)
    event.add("organizer", organiser_address, encode=False)
    address = vCalAddress(f"mailto:{attendee.email}")
    address.params["cn"] = vText(attendee.get_full_name() or attendee.email)
    address.params["role"] = vText("REQ-PARTICIPANT")
    address.params["rsvp"] = vText("TRUE")
    event.add("attendee", address, encode=False)
    return event
