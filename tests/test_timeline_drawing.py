"""The merged timeline drawn: lanes per teller, spans for imprecise times, disagreements linked
and highlighted, untimed events in their own row, the year when events span years, zoom."""

from __future__ import annotations

import re
from xml.dom import minidom

from learnloop.analysis.models import AnalysisAssignment, KeyEvent
from learnloop.incidents.models import ResponseRole
from learnloop.incidents.services import record_incident
from learnloop.reviews import services as reviews
from learnloop.reviews.drawing import draw
from learnloop.reviews.timeline import merged_timeline_for
from tests.conftest import World, utc


def incident_with_tellings(world: World):
    incident = record_incident(
        world.org,
        world.payments_pm,
        title="Checkout down",
        team=world.payments,
        severity=1,
        started_at=utc(2025, 12, 31, 23, 40),
        responders=[(world.alice, ResponseRole.ON_CALL), (world.bob, ResponseRole.ON_CALL)],
    )
    alice = AnalysisAssignment.objects.get(incident=incident, analyst=world.alice)
    bob = AnalysisAssignment.objects.get(incident=incident, analyst=world.bob)
    told = [
        (alice, utc(2025, 12, 31, 23, 45), "minute", "Alerts fire for card declines"),
        (bob, utc(2025, 12, 31, 23, 52), "minute", "Alerts fire for card declines"),
        (bob, utc(2026, 1, 1, 0, 30), "approximate", "Rollback of the gateway <config>"),
        (alice, utc(2026, 1, 1, 1, 0), "hour", "Customers can pay again"),
        (alice, None, "unknown", "Someone restarted the cache"),
    ]
    for n, (work, at, precision, text) in enumerate(told):
        KeyEvent.objects.create(
            incident=incident,
            assignment=work,
            occurred_at=at,
            precision=precision,
            description=text,
            position=n,
        )
    return incident


def test_the_drawing_has_a_lane_per_teller_spans_groups_and_an_untimed_row(world: World):
    incident = incident_with_tellings(world)
    svg = draw(merged_timeline_for(incident), title="Timeline")
    minidom.parseString(svg)  # noqa: S318 - our own drawing; well-formed, "<config>" escaped
    assert "Alice Analyst" in svg and "Bob Builder" in svg and "Time unknown" in svg
    assert "Someone restarted the cache" in svg
    assert "&lt;config&gt;" in svg
    assert "2025" in svg and "2026" in svg  # the events span two years
    assert len(re.findall(r"<rect [^>]*rx=\"6\"", svg)) == 2  # the hour and the about-half-hour
    assert "polyline" in svg and "told differently" in svg  # the two alert tellings, linked
    assert svg.count('href="#event-') == 4  # each timed event links to its row in the table


def test_the_review_shows_the_drawing_and_the_timeline_page_zooms(world: World):
    incident = incident_with_tellings(world)
    review = reviews.schedule(
        incident,
        world.payments_pm,
        starts_at=utc(2026, 1, 5, 14),
        ends_at=utc(2026, 1, 5, 15),
        missing_reports_reason="The timeline is the point",
    )
    client = world.client_for(world.payments_pm)
    page = client.get(f"/reviews/{review.pk}/").content.decode()
    assert 'class="timeline-drawing"' in page and 'id="event-' in page
    zoomed = client.get(
        f"/reviews/{review.pk}/timeline/",
        {"since": "2026-01-01T00:00", "until": "2026-01-01T02:00"},
    ).content.decode()
    table = zoomed[zoomed.index('id="timeline-table"') :]
    assert "Customers can pay again" in table and "Alerts fire" not in table
    assert "Someone restarted the cache" in table  # untimed events are in every window
    wrong = client.get(
        f"/reviews/{review.pk}/timeline/",
        {"since": "2026-01-02T00:00", "until": "2026-01-01T00:00"},
    )
    assert "The window must end after it starts." in wrong.content.decode()
    assert world.client_for(world.member).get(f"/reviews/{review.pk}/timeline/").status_code == 404


def test_an_incident_without_timed_events_says_so(world: World):
    incident = record_incident(world.org, None, title="Quiet", started_at=utc(2026, 1, 1))
    assert "No timed events yet" in draw(merged_timeline_for(incident))


def test_the_merged_timeline_reads_its_tellers_once_however_many_events(
    world: World, django_assert_num_queries
):
    """The events, then their tellers' periods with the tellers themselves: two queries, each
    period and person one instance shared by all of their events."""
    incident = incident_with_tellings(world)
    alice = AnalysisAssignment.objects.get(incident=incident, analyst=world.alice)
    for n in range(40):
        KeyEvent.objects.create(
            incident=incident, assignment=alice, description=f"Step {n}", position=10 + n
        )
    with django_assert_num_queries(2):
        merged = merged_timeline_for(incident)
        sources = {entry.source for entry in merged.entries}
    assert sources == {"Alice Analyst", "Bob Builder"}
    periods = {id(entry.event.assignment) for entry in merged.entries}
    assert len(periods) == 2
    people = {id(entry.event.assignment.analyst) for entry in merged.entries}
    assert len(people) == 2


def test_the_timeline_reads_each_event_as_the_model_holds_it(world: World):
    """Events are read as plain rows, not model instances: each carries the model's values,
    its type in words, and its teller (none for the imported report's)."""
    incident = incident_with_tellings(world)
    KeyEvent.objects.create(
        incident=incident,
        description="Report says the gateway was reconfigured",
        occurred_at=utc(2026, 1, 1, 0, 31),
        event_type="latent_condition",
        actor_role="Gateway on-call",
        position=9,
    )
    merged = merged_timeline_for(incident)
    stored = {event.pk: event for event in KeyEvent.objects.filter(incident=incident)}
    assert len(merged.entries) == len(stored) == 6
    for entry in merged.entries:
        model = stored[entry.event.pk]
        for field in ("uid", "assignment_id", "position", "precision", "occurred_at"):
            assert getattr(entry.event, field) == getattr(model, field), field
        assert entry.event.description == model.description
        assert entry.event.actor_role == model.actor_role
        assert entry.event.get_event_type_display() == model.get_event_type_display()
        assert entry.event.assignment == model.assignment
    imported = next(e for e in merged.entries if e.event.assignment is None)
    assert (imported.source, imported.event.get_event_type_display()) == (
        "Imported report",
        "Latent condition",
    )
