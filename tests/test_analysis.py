from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from icalendar import Calendar

from learnloop.accounts.models import Membership
from learnloop.analysis.models import AnalysisAssignment, Interview
from learnloop.analysis.services import add_analyst, save_report, schedule
from learnloop.incidents.models import Incident, ResponseRole
from learnloop.incidents.services import record_incident
from learnloop.lib.markdown import render
from tests.conftest import World, utc


def severe_incident(world: World) -> Incident:
    return record_incident(
        world.org,
        world.payments_pm,
        title="Checkout down",
        team=world.payments,
        severity=1,
        started_at=utc(2026, 11, 1, 9),
        responders=[(world.alice, ResponseRole.ON_CALL), (world.bob, ResponseRole.OPERATIONS)],
    )


def alices(incident: Incident) -> AnalysisAssignment:
    return incident.assignments.get(analyst__email="alice@acme.test")


@pytest.fixture
def interview(world: World) -> Interview:
    return Interview.objects.create(
        assignment=alices(severe_incident(world)),
        interviewee=world.bob,
        held_at=utc(2026, 11, 2, 10),
        notes="Bob felt **rushed** by the release train.",
    )


PRIVATE_TEXT = "rushed"


def test_private_notes_are_readable_by_the_analyst_and_the_interviewee(world: World, interview):
    for person in (world.alice, world.bob):
        page = world.client_for(person).get(f"/interviews/{interview.pk}/")
        assert page.status_code == 200 and PRIVATE_TEXT in page.content.decode()


@pytest.mark.parametrize("who", ["admin", "problem_manager", "payments_pm", "carol", "outsider"])
def test_private_notes_are_unreadable_to_everyone_else_even_admins(world: World, interview, who):
    client = world.client_for(getattr(world, who))
    assert client.get(f"/interviews/{interview.pk}/").status_code == 404
    workspace = client.get(f"/analysis/{interview.assignment_id}/")
    assert PRIVATE_TEXT not in workspace.content.decode()


def test_shared_notes_become_readable_to_the_incident_manager_but_not_to_others(
    world: World, interview
):
    analyst = world.client_for(world.alice)
    analyst.post(f"/interviews/{interview.pk}/share/", {"shared": "yes"})
    assert (
        world.client_for(world.payments_pm).get(f"/interviews/{interview.pk}/").status_code == 200
    )
    assert world.client_for(world.carol).get(f"/interviews/{interview.pk}/").status_code == 404
    assert world.client_for(world.member).get(f"/interviews/{interview.pk}/").status_code == 404


def test_only_the_analyst_may_share_notes(world: World, interview):
    response = world.client_for(world.admin).post(
        f"/interviews/{interview.pk}/share/", {"shared": "yes"}
    )
    assert response.status_code == 404
    interview.refresh_from_db()
    assert not interview.shared_with_review


def test_markdown_is_rendered_and_sanitised():
    html = render("**bold** <script>alert(1)</script> [x](javascript:alert(1)) <img onerror=x>")
    assert "<strong>bold</strong>" in html
    assert "<script" not in html
    assert 'href="javascript' not in html
    assert "<img" not in html
    linked = render('[site](https://example.org) <a href="javascript:x">y</a>')
    assert 'href="https://example.org"' in linked and "javascript" not in linked.split("</a>")[0]


def test_a_manager_moves_extends_and_reassigns_an_analysis_period(world: World):
    work = alices(severe_incident(world))
    start = utc(2026, 12, 1, 9)
    schedule(
        work,
        window_start=start,
        window_end=start + timedelta(days=2),
        due_at=start + timedelta(days=3),
        hours_allocated=Decimal("10"),
        analyst=world.carol,
    )
    work.refresh_from_db()
    assert (work.analyst, work.hours_allocated, work.sequence) == (world.carol, Decimal("10"), 1)


def test_a_period_cannot_end_before_it_starts(world: World):
    work = alices(severe_incident(world))
    start = utc(2026, 12, 1, 9)
    with pytest.raises(ValidationError) as error:
        schedule(
            work,
            window_start=start,
            window_end=start - timedelta(hours=1),
            due_at=start,
            hours_allocated=Decimal("4"),
        )
    assert "window_end" in error.value.message_dict


def test_a_responder_may_not_schedule_and_a_product_manager_of_another_team_neither(world: World):
    work = alices(severe_incident(world))
    for person in (world.alice, world.search_pm):
        assert world.client_for(person).get(f"/analysis/{work.pk}/schedule/").status_code in (
            403,
            404,
        )
    assert (
        world.client_for(world.payments_pm).get(f"/analysis/{work.pk}/schedule/").status_code == 200
    )


def test_a_facilitator_can_be_added_once(world: World):
    incident = severe_incident(world)
    add_analyst(incident, world.carol)
    with pytest.raises(ValidationError):
        add_analyst(incident, world.carol)
    assert incident.assignments.count() == 3


def test_overdue_assignments_are_shown_to_the_manager(world: World):
    incident = severe_incident(world)
    incident.assignments.update(
        due_at=timezone.now() - timedelta(days=1), window_start=timezone.now() - timedelta(days=5)
    )
    page = world.client_for(world.payments_pm).get("/").content.decode()
    assert "Analysis periods overdue" in page and "Alice Analyst" in page
    other_team = world.client_for(world.search_pm).get("/").content.decode()
    assert "alice@acme.test" not in other_team


def test_the_invitation_is_a_valid_calendar_event(world: World):
    work = alices(severe_incident(world))
    response = world.client_for(world.alice).get(f"/analysis/{work.pk}/invitation.ics")
    assert response["Content-Type"].startswith("text/calendar")
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == work.window_start
    assert "Checkout down" in str(event["summary"])
    assert str(event["attendee"]) == "mailto:alice@acme.test"


def test_the_private_calendar_feed_lists_the_persons_periods_without_a_login(world: World):
    severe_incident(world)
    token = Membership.objects.get(user=world.alice).calendar_token
    from django.test import Client

    response = Client().get(f"/calendar/{token}.ics")
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert len(events) == 1
    assert Client().get("/calendar/not-a-token.ics").status_code == 404


def test_a_submitted_report_can_no_longer_change(world: World):
    work = alices(severe_incident(world))
    save_report(work, "Findings", submit=True)
    with pytest.raises(ValidationError):
        save_report(work, "Rewritten", submit=False)
    work.refresh_from_db()
    assert work.submitted_at == work.report.submitted_at is not None  # no longer an open period


def test_an_empty_report_cannot_be_submitted(world: World):
    work = alices(severe_incident(world))
    response = world.client_for(world.alice).post(
        f"/analysis/{work.pk}/report/", {"body": "  ", "action": "submit"}
    )
    assert "Write the report before submitting it" in response.content.decode()


def test_only_the_analyst_adds_to_the_workspace(world: World):
    work = alices(severe_incident(world))
    response = world.client_for(world.payments_pm).post(
        f"/analysis/{work.pk}/time/", {"hours": "2", "spent_on": "2026-11-02"}
    )
    assert response.status_code == 403
    assert not work.time_entries.exists()


def test_a_key_event_without_a_time_must_say_its_time_is_unknown(world: World):
    work = alices(severe_incident(world))
    client = world.client_for(world.alice)
    response = client.post(
        f"/analysis/{work.pk}/key-events/",
        {"precision": "minute", "description": "Someone noticed", "event_type": "detection"},
    )
    assert "precision &#x27;unknown&#x27;" in response.content.decode()
    client.post(
        f"/analysis/{work.pk}/key-events/",
        {"precision": "unknown", "description": "Someone noticed", "event_type": "detection"},
    )
    assert work.key_events.get().occurred_at is None


def test_the_schedule_page_says_in_words_why_a_window_ending_before_it_starts_is_refused(
    world: World,
):
    work = alices(severe_incident(world))
    answer = world.client_for(world.payments_pm).post(
        f"/analysis/{work.pk}/schedule/",
        {
            "analyst": world.alice.pk,
            "hours_allocated": "4",
            "window_start": "2026-12-02T09:00",
            "window_end": "2026-12-01T09:00",
            "due_at": "2026-12-03T09:00",
        },
    )
    page = answer.content.decode()
    assert answer.status_code == 200
    assert "The window must end after it starts." in page
    assert "assignment_window_positive" not in page and "Constraint" not in page
    work.refresh_from_db()
    assert work.sequence == 0


def test_every_database_check_has_a_sentence_for_people():
    """A form that meets a check constraint shows its message: never the constraint's name."""
    from django.apps import apps
    from django.db.models import CheckConstraint

    unworded = [
        f"{model.__name__}.{constraint.name}"
        for model in apps.get_models()
        if model.__module__.startswith("learnloop.")
        for constraint in model._meta.constraints
        if isinstance(constraint, CheckConstraint)
        and constraint.violation_error_message == constraint.default_violation_error_message
    ]
    assert unworded == []
