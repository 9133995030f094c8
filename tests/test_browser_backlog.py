"""A product manager works the team's backlog in chromium."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from learnloop.actions.models import ActionKind, ActionStatus, ImprovementAction, PlannedFeature
from learnloop.actions.services import add_action
from learnloop.incidents.services import record_incident
from tests.conftest import World, log_in
from tests.queue import run_tracker_pushes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_ranks_the_backlog_and_closes_an_action_with_evidence(page: Any, world: World):
    incident = record_incident(
        world.org, None, title="Card declines", team=world.payments, severity=2
    )
    add_action(
        incident,
        None,
        title="Runbook for declines",
        kind=ActionKind.PROCESS,
        cost_of_delay_per_week=Decimal("200"),
        estimate_weeks=Decimal("1"),
    )
    breaker = add_action(
        incident,
        None,
        title="Circuit breaker on the card gateway",
        kind=ActionKind.CODE_FIX,
        cost_of_delay_per_week=Decimal("5000"),
        estimate_weeks=Decimal("2"),
    )
    PlannedFeature.objects.create(
        team=world.payments,
        title="Apple Pay",
        cost_of_delay_per_week=Decimal("1000"),
        estimate_weeks=Decimal("4"),
    )

    log_in(page, world.payments_pm.email)
    page.click("nav >> text=Backlog")
    rows = page.locator("#backlog tr td:nth-child(2)")
    assert [rows.nth(i).inner_text().split("\n")[0] for i in range(3)] == [
        "Circuit breaker on the card gateway INC-1",
        "Apple Pay",
        "Runbook for declines INC-1",
    ]

    page.click("text=Circuit breaker on the card gateway")
    page.select_option("#transition-form select", "wont_do")
    page.click("#transition-form button")
    expect(page.locator(".messages")).to_contain_text("Give the reason for not doing it")
    assert page.inner_text("#action-status") == "Idea"

    page.select_option("#transition-form select", "in_practice")
    page.fill(
        "#transition-form textarea[name=evidence]",
        "Gateway outage drill on 2 Dec: breaker opened in 3 s, checkout degraded gracefully",
    )
    page.click("#transition-form button")
    page.wait_for_selector("#action-status:has-text('In practice')")
    expect(page.locator("#history")).to_contain_text("Gateway outage drill")
    breaker.refresh_from_db()
    assert breaker.status == ActionStatus.IN_PRACTICE
    assert ImprovementAction.objects.filter(status=ActionStatus.IDEA).count() == 1


def test_a_manager_pushes_an_action_to_the_teams_tracker(page: Any, world: World, settings):
    from tests.fake_trackers import FakeTrackers

    settings.ALLOW_PRIVATE_DESTINATIONS = True
    fake = FakeTrackers()
    try:
        incident = record_incident(
            world.org, None, title="Card declines", team=world.payments, severity=2
        )
        action = add_action(
            incident, None, title="Alert on decline spikes", kind=ActionKind.MONITORING
        )
        log_in(page, world.payments_pm.email)
        page.goto("/teams/payments/tracker/")
        page.select_option("#id_kind", "jira_cloud")
        page.fill("#id_base_url", fake.base)
        page.fill("#id_account", "bot@acme.test")
        page.fill("#id_token", "api-token")
        page.fill("#id_project", "PAY")
        page.click("#tracker-form button")
        page.wait_for_selector("#connection-check .badge.done")
        expect(page.locator("#connection-check")).to_contain_text("Connected as learnloop bot")

        page.goto(f"/actions/{action.uid}/")
        page.click("#push-form button")
        expect(page.locator(".messages")).to_contain_text("Queued")
        assert run_tracker_pushes() == 1  # the worker
        page.reload()
        link = page.locator("a", has_text="LL-1")
        assert link.get_attribute("href") == f"{fake.base}/browse/LL-1"
        assert len(fake.state.tickets) == 1
    finally:
        fake.close()
