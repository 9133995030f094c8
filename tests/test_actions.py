from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from learnloop.actions import backlog
from learnloop.actions.models import ActionKind, ActionStatus, ImprovementAction, PlannedFeature
from learnloop.actions.services import accrued_cost_of_delay, add_action, transition
from learnloop.actions.similarity import similar_actions
from learnloop.incidents.models import Incident
from learnloop.incidents.services import record_incident
from learnloop.lib.cost_of_delay import cd3, estimate_per_week
from learnloop.lib.text import overlap, stems
from tests.conftest import World, utc


def incident(world: World, title: str = "Checkout down") -> Incident:
    return record_incident(world.org, None, title=title, team=world.payments, severity=1)


def action(world: World, title: str = "Alert on card declines", **fields) -> ImprovementAction:
    fields.setdefault("kind", ActionKind.MONITORING)
    return add_action(
        fields.pop("on", None) or incident(world), world.payments_pm, title=title, **fields
    )


def test_the_cost_of_delay_estimate_follows_the_cost_model():
    # 10% a week x (2,000 an hour x 3 hours) + 4 toil hours at 75 = 600 + 300
    assert estimate_per_week(
        Decimal("0.1"), Decimal("2000"), Decimal("3"), Decimal("4"), Decimal("75")
    ) == Decimal("900.00")
    with pytest.raises(ValueError):
        estimate_per_week(Decimal("1.5"), Decimal(1), Decimal(1), Decimal(0), Decimal(0))


def test_cd3_is_cost_of_delay_per_week_over_estimated_weeks():
    assert cd3(Decimal("900"), Decimal("2")) == Decimal("450.00")
    assert cd3(Decimal("900"), None) is None and cd3(None, Decimal(1)) is None


def test_in_practice_needs_evidence_and_is_recorded_with_who_and_when(world: World):
    item = action(world)
    with pytest.raises(ValidationError) as error:
        transition(item, ActionStatus.IN_PRACTICE, world.payments_pm)
    assert "evidence" in error.value.message_dict
    transition(
        item,
        ActionStatus.IN_PRACTICE,
        world.payments_pm,
        evidence="Alert fired in the game day on 3 Nov and paged within 2 minutes",
    )
    change = item.changes.last()
    assert (change.from_status, change.to_status, change.by) == (
        "idea",
        "in_practice",
        world.payments_pm,
    )
    assert item.in_practice_at is not None


def test_wont_do_needs_a_reason(world: World):
    item = action(world)
    with pytest.raises(ValidationError):
        transition(item, ActionStatus.WONT_DO, world.payments_pm, reason="  ")
    item.refresh_from_db()
    assert item.status == ActionStatus.IDEA and item.changes.count() == 1


def test_accrued_cost_of_delay_runs_from_idea_to_practice_or_to_now(world: World):
    item = action(world, cost_of_delay_per_week=Decimal("700"))
    item.idea_at = utc(2026, 1, 1)
    assert accrued_cost_of_delay(item, now=utc(2026, 1, 15)) == Decimal("1400.00")
    item.in_practice_at = utc(2026, 1, 4, 12)
    assert accrued_cost_of_delay(item, now=utc(2026, 6, 1)) == Decimal("350.00")


def test_the_backlog_ranks_actions_and_features_by_cd3_and_a_placement_overrides(world: World):
    low = action(
        world, "Write a runbook", cost_of_delay_per_week=Decimal("100"), estimate_weeks=Decimal("1")
    )
    high = action(
        world,
        "Add a circuit breaker",
        cost_of_delay_per_week=Decimal("3000"),
        estimate_weeks=Decimal("2"),
    )
    feature = PlannedFeature.objects.create(
        team=world.payments,
        title="Apple Pay",
        cost_of_delay_per_week=Decimal("1000"),
        estimate_weeks=Decimal("4"),
    )
    unknown = action(world, "Investigate caching")
    titles = [entry.title for entry in backlog.ranked(world.payments)]
    assert titles == [high.title, feature.title, low.title, unknown.title]

    backlog.place(world.payments, low, 1, world.payments_pm, reason="Regulator asked")
    assert backlog.ranked(world.payments)[0].title == low.title


def test_closed_actions_leave_the_backlog(world: World):
    item = action(world, cost_of_delay_per_week=Decimal("1"), estimate_weeks=Decimal("1"))
    transition(item, ActionStatus.WONT_DO, world.payments_pm, reason="Service retired")
    assert backlog.ranked(world.payments) == []


def test_overdue_actions_are_flagged_by_the_severity_target(world: World):
    item = action(world)
    item.idea_at = timezone.now() - timedelta(days=16)  # SEV1 target: 15 days
    item.save()
    assert backlog.ranked(world.payments)[0].overdue


def test_a_similar_action_from_another_incident_is_suggested(world: World):
    first = action(world, "Alert when card declines spike")
    action(world, "Rotate the on-call rota")
    found = similar_actions(
        "Add an alert for spikes in card declines",
        ImprovementAction.objects.all(),
        exclude_incident_id=incident(world, "Another").pk,
    )
    assert [s.action for s in found] == [first]


def test_similar_actions_are_scored_from_their_words_and_only_those_shown_read_whole(
    world: World,
):
    """However many actions the organisation holds, two queries: every action's words, then the
    few shown with their incidents; best first, ties in the pool's order."""
    titles = [
        "Alert when card declines spike",
        "Alert on card declines",
        "Rotate the on-call rota",
        "Alert when card declines spike at night",
        "Page on card declines",
    ] * 3
    made = [action(world, title) for title in titles]
    pool = ImprovementAction.objects.order_by("pk")
    with CaptureQueriesContext(connection) as captured:
        found = similar_actions("Alert on card decline spikes", pool, limit=4)
        incidents = [s.action.incident.key for s in found]  # read with the action
    assert len(captured.captured_queries) == 2 and len(incidents) == 4
    wanted = stems("Alert on card decline spikes")
    expected = sorted(
        ((overlap(wanted, stems(a.title)), n) for n, a in enumerate(made)),
        key=lambda pair: -pair[0],
    )[:4]
    assert [(s.action, s.score) for s in found] == [(made[n], score) for score, n in expected]


def test_drafting_a_duplicate_offers_to_link_the_existing_action(world: World):
    first = action(world, "Alert when card declines spike")
    second = incident(world, "Card declines again")
    client = world.client_for(world.payments_pm)
    form = {"title": "Alert on card decline spikes", "kind": "monitoring"}
    page = client.post(f"/incidents/{second.key}/actions/new/", form).content.decode()
    assert "Already filed?" in page and first.title in page
    response = client.post(
        f"/incidents/{second.key}/actions/new/", {**form, "duplicate_of": str(first.uid)}
    )
    assert response["Location"] == f"/actions/{first.uid}/"
    assert not second.improvement_actions.exists()
    client.post(f"/incidents/{second.key}/actions/new/", {**form, "confirm": "yes"})
    assert second.improvement_actions.count() == 1


def test_the_calculator_fills_in_the_cost_of_delay(world: World):
    target = incident(world)
    world.client_for(world.payments_pm).post(
        f"/incidents/{target.key}/actions/new/",
        {
            "title": "Unique words here",
            "kind": "code_fix",
            "estimate_weeks": "2",
            "recurrence_chance_per_week": "0.05",
            "exposure_per_hour": "10000",
            "typical_duration_hours": "1.5",
            "toil_hours_per_week": "2",
            "toil_hourly_rate": "80",
        },
    )
    created = target.improvement_actions.get()
    assert created.cost_of_delay_per_week == Decimal("910.00")


def test_only_the_owner_team_and_managers_change_an_action(world: World):
    item = action(world)
    url = f"/actions/{item.uid}/status/"
    for outsider in (world.carol, world.search_pm, world.member):
        assert world.client_for(outsider).post(url, {"status": "planned"}).status_code == 403
    assert world.client_for(world.alice).post(url, {"status": "planned"}).status_code == 302
    item.refresh_from_db()
    assert item.status == ActionStatus.PLANNED


def test_another_organisation_cannot_see_an_action(world: World):
    item = action(world)
    assert world.client_for(world.outsider).get(f"/actions/{item.uid}/").status_code == 404


def test_only_managers_rank_the_backlog(world: World):
    item = action(world)
    data = {"kind": "action", "item": item.pk, "rank": 1}
    assert (
        world.client_for(world.alice).post("/teams/payments/backlog/place/", data).status_code
        == 403
    )
    assert (
        world.client_for(world.payments_pm).post("/teams/payments/backlog/place/", data).status_code
        == 302
    )


def test_an_action_is_flagged_when_its_theme_recurs_in_a_later_incident(world: World):
    from learnloop.actions.recurrence import recurrences
    from learnloop.analysis.models import LearningTheme

    theme = LearningTheme.objects.create(
        organisation=world.org, name="Alert fatigue", slug="alert-fatigue"
    )
    first = record_incident(
        world.org, None, title="First", team=world.payments, severity=2, started_at=utc(2026, 1, 1)
    )
    item = add_action(first, None, title="Tune alerts", kind=ActionKind.MONITORING, themes=[theme])
    transition(item, ActionStatus.IN_PRACTICE, None, evidence="Pages halved", at=utc(2026, 2, 1))
    before = record_incident(world.org, None, title="Before", started_at=utc(2026, 1, 20))
    before.themes.add(theme)
    assert recurrences(item) == []
    later = record_incident(world.org, None, title="Later", started_at=utc(2026, 3, 1))
    later.themes.add(theme)
    found = recurrences(item)
    assert [r.incident for r in found] == [later] and found[0].themes == [theme]
    page = world.client_for(world.member).get(f"/actions/{item.uid}/").content.decode()
    assert "Theme recurred" in page and later.key in page


def test_an_item_placed_at_rank_n_is_shown_at_rank_n(world: World):
    items = [
        action(
            world,
            f"Action worth {cost}",
            cost_of_delay_per_week=Decimal(cost),
            estimate_weeks=Decimal("1"),
        )
        for cost in (500, 400, 300, 200, 100)
    ]
    titles = [entry.title for entry in backlog.ranked(world.payments)]
    assert titles == [item.title for item in items]
    backlog.place(world.payments, items[4], 3, world.payments_pm)  # the cheapest, third
    backlog.place(world.payments, items[0], 5, world.payments_pm)  # the dearest, last
    titles = [entry.title for entry in backlog.ranked(world.payments)]
    assert titles.index(items[4].title) == 2 and titles.index(items[0].title) == 4
    assert titles == [items[i].title for i in (1, 2, 4, 3, 0)]
    backlog.place(world.payments, items[3], 3, world.payments_pm)  # a later decision takes 3
    titles = [entry.title for entry in backlog.ranked(world.payments)]
    assert titles == [items[i].title for i in (1, 2, 3, 4, 0)]
    backlog.place(world.payments, items[2], 40, world.payments_pm)  # past the end: last
    assert backlog.ranked(world.payments)[-1].title == items[2].title
    backlog.place(world.payments, items[4], 1, world.payments_pm)  # moved again: the latest counts
    assert backlog.ranked(world.payments)[0].title == items[4].title


def test_the_action_page_estimates_a_drafted_action_from_the_cost_model(world: World):
    drafted = action(world, "Runbook for failover", kind=ActionKind.PROCESS)
    client = world.client_for(world.payments_pm)
    page = client.get(f"/actions/{drafted.uid}/").content.decode()
    assert f"/actions/{drafted.uid}/edit/" in page and "Estimate it" in page
    form = client.get(f"/actions/{drafted.uid}/edit/")
    assert form.status_code == 200
    answer = client.post(
        f"/actions/{drafted.uid}/edit/",
        {
            "title": drafted.title,
            "kind": "process",
            "owner_team": world.payments.pk,
            "estimate_weeks": "2",
            "recurrence_chance_per_week": "0.1",
            "exposure_per_hour": "2000",
            "typical_duration_hours": "3",
            "toil_hours_per_week": "4",
            "toil_hourly_rate": "75",
        },
    )
    assert answer.status_code == 302
    drafted.refresh_from_db()
    assert (drafted.cost_of_delay_per_week, drafted.estimate_weeks) == (
        Decimal("900.00"),
        Decimal("2"),
    )
    assert "450.00" in client.get(f"/actions/{drafted.uid}/").content.decode()  # its CD3
    refused = client.post(
        f"/actions/{drafted.uid}/edit/",
        {"title": "", "kind": "process", "estimate_weeks": "0"},
    )
    assert refused.status_code == 200
    assert "An estimate is more than zero weeks." in refused.content.decode()
    drafted.refresh_from_db()
    assert drafted.title == "Runbook for failover"
    assert world.client_for(world.carol).get(f"/actions/{drafted.uid}/edit/").status_code == 403
