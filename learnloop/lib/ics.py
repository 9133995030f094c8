"""iCalendar pieces shared by every session learnloop schedules (reviews, walkthroughs,
playbacks): a stable UID and a growing SEQUENCE, so that a calendar updates the event it has
rather than adding another; times written in UTC, so every calendar shows its own local time."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

if TYPE_CHECKING:  # icalendar is imported by the first invitation or feed, not by every worker
    from icalendar import Event, vCalAddress


def request(prodid: str, event: Event) -> bytes:
    """A METHOD:REQUEST invitation holding one event."""
    return _message(prodid, "REQUEST", event)


def cancel(prodid: str, event: Event) -> bytes:
    """A METHOD:CANCEL for one attendee: the same UID, so their calendar removes the event."""
    event["status"] = "CANCELLED"
    return _message(prodid, "CANCEL", event)


def _message(prodid: str, method: str, event: Event) -> bytes:
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", prodid)
    cal.add("version", "2.0")
    cal.add("method", method)
    cal.add_component(event)
    return bytes(cal.to_ical())


def address(email: str, name: str = "") -> vCalAddress:
    from icalendar import vCalAddress, vText

    found = vCalAddress(f"mailto:{email}")
    if name:
        found.params["cn"] = vText(name)
    return found


def session(
    *,
    uid: str,
    sequence: int,
    starts_at: datetime,
    ends_at: datetime,
    summary: str,
    description: str,
    url: str,
    location: str,
    attendee: vCalAddress,
    organiser: vCalAddress,
) -> Event:
    from icalendar import Event, vText

    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", starts_at)
    event.add("dtend", ends_at)
    event.add("summary", summary)
    event.add("description", description)
    event.add("url", url)
    if location:
        event.add("location", location)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["rsvp"] = vText("TRUE")
    event.add("attendee", attendee, encode=False)
    event.add("organizer", organiser, encode=False)
    return event
