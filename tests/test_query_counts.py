"""Pages issue a bounded number of queries however many rows they show."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from learnloop.accounts.home import SHOWN
from learnloop.actions.models import ActionKind
from learnloop.actions.services import add_action
from learnloop.analysis.models import Interview, KeyEvent, LearningTheme, TimeEntry
from learnloop.analysis.services import save_report
from learnloop.incidents.models import Incident, ResponseRole
from learnloop.incidents.services import decide_by_hand, record_incident
from tests.conftest import World, make_person, utc


def count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    return len(captured.captured_queries)


def grow(world: World, incident: Incident, n: int) -> None:
    """Adds n of everything the incident and workspace pages show."""
    theme, _ = LearningTheme.objects.get_or_create(
        organisation=world.org, slug="t", defaults={"name": "T"}
    )
    work = incident.assignments.get(analyst=world.alice)
    for i in range(n):
        person = make_person(
            world.org, f"r{incident.pk}-{i}@acme.test", "responder", world.payments
        )
        from learnloop.incidents.services import add_responder

        add_responder(incident, person, ResponseRole.SUBJECT_MATTER_EXPERT)
        event = KeyEvent.objects.create(
            incident=incident,
            assignment=work,
            description=f"e{i}",
            occurred_at=utc(2026, 1, 1),
            position=i,
        )
        event.themes.add(theme)
        KeyEvent.objects.create(incident=incident, description=f"report {i}", position=i)
        interview = Interview.objects.create(
            assignment=work, interviewee_name=f"p{i}", held_at=utc(2026, 1, 2), notes="n"
        )
        interview.themes.add(theme)
        TimeEntry.objects.create(assignment=work, hours=Decimal(1), spent_on=utc(2026, 1, 2))
        add_action(incident, None, title=f"Action {i}", kind=ActionKind.PROCESS)
        decide_by_hand(incident, True, f"reason {i}", by=world.payments_pm)
    incident.themes.add(theme)


def an_incident(world: World, title: str) -> Incident:
    return record_incident(
        world.org,
        None,
        title=title,
        team=world.payments,
        severity=1,
        started_at=timezone.now() - timedelta(days=1),
        responders=[(world.alice, ResponseRole.ON_CALL)],
    )


def test_the_incident_list_page_is_bounded(world: World):
    client = world.client_for(world.member)
    for n in range(2):
        an_incident(world, f"small {n}")
    small = [count(client, "/incidents/"), count(client, "/incidents/?team=payments&severity=1")]
    for n in range(30):
        an_incident(world, f"large {n}")
    assert [
        count(client, "/incidents/"),
        count(client, "/incidents/?team=payments&severity=1"),
    ] == small


def test_the_incident_page_is_bounded(world: World):
    client = world.client_for(world.payments_pm)
    small, large = an_incident(world, "small"), an_incident(world, "large")
    grow(world, small, 1)
    grow(world, large, 12)
    assert count(client, f"/incidents/{large.key}/") == count(client, f"/incidents/{small.key}/")


def test_the_workspace_page_is_bounded(world: World):
    client = world.client_for(world.alice)
    small, large = an_incident(world, "small"), an_incident(world, "large")
    grow(world, small, 1)
    grow(world, large, 12)
    for incident in (small, large):
        save_report(incident.assignments.get(analyst=world.alice), "Report", submit=False)
    urls = [f"/analysis/{i.assignments.get(analyst=world.alice).pk}/" for i in (small, large)]
    assert count(client, urls[1]) == count(client, urls[0])


def test_the_home_page_is_bounded(world: World):
    """A full section (more rows than it shows) asks for its count apart, so the small home
    already has one overdue period more than the section shows."""
    client = world.client_for(world.payments_pm)

    def overdue(name: str) -> None:
        incident = an_incident(world, name)
        incident.assignments.update(due_at=timezone.now() - timedelta(days=1))

    for n in range(SHOWN + 1):
        overdue(f"one {n}")
    client.get("/")  # the first visit of a session also remembers the previous one
    small = count(client, "/")
    for n in range(15):
        overdue(f"more {n}")
    assert count(client, "/") == small


def test_the_backlog_page_is_bounded(world: World):
    client = world.client_for(world.payments_pm)
    incident = an_incident(world, "one")
    add_action(incident, None, title="first", kind=ActionKind.PROCESS)
    small = count(client, "/teams/payments/backlog/")
    for n in range(20):
        add_action(
            incident,
            None,
            title=f"more {n}",
            kind=ActionKind.PROCESS,
            cost_of_delay_per_week=Decimal(n),
            estimate_weeks=Decimal(1),
        )
    assert count(client, "/teams/payments/backlog/") == small
