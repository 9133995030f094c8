"""The first half of the loop in a real chromium: an incident of consequence opens analysis
periods, a manager schedules one, and the analyst works it to a submitted report."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from learnloop.analysis.models import AnalysisAssignment, LearningTheme, ReportStatus
from learnloop.incidents.models import Incident
from tests.conftest import World, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_incident_of_consequence_is_scheduled_and_analysed(page: Any, world: World) -> None:
    LearningTheme.objects.create(organisation=world.org, name="Alert fatigue", slug="alert-fatigue")

    # The product manager records an incident that the policy makes of consequence.
    log_in(page, world.payments_pm.email)
    page.goto("/incidents/new/")
    page.fill("#id_title", "Checkout rejected every card for 40 minutes")
    page.select_option("#id_team", label="Payments")
    page.select_option("#id_severity", "1")
    page.fill("#id_started_at", "2026-11-20T09:00")
    page.fill("#id_resolved_at", "2026-11-20T09:40")
    page.check("#id_customer_facing")
    page.select_option("#id_responders", label=["Alice Analyst", "Bob Builder"])
    page.click("form.stacked button[type=submit]")

    page.wait_for_selector("#assignments")
    assert "of consequence: 2 analysis periods opened" in page.inner_text(".messages")
    assert "severity SEV1" in page.inner_text("#consequence")
    rows = page.locator("#assignments tr[id^=assignment-]")
    assert rows.count() == 2

    # The manager moves Alice's period and gives her more hours.
    alice_work = AnalysisAssignment.objects.get(analyst=world.alice)
    page.click(f"#assignment-{alice_work.pk} >> text=Schedule")
    page.fill("#id_hours_allocated", "6")
    page.fill("#id_window_start", "2026-11-23T09:00")
    page.fill("#id_window_end", "2026-11-25T17:00")
    page.fill("#id_due_at", "2026-11-25T17:00")
    page.click("#schedule-form button[type=submit]")
    page.wait_for_selector("#assignments")
    assert "Mon 23 Nov 09:00" in page.inner_text(f"#assignment-{alice_work.pk}")
    page.click("text=Log out")

    # Alice works her analysis: an interview, a key event tagged with a theme, time, a report.
    log_in(page, world.alice.email)
    page.goto("/analysis/")
    page.click("text=Open the workspace for")
    page.click("#interviews summary")
    page.select_option("#interview_interviewee", label="Bob Builder")
    page.fill("#interview_held_at", "2026-11-23T10:00")
    page.fill("#interview_notes", "Bob saw the **card declines** first. <script>alert(1)</script>")
    page.click("#interview-form button[type=submit]")
    page.wait_for_selector("#interviews article")
    assert page.locator("#interviews article strong", has_text="card declines").count() == 1
    assert page.locator("#interviews script").count() == 0

    page.click("#key-events summary")
    page.fill("#event_occurred_at", "2026-11-20T09:02")
    page.select_option("#event_precision", "minute")
    page.fill("#event_actor_role", "on-call engineer")
    page.select_option("#event_event_type", "detection")
    page.fill("#event_description", "Pager fires for payment error rate")
    page.fill("#event_evidence_url", "https://grafana.example/d/payments")
    page.check("#key-event-form label:has-text('Alert fatigue') input")
    page.click("#key-event-form button[type=submit]")
    page.wait_for_selector("#key-events td:has-text('Pager fires')")
    assert "Alert fatigue" in page.inner_text("#key-events")

    page.fill("#time_hours", "2.5")
    page.fill("#time_spent_on", "2026-11-23")
    page.click("#time-form button[type=submit]")
    page.wait_for_selector("#time h2:has-text('2.5 h logged of 6 h allocated')")

    page.fill("#report-form textarea", "## Findings\n\nThe alert was trusted because it was rare.")
    page.click("#report-form button[value=submit]")
    page.wait_for_selector("#report .badge.done")
    assert page.locator("#report h2", has_text="Findings").count() == 1

    work = AnalysisAssignment.objects.get(analyst=world.alice)
    assert work.report.status == ReportStatus.SUBMITTED
    assert work.key_events.get().themes.get().slug == "alert-fatigue"
    assert Incident.objects.get().of_consequence is True


def test_a_private_interview_stays_hidden_from_the_manager_in_the_browser(
    page: Any, world: World
) -> None:
    from learnloop.analysis.models import Interview
    from learnloop.incidents.models import ResponseRole
    from learnloop.incidents.services import record_incident
    from tests.conftest import utc

    incident = record_incident(
        world.org,
        None,
        title="Outage",
        team=world.payments,
        severity=1,
        responders=[(world.alice, ResponseRole.ON_CALL)],
    )
    work = incident.assignments.get()
    Interview.objects.create(
        assignment=work,
        interviewee_name="Call-centre lead",
        held_at=utc(2026, 11, 1, 10),
        notes="Secret worry about the rota",
    )
    log_in(page, world.admin.email)
    page.goto(f"/analysis/{work.pk}/")
    assert "Secret worry" not in page.content()
    assert "1 private interview not shown" in page.inner_text("#interviews")


def test_responders_among_hundreds_of_people_are_typed_with_suggestions(
    page: Any, world: World
) -> None:
    from learnloop.lib.widgets import LISTED
    from tests.test_widgets import many_people

    many_people(world, 2 * LISTED)
    log_in(page, world.payments_pm.email)
    page.goto("/incidents/new/")
    page.fill("#id_title", "Ledger drifted for an hour")
    page.select_option("#id_team", label="Payments")
    page.select_option("#id_severity", "1")
    page.check("#id_customer_facing")
    box = page.locator("#id_responders")
    box.click()
    box.press_sequentially("alice", delay=30)
    suggestions = page.locator("#id_responders-names option")
    expect(suggestions).to_have_count(1)
    assert suggestions.first.get_attribute("value") == "alice@acme.test"
    box.fill("alice@acme.test, ")
    box.press_sequentially("builder", delay=30)  # Bob, by his last name
    expect(suggestions.first).to_have_attribute("value", "alice@acme.test, bob@acme.test")
    box.fill("alice@acme.test, bob@acme.test")
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector("#assignments")
    assert "of consequence: 2 analysis periods opened" in page.inner_text(".messages")
    incident = Incident.objects.get(title="Ledger drifted for an hour")
    assert {r.user for r in incident.responders.all()} == {world.alice, world.bob}
