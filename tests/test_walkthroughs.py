"""Walkthroughs and cross-team playbacks: scheduled by the incident's team and managers, an .ics
invitation per attendee that calendars update on reschedule, attendance recorded afterwards."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from icalendar import Calendar

from learnloop.accounts.models import Team
from learnloop.narratives.models import Narrative, Walkthrough, WalkthroughAttendee
from learnloop.portal.services import record_attendance, reschedule, schedule_walkthrough
from tests.conftest import World, utc
from tests.test_portal_helpers import published_narrative

pytestmark = pytest.mark.django_db


def cards(world: World) -> Narrative:
    return published_narrative(world.org, "Card declines", team=world.payments)


def schedule_form(world: World, narrative: Narrative, user, **data):  # type: ignore[no-untyped-def]
    fields = {
        "kind": "playback",
        "starts_at": "2026-12-01T14:00",
        "ends_at": "2026-12-01T15:00",
        "location": "Room 4",
        "people": [world.member.pk],
        "teams": [world.search.pk],
        **data,
    }
    return world.client_for(user).post(
        reverse("portal_walkthrough_new", args=[narrative.incident.key]), fields
    )


def invitation(world: World, walkthrough: Walkthrough, user, attendee=None):  # type: ignore[no-untyped-def]
    address = reverse(
        "portal_walkthrough_invitation", args=[walkthrough.narrative.incident.key, walkthrough.uid]
    )
    query = {"attendee": attendee.pk} if attendee else {}
    return world.client_for(user).get(address, query)


def test_the_teams_manager_schedules_a_playback_inviting_people_and_a_whole_team(world: World):
    narrative = cards(world)

    response = schedule_form(world, narrative, world.payments_pm)

    walkthrough = Walkthrough.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"/walkthroughs/{walkthrough.uid}/")
    assert walkthrough.kind == "playback" and walkthrough.location == "Room 4"
    assert walkthrough.starts_at == utc(2026, 12, 1, 14)
    invited = set(walkthrough.attendees.values_list("user__email", flat=True))
    assert invited == {"ppm@acme.test", "member@acme.test", "spm@acme.test", "carol@acme.test"}
    page = world.client_for(world.member).get(
        reverse("portal_narrative", args=[narrative.incident.key])
    )
    assert "Cross-team playback" in page.content.decode()


def test_only_the_incidents_team_and_managers_schedule(world: World):
    narrative = cards(world)

    assert schedule_form(world, narrative, world.alice).status_code == 302  # the team
    assert schedule_form(world, narrative, world.problem_manager).status_code == 302
    assert schedule_form(world, narrative, world.carol).status_code == 403
    assert schedule_form(world, narrative, world.member).status_code == 403
    assert schedule_form(world, narrative, world.outsider).status_code == 404


def test_the_form_says_what_is_wrong(world: World):
    narrative = cards(world)

    response = schedule_form(
        world, narrative, world.payments_pm, ends_at="2026-12-01T13:00", people=[], teams=[]
    )

    errors = response.context["form"].errors
    assert errors["ends_at"] == ["The end must be after the start."]
    assert errors["people"] == ["Invite at least one person or team."]
    assert Walkthrough.objects.count() == 0


def test_each_attendee_downloads_an_invitation_that_calendars_accept(world: World):
    narrative = cards(world)
    walkthrough = schedule_walkthrough(
        narrative,
        world.payments_pm,
        kind="walkthrough",
        starts_at=utc(2026, 12, 1, 14),
        ends_at=utc(2026, 12, 1, 15),
        location="Room 4",
        people=[world.member],
    )

    response = invitation(world, walkthrough, world.member)

    assert response["Content-Type"] == "text/calendar"
    calendar = Calendar.from_ical(response.content)
    assert calendar["method"] == "REQUEST"
    event = calendar.walk("VEVENT")[0]
    assert str(event["uid"]) == f"walkthrough-{walkthrough.uid}@learnloop"
    assert event["sequence"] == 0
    assert event.decoded("dtstart") == utc(2026, 12, 1, 14)
    assert str(event["attendee"]) == "mailto:member@acme.test"
    assert str(event["organizer"]) == "mailto:ppm@acme.test"
    assert str(event["summary"]) == f"Walkthrough: {narrative.incident.key} Card declines"
    assert str(event["location"]) == "Room 4"


def test_rescheduling_keeps_the_uid_and_bumps_the_sequence(world: World):
    narrative = cards(world)
    walkthrough = schedule_walkthrough(
        narrative,
        world.payments_pm,
        kind="walkthrough",
        starts_at=utc(2026, 12, 1, 14),
        ends_at=utc(2026, 12, 1, 15),
        people=[world.member],
    )
    before = Calendar.from_ical(invitation(world, walkthrough, world.member).content)

    world.client_for(world.payments_pm).post(
        reverse("portal_walkthrough", args=[narrative.incident.key, walkthrough.uid]),
        {
            "action": "reschedule",
            "starts_at": "2026-12-02T10:00",
            "ends_at": "2026-12-02T11:00",
            "location": "Room 5",
        },
    )

    walkthrough.refresh_from_db()
    after = Calendar.from_ical(invitation(world, walkthrough, world.member).content)
    old, new = before.walk("VEVENT")[0], after.walk("VEVENT")[0]
    assert str(new["uid"]) == str(old["uid"])
    assert new["sequence"] == 1
    assert new.decoded("dtstart") == utc(2026, 12, 2, 10)
    with pytest.raises(ValidationError):
        reschedule(walkthrough, starts_at=utc(2026, 12, 2), ends_at=utc(2026, 12, 1), location="")


def test_invitations_are_for_their_attendee_or_whoever_schedules(world: World):
    narrative = cards(world)
    walkthrough = schedule_walkthrough(
        narrative,
        world.payments_pm,
        kind="walkthrough",
        starts_at=utc(2026, 12, 1, 14),
        ends_at=utc(2026, 12, 1, 15),
        people=[world.member, world.carol],
    )

    assert invitation(world, walkthrough, world.carol, world.member).status_code == 403
    assert invitation(world, walkthrough, world.alice, world.member).status_code == 200
    assert invitation(world, walkthrough, world.alice, world.bob).status_code == 404  # not invited
    assert invitation(world, walkthrough, world.bob).status_code == 404


def test_attendance_is_recorded_afterwards(world: World):
    narrative = cards(world)
    walkthrough = schedule_walkthrough(
        narrative,
        world.payments_pm,
        kind="walkthrough",
        starts_at=utc(2026, 12, 1, 14),
        ends_at=utc(2026, 12, 1, 15),
        people=[world.member, world.carol],
    )
    address = reverse("portal_walkthrough", args=[narrative.incident.key, walkthrough.uid])

    world.client_for(world.payments_pm).post(
        address, {"action": "attendance", "attended": [world.carol.pk, world.payments_pm.pk]}
    )

    rows = {a.user.email: a.attended for a in WalkthroughAttendee.objects.select_related("user")}
    assert rows == {"ppm@acme.test": True, "carol@acme.test": True, "member@acme.test": False}
    assert world.client_for(world.member).post(address, {"action": "attendance"}).status_code == 403
    with pytest.raises(ValidationError):
        record_attendance(walkthrough, [world.bob.pk])
    text = world.client_for(world.member).get(address).content.decode()
    assert "attended" in text and "Record attendance" not in text


def test_only_members_and_their_organisations_teams_are_invited(world: World):
    narrative = cards(world)
    times = {"kind": "walkthrough", "starts_at": utc(2026, 12, 1), "ends_at": utc(2026, 12, 2)}
    with pytest.raises(ValidationError):
        schedule_walkthrough(narrative, world.payments_pm, people=[world.outsider], **times)
    with pytest.raises(ValidationError):
        schedule_walkthrough(narrative, world.payments_pm, **times | {"kind": "party"})
    theirs = Team.objects.create(organisation=world.other_org, name="Theirs", slug="theirs")
    with pytest.raises(ValidationError):
        schedule_walkthrough(narrative, world.payments_pm, teams=[theirs], **times)
    assert Walkthrough.objects.count() == 0
