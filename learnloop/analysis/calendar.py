"""iCalendar for analysis periods: one invitation per assignment and a private feed per person."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from learnloop.analysis.models import AnalysisAssignment


def _calendar(method: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//learnloop//analysis periods//EN")
    cal.add("version", "2.0")
    if method:
        cal.add("method", method)
    return cal


def _event(assignment: AnalysisAssignment) -> Event:
    incident = assignment.incident
    link = settings.BASE_URL + reverse("assignment", args=[assignment.pk])
    event = Event()
    event.add("uid", f"assignment-{assignment.uid}@learnloop")
    event.add("sequence", assignment.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", assignment.window_start)
    event.add("dtend", assignment.window_end)
    event.add("summary", f"Incident analysis: {incident.key} {incident.title}")
    event.add(
        "description",
        f"{assignment.hours_allocated} hours allocated to analyse {incident.key}. "
        f"Report due {assignment.due_at:%Y-%m-%d %H:%M} UTC.\n{link}",
    )
    event.add("url", link)
    attendee = vCalAddress(f"mailto:{assignment.analyst.email}")
    attendee.params["cn"] = vText(assignment.analyst.get_full_name() or assignment.analyst.email)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    event.add("attendee", attendee, encode=False)
    event.add("organizer", vCalAddress(f"mailto:{settings.DEFAULT_FROM_EMAIL}"), encode=False)
    return event


def invitation(assignment: AnalysisAssignment) -> bytes:
    cal = _calendar("REQUEST")
    cal.add_component(_event(assignment))
    return bytes(cal.to_ical())


def feed(assignments: Iterable[AnalysisAssignment], name: str) -> bytes:
    cal = _calendar()
    cal.add("x-wr-calname", name)
    for assignment in assignments:
        cal.add_component(_event(assignment))
    return bytes(cal.to_ical())
