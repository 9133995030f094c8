"""Invitations to walkthroughs and playbacks reach people by email, with their .ics, through the
database queue that `learnloop worker` runs."""

from __future__ import annotations

from icalendar import Calendar

from learnloop.portal.services import reschedule, schedule_walkthrough
from tests.conftest import World, utc
from tests.queue import run_tasks
from tests.test_portal_helpers import published_narrative
from tests.test_reviews import Inbox, inbox  # noqa: F401 - the real SMTP server fixture


def calendar_of(message) -> Calendar:  # type: ignore[no-untyped-def]
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return Calendar.from_ical(part.get_payload(decode=True))
    raise AssertionError("no .ics attached")


def test_attendees_are_emailed_an_invitation_and_again_when_it_moves(
    world: World,
    inbox: Inbox,  # noqa: F811
):
    narrative = published_narrative(world.org, "Card declines", team=world.payments)
    walkthrough = schedule_walkthrough(
        narrative,
        world.payments_pm,
        kind="playback",
        starts_at=utc(2026, 12, 1, 14),
        ends_at=utc(2026, 12, 1, 15),
        people=[world.carol],
        teams=[world.search],
    )
    assert not inbox.messages, "nothing is sent before the worker runs"
    assert run_tasks() == 1
    invited = sorted(m["To"] for m in inbox.messages)
    assert invited == ["carol@acme.test", "ppm@acme.test", "spm@acme.test"]
    first = inbox.messages[0]
    assert first["Subject"].startswith("Cross-team playback of ")
    assert first.get_body(("html",)) is not None and first.get_body(("plain",)) is not None
    event = calendar_of(first).walk("VEVENT")[0]
    assert str(event["uid"]) == f"walkthrough-{walkthrough.uid}@learnloop"

    reschedule(
        walkthrough, starts_at=utc(2026, 12, 2, 14), ends_at=utc(2026, 12, 2, 15), location=""
    )
    assert run_tasks() == 1
    moved = [m for m in inbox.messages if "(moved)" in m["Subject"]]
    assert len(moved) == 3
    assert calendar_of(moved[0]).walk("VEVENT")[0]["sequence"] == 1
