"""Each role's home: what needs them now, with counts that link to the lists; the same at
GET /api/v1/me/home; and the organisation's learning-culture cost by team and quarter."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from learnloop.accounts.models import Team
from learnloop.actions.services import add_action
from learnloop.analysis.models import AnalysisAssignment
from learnloop.analysis.services import save_report
from learnloop.costs.models import LedgerEntry, TeamCostProfile
from learnloop.incidents.models import ResponseRole
from learnloop.incidents.services import record_incident, update_incident
from learnloop.narratives import services as narratives
from learnloop.narratives.models import Walkthrough, WalkthroughAttendee
from tests.conftest import World


def sections(client: Any) -> dict[str, dict[str, Any]]:
    home = client.get("/api/v1/me/home").json()
    return {s["key"]: s for s in home["sections"]}


@pytest.fixture
def busy(world: World) -> dict[str, Any]:
    """Something waiting in every section, in the payments team."""
    now = timezone.now()
    undecided = record_incident(
        world.org, None, title="Latency blip", team=world.payments, severity=4, started_at=now
    )
    type(undecided).objects.filter(pk=undecided.pk).update(of_consequence=None)
    big = record_incident(
        world.org,
        world.payments_pm,
        title="Checkout down",
        team=world.payments,
        severity=1,
        started_at=now - timedelta(days=20),
        responders=[(world.alice, ResponseRole.ON_CALL), (world.bob, ResponseRole.ON_CALL)],
    )
    bob_work = AnalysisAssignment.objects.get(incident=big, analyst=world.bob)
    save_report(bob_work, "What Bob saw", submit=True)
    alice_work = AnalysisAssignment.objects.get(incident=big, analyst=world.alice)
    AnalysisAssignment.objects.filter(pk=alice_work.pk).update(due_at=now - timedelta(days=1))
    story = narratives.narrative_for(big)
    narratives.save_version(story, "## Summary\n\nIt broke.", world.payments_pm, 0)
    narratives.change_status(story, "in_review")
    ninety_days_ago = now - timedelta(days=90)
    add_action(
        big, world.payments_pm, title="Add a breaker", kind="code_fix", idea_at=ninety_days_ago
    )
    published = record_incident(world.org, None, title="Search slow", team=world.search, severity=3)
    told = narratives.narrative_for(published)
    narratives.save_version(told, "The story.", world.search_pm, 0)
    narratives.publish(narratives.change_status(told, "in_review"), world.search_pm)
    walk = Walkthrough.objects.create(
        narrative=told,
        starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=2, hours=1),
        organiser=world.search_pm,
    )
    WalkthroughAttendee.objects.create(walkthrough=walk, user=world.member)
    TeamCostProfile.objects.create(
        team=world.payments,
        headcount=8,
        loaded_annual_people_cost=Decimal("730000.00"),
        annual_run_cost=Decimal("0"),
    )
    LedgerEntry.objects.create(
        organisation=world.org,
        team=world.payments,
        cost_type="insight",
        occurred_on=timezone.localdate(),
        amount=Decimal("1000.00"),
        description="Analysis of the test",
        source="test",
    )
    return {"undecided": undecided, "big": big, "alice_work": alice_work, "told": told}


def test_a_responder_sees_their_open_periods_and_what_is_left(world: World, busy: dict[str, Any]):
    mine = sections(world.client_for(world.alice))["analysis"]
    assert mine["count"] == 1
    item = mine["items"][0]
    assert item["title"].endswith("Checkout down") and item["late"] is True
    assert item["note"] == "0 interviews, 0 key events, report not started"
    assert "decide" not in sections(world.client_for(world.alice))
    page = world.client_for(world.alice).get("/").content.decode()
    assert "Your open analysis periods" in page and "overdue" in page


def test_a_product_manager_sees_what_waits_on_them_in_their_team(
    world: World, busy: dict[str, Any]
):
    found = sections(world.client_for(world.payments_pm))
    counts = {key: s["count"] for key, s in found.items()}
    assert counts["decide"] == 1 and found["decide"]["url"].endswith(
        "of_consequence=undecided&team=payments"
    )
    assert counts["overdue_analysis"] == 1
    assert counts["reviews_to_schedule"] == 1
    assert found["reviews_to_schedule"]["items"][0]["url"].endswith(
        f"/incidents/{busy['big'].key}/review/schedule/"
    )
    assert counts["narratives_in_review"] == 1
    assert counts["actions_overdue"] == 1 and counts["actions_unestimated"] == 1
    home = world.client_for(world.payments_pm).get("/api/v1/me/home").json()
    cost = home["team_cost"]
    assert Decimal(cost["amount"]) == Decimal("1000.00") and cost["band"] in (
        "Low",
        "Medium",
        "High",
    )
    assert Decimal(cost["percent"]) > 0
    other = sections(world.client_for(world.search_pm))
    assert other["decide"]["count"] == 0 and other["actions_overdue"]["count"] == 0
    assert other["overdue_analysis"]["count"] == 0  # the payments team's period is not theirs
    page = world.client_for(world.payments_pm).get("/").content.decode()
    assert (
        "Incidents awaiting a consequence decision" in page
        and "learning-culture cost this quarter" in page
    )


def test_a_member_sees_what_was_published_since_their_last_visit_and_their_walkthroughs(
    world: World, busy: dict[str, Any]
):
    client = world.client_for(world.member)
    found = sections(client)  # the API does not count as a visit
    assert "analysis" not in found
    assert found["walkthroughs"]["count"] == 1 and found["published"]["count"] == 1
    page = client.get("/").content.decode()
    assert "Search slow" in page and "Walkthroughs you are invited to" in page
    again = world.client_for(world.member)  # a new session: the last visit was the one above
    assert "Narratives published since your last visit" in again.get("/").content.decode()
    assert sections(again)["published"]["count"] == 0


def test_a_new_member_s_published_narratives_are_counted_past_the_eight_shown(world: World):
    """The section's rows come first and the count only when they fill it: at 8 the count
    asks the database, at 7 and 10 it is right either way."""
    client = world.client_for(world.member)
    for n in range(1, 11):
        incident = record_incident(world.org, None, title=f"Told {n}", team=world.search)
        told = narratives.narrative_for(incident)
        narratives.save_version(told, f"Story {n}.", world.search_pm, 0)
        narratives.publish(narratives.change_status(told, "in_review"), world.search_pm)
        if n in (7, 8, 10):
            published = sections(client)["published"]
            assert published["count"] == n
            assert len(published["items"]) == min(n, 8)
    assert published["items"][0]["title"] == "Told 10"  # the newest first


def test_admins_see_the_organisation_s_cost_by_team_and_quarter(world: World, busy: dict[str, Any]):
    client = world.client_for(world.admin)
    home = client.get("/api/v1/me/home").json()
    rows = {row["team"]: row["quarters"] for row in home["organisation_costs"]}
    assert set(rows) == {"Payments", "Search", "Whole organisation"}
    quarter = (timezone.localdate().month - 1) // 3
    assert Decimal(rows["Payments"][quarter]["amount"]) == Decimal("1000.00")
    assert rows["Search"][quarter]["percent"] is None  # no cost profile
    assert rows["Whole organisation"][quarter]["percent"] == rows["Payments"][quarter]["percent"]
    page = client.get("/costs/").content.decode()
    assert "Whole organisation" in page and "Download as CSV" in page
    assert "The ledger has not been posted yet" in page  # its entries written here directly
    exported = client.get("/costs/", {"format": "csv"})
    assert exported["Content-Disposition"].startswith("attachment")
    lines = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert len(lines) == 12 and lines[0]["team"] == "payments"
    assert world.client_for(world.payments_pm).get("/costs/").status_code == 403


def test_the_admin_home_shows_the_whole_organisation_then_the_costliest_teams(
    world: World, busy: dict[str, Any]
):
    for n in range(7):  # more teams than the home shows; none has a cost profile
        Team.objects.create(organisation=world.org, name=f"Quiet {n}", slug=f"quiet-{n}")
    page = world.client_for(world.admin).get("/").content.decode()
    costs = page[page.index('id="organisation-costs"') :]
    assert costs.index("Whole organisation") < costs.index("Payments") < costs.index("Quiet")
    assert costs.count("Quiet ") == 4  # five teams beside the organisation: Payments first
    assert "Every team (9)" in costs


def test_reviews_to_schedule_follow_the_reviews_as_they_are_scheduled_cancelled_or_deleted(
    world: World, busy: dict[str, Any]
):
    """The section reads the incident's review_scheduled, which every review's save and delete
    keeps; a cancelled review puts the incident back on the list."""
    from learnloop.reviews.models import ReviewStatus
    from learnloop.reviews.services import schedule

    def waiting() -> int:
        return int(sections(world.client_for(world.payments_pm))["reviews_to_schedule"]["count"])

    big = busy["big"]
    assert waiting() == 1
    starts = timezone.now() + timedelta(days=3)
    review = schedule(
        big,
        world.payments_pm,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        missing_reports_reason="Alice is away",
    )
    assert waiting() == 0
    review.status = ReviewStatus.CANCELLED
    review.save(update_fields=["status"])
    assert waiting() == 1
    review.status = ReviewStatus.SCHEDULED
    review.save()
    assert waiting() == 0
    review.delete()
    assert waiting() == 1
    big.refresh_from_db()
    assert big.review_scheduled is False


def test_an_action_is_overdue_by_its_incident_s_severity(world: World):
    """The policy's targets: 15 days for severity 1, 30 for 2, 60 for 3 and for no severity,
    90 for 4; another team's incident is not the product manager's."""
    now = timezone.now()
    for severity, days, team in [
        (1, 20, world.payments),
        (2, 20, world.payments),
        (2, 31, world.payments),
        (None, 50, world.payments),
        (None, 70, world.payments),
        (4, 70, world.payments),
        (1, 20, world.search),
    ]:
        incident = record_incident(world.org, None, title="X", team=team, severity=severity)
        title = f"{severity}-{days}-{team.slug}"
        idea_at = now - timedelta(days=days)
        add_action(incident, world.payments_pm, title=title, kind="code_fix", idea_at=idea_at)
    late = sections(world.client_for(world.payments_pm))["actions_overdue"]
    assert sorted(item["title"] for item in late["items"]) == [
        "1-20-payments",
        "2-31-payments",
        "None-70-payments",
    ]
    everyone = sections(world.client_for(world.admin))["actions_overdue"]
    assert everyone["count"] == 4


def test_a_product_manager_s_late_actions_are_their_team_s_backlog(world: World):
    """Whoever's incident it came from: an action the payments team owns is on its product
    manager's home, one it handed to the search team is on the search team's."""
    long_ago = timezone.now() - timedelta(days=400)
    in_search = record_incident(world.org, None, title="Slow", team=world.search, severity=2)
    in_payments = record_incident(world.org, None, title="Down", team=world.payments, severity=2)
    for incident, owner in ((in_search, world.payments), (in_payments, world.search)):
        add_action(
            incident, None, title=owner.slug, kind="code_fix", owner_team=owner, idea_at=long_ago
        )
    for pm, team in ((world.payments_pm, "payments"), (world.search_pm, "search")):
        late = sections(world.client_for(pm))["actions_overdue"]
        assert [item["title"] for item in late["items"]] == [team]
        assert late["url"].endswith(f"/teams/{team}/backlog/")


def test_an_incident_moved_to_another_team_takes_its_overdue_analysis_along(
    world: World, busy: dict[str, Any]
):
    def overdue(pm: Any) -> int:
        return int(sections(world.client_for(pm))["overdue_analysis"]["count"])

    assert (overdue(world.payments_pm), overdue(world.search_pm)) == (1, 0)
    update_incident(busy["big"], team=world.search)
    assert (overdue(world.payments_pm), overdue(world.search_pm)) == (0, 1)


def test_an_empty_home_says_what_to_do(world: World):
    page = world.client_for(world.alice).get("/").content.decode()
    assert "No analysis waits for you" in page


def test_the_home_page_s_queries_do_not_grow_with_the_rows(
    world: World, busy: dict[str, Any], django_assert_max_num_queries: Any
):
    client = world.client_for(world.admin)
    client.get("/")
    for n in range(15):
        record_incident(world.org, None, title=f"More {n}", team=world.payments, severity=5)
    with django_assert_max_num_queries(45):
        client.get("/")


def test_another_organisation_s_late_work_is_not_counted_on_an_admin_s_home(
    world: World, busy: dict[str, Any]
):
    """The admins' and problem managers' late actions and overdue periods are found by the
    organisation kept on each (their incident's, copied when they are recorded)."""

    def late_work(client: Any) -> tuple[int, int]:
        found = sections(client)
        return found["overdue_analysis"]["count"], found["actions_overdue"]["count"]

    ours = late_work(world.client_for(world.admin))
    assert ours == (1, 1)  # the payments team's, from busy
    now = timezone.now()
    theirs = record_incident(
        world.other_org,
        None,
        title="Elsewhere",
        severity=1,
        responders=[(world.outsider, ResponseRole.ON_CALL)],
    )
    work = AnalysisAssignment.objects.get(incident=theirs)
    AnalysisAssignment.objects.filter(pk=work.pk).update(due_at=now - timedelta(days=1))
    ninety_days_ago = now - timedelta(days=90)
    late = add_action(
        theirs, world.outsider, title="Elsewhere too", kind="code_fix", idea_at=ninety_days_ago
    )
    assert work.organisation_id == late.organisation_id == world.other_org.pk
    assert late_work(world.client_for(world.admin)) == ours
    assert late_work(world.client_for(world.outsider)) == (1, 1)
