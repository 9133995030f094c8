"""iCalendar for analysis periods: one invitation per assignment, and a private feed per person
with their periods, reviews, walkthroughs and playbacks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from learnloop.analysis.models import AnalysisAssignment
from learnloop.narratives.models import Walkthrough
from learnloop.portal import invitations
from learnloop.reviews import calendar as review_calendar
from learnloop.reviews.models import Review, ReviewStatus

if TYPE_CHECKING:  # icalendar is imported by the first invitation or feed, not by every worker
    from icalendar import Calendar, Event


def _calendar(method: str | None = None) -> Calendar:
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", "-//learnloop//analysis periods//EN")
    cal.add("version", "2.0")
    if method:
        cal.add("method", method)
    return cal


def _event(assignment: AnalysisAssignment) -> Event:
    from icalendar import Event, vCalAddress, vText

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


def feed(
    assignments: Iterable[AnalysisAssignment], name: str, others: Iterable[Event] = ()
) -> bytes:
    """The person's analysis periods, and `others`: their reviews, walkthroughs and playbacks."""
    cal = _calendar()
    cal.add("x-wr-calname", name)
    for assignment in assignments:
        cal.add_component(_event(assignment))
    for event in others:
        cal.add_component(event)
    return bytes(cal.to_ical())


def sessions_of(person: User) -> list[Event]:
    """The reviews, walkthroughs and playbacks the person is invited to (not cancelled ones)."""
    reviews = (
        Review.objects.filter(invitees__user=person)
        .exclude(status=ReviewStatus.CANCELLED)
        .select_related("incident")
    )
    walkthroughs = Walkthrough.objects.filter(attendees__user=person).select_related(
        "narrative__incident", "organiser"
    )
    return [review_calendar.event(r, person) for r in reviews] + [
        invitations.event(w, person) for w in walkthroughs
    ]
