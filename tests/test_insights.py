"""Measures as distributions, on known data; a theme over time."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from learnloop.actions.models import ActionKind, ActionStatus
from learnloop.actions.services import add_action, transition
from learnloop.analysis.models import LearningTheme, TimeEntry
from learnloop.costs.models import ChaosDay
from learnloop.incidents.models import ResponseRole
from learnloop.incidents.services import record_incident
from learnloop.insights.measures import measure
from learnloop.lib.stats import Distribution, p85
from tests.conftest import World, log_in, utc


def test_percentiles_interpolate_between_ranks():
    values = [Decimal(v) for v in (1, 2, 3, 4, 10)]
    assert Distribution.of(values).median == 3
    assert p85(values) == Decimal("4") + Decimal("6") * Decimal("0.4")
    assert p85([]) is None and Distribution.of([]).median is None
    assert (
        Distribution.of([Decimal(5)]).median == Decimal("5.00") == Distribution.of([Decimal(5)]).p85
    )


def test_the_measures_on_known_data(world: World):
    incident = record_incident(
        world.org,
        None,
        title="X",
        team=world.payments,
        severity=1,
        responders=[(world.alice, ResponseRole.ON_CALL)],
    )
    start = utc(2026, 1, 1)
    for days in (2, 4, 6, 8, 30):  # lead times in days; practice on those days
        action = add_action(
            incident, None, title=f"A{days}", kind=ActionKind.PROCESS, idea_at=start
        )
        transition(
            action,
            ActionStatus.IN_PRACTICE,
            None,
            evidence="works",
            at=start + timedelta(days=days),
        )
    dropped = add_action(incident, None, title="Dropped", kind=ActionKind.PROCESS)
    transition(dropped, ActionStatus.WONT_DO, None, reason="superseded")
    add_action(
        incident,
        None,
        title="Open",
        kind=ActionKind.PROCESS,
        cost_of_delay_per_week=Decimal("700"),
        idea_at=utc(2026, 3, 1),
    )
    for day in (date(2026, 1, 1), date(2026, 1, 15), date(2026, 2, 14)):
        ChaosDay.objects.create(team=world.payments, held_on=day)
    work = incident.assignments.get()
    TimeEntry.objects.create(assignment=work, hours=Decimal("8"), spent_on=date(2026, 1, 2))

    found = measure(world.org, now=utc(2026, 3, 15))
    assert (found.lead_time_days.count, found.lead_time_days.median, found.lead_time_days.p85) == (
        5,
        Decimal("6.00"),
        Decimal("16.80"),  # 8 + 22 x 0.4
    )
    assert found.days_between_practice.median == Decimal("2.00")  # gaps 2, 2, 2, 22
    assert found.days_between_chaos_days.median == Decimal("22.00")  # gaps 14, 30
    assert (found.actions_decided, found.actions_total, found.decided_share) == (
        6,
        7,
        Decimal("85.7"),
    )
    assert found.open_cost_of_delay.total == Decimal("1400.00")
    assert (found.hours_used, found.hours_allocated) == (Decimal("8"), Decimal("16"))
    assert found.use_of_allocation.median == Decimal("50.00")
    page = world.client_for(world.member).get("/measures/").content.decode()
    assert "16.80" in page and "85.7 %" in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_manager_walks_the_team_cost_page_and_a_themes_page(page: Any, world: World):
    from tests.test_costs import worked_example

    worked_example(world)
    theme = LearningTheme.objects.create(
        organisation=world.org, name="Gateway failover", slug="gateway-failover"
    )
    for month in (1, 2, 2):
        record_incident(
            world.org,
            None,
            title=f"Gateway {month}",
            team=world.payments,
            started_at=utc(2026, month, 3),
        ).themes.add(theme)
    log_in(page, world.payments_pm.email)
    page.click("nav >> text=Costs")
    page.fill("input[name=from]", "2026-01-01")
    page.fill("input[name=to]", "2026-03-31")
    page.click(".filters button")
    # Posted today, the open action's whole March counts: 16,720.63 + 17.71 (docs/costs.md).
    expect(page.locator("#summary h2")).to_contain_text("16738.34")
    assert page.locator("#cost-chart svg rect").count() > 4
    expect(page.locator("#tco-chart svg")).to_be_visible()
    assert "Medium" in page.inner_text("#tco-chart table")

    page.click("nav >> text=Themes")
    page.click("text=Gateway failover")
    # The click starts a navigation; wait for the theme's page before reading it.
    expect(page.locator("#theme-chart svg")).to_be_visible()
    rows = page.locator("#theme-chart table tr")
    assert [rows.nth(i).inner_text().split("\t") for i in (1, 2)] == [
        ["2026-01", "1"],
        ["2026-02", "2"],
    ]


def test_unique_readers_per_published_narrative_is_a_distribution(world: World):
    from learnloop.narratives import services
    from learnloop.narratives.models import NarrativeRead

    readers = (world.alice, world.bob, world.carol, world.member)
    for n, title in enumerate(("Read by one", "Read by four", "Not published")):
        incident = record_incident(world.org, None, title=title, team=world.payments)
        narrative = services.narrative_for(incident)
        services.save_version(narrative, title, None, 0)
        if title != "Not published":
            services.publish(services.change_status(narrative, "in_review"), None)
        for reader in readers[: 1 + 3 * n]:
            NarrativeRead.objects.create(narrative=narrative, reader=reader)
    found = measure(world.org).readers_per_narrative
    assert (found.count, found.median) == (2, Decimal("2.50"))  # drafts are not counted
    assert measure(world.org, team_id=world.search.pk).readers_per_narrative.count == 0
    page = world.client_for(world.payments_pm).get("/measures/").content.decode()
    assert "Unique readers per published narrative" in page


def test_a_median_of_zero_reads_the_same_on_the_page_and_in_the_api(world: World):
    from learnloop.narratives import services

    incident = record_incident(world.org, None, title="Read by nobody", team=world.payments)
    narrative = services.narrative_for(incident)
    services.save_version(narrative, "Read by nobody", None, 0)
    services.publish(services.change_status(narrative, "in_review"), None)
    client = world.client_for(world.payments_pm)
    api = client.get("/api/v1/measures").json()
    assert api["readers_per_narrative"]["median"] == "0.00"
    page = client.get("/measures/").content.decode()
    row = page[page.index('<tr id="readers">') :].split("</tr>")[0]
    assert "<td>1</td><td>0.00</td><td>0.00</td>" in row
