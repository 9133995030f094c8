from __future__ import annotations

from decimal import Decimal

from django.test import Client

from learnloop.accounts.models import ApiToken
from learnloop.actions.models import ActionKind, ActionStatus
from learnloop.actions.services import add_action
from learnloop.incidents.services import record_incident
from tests.conftest import World


def bearer(world: World, user) -> Client:
    _, raw = ApiToken.issue(user, "test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def incident(world: World):
    return record_incident(world.org, None, title="Card declines", team=world.payments, severity=2)


def test_an_action_is_created_moved_to_practice_with_evidence_and_ranked(world: World):
    api = bearer(world, world.payments_pm)
    key = incident(world).key
    created = api.post(
        f"/api/v1/incidents/{key}/actions",
        {
            "title": "Circuit breaker",
            "kind": "code_fix",
            "cost_of_delay_per_week": "3000",
            "estimate_weeks": "2",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    uid = created.json()["uid"]
    assert created.json()["cd3"] == "1500.00"

    backlog = api.get("/api/v1/teams/payments/backlog").json()
    assert [entry["title"] for entry in backlog] == ["Circuit breaker"]

    refused = api.post(
        f"/api/v1/actions/{uid}/transitions",
        {"status": "in_practice"},
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "evidence"
    done = api.post(
        f"/api/v1/actions/{uid}/transitions",
        {"status": "in_practice", "evidence": "Drill passed"},
        content_type="application/json",
    )
    assert done.json()["status"] == "in_practice"


def test_invalid_kind_is_refused_with_the_field_path(world: World):
    api = bearer(world, world.payments_pm)
    response = api.post(
        f"/api/v1/incidents/{incident(world).key}/actions",
        {"title": "X", "kind": "magic"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "kind"


def test_a_member_cannot_change_an_action_and_an_outsider_cannot_see_it(world: World):
    action = add_action(incident(world), None, title="Runbook", kind=ActionKind.PROCESS)
    member = bearer(world, world.member)
    response = member.post(
        f"/api/v1/actions/{action.uid}/transitions",
        {"status": "planned"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert bearer(world, world.outsider).get(f"/api/v1/actions/{action.uid}").status_code == 404
    action.refresh_from_db()
    assert action.status == ActionStatus.IDEA


def test_placements_and_features_are_for_managers(world: World):
    action = add_action(
        incident(world),
        None,
        title="Runbook",
        kind=ActionKind.PROCESS,
        cost_of_delay_per_week=Decimal(1),
        estimate_weeks=Decimal(1),
    )
    placement = {"kind": "action", "id": action.pk, "rank": 1}
    assert (
        bearer(world, world.alice)
        .post(
            "/api/v1/teams/payments/backlog/placements", placement, content_type="application/json"
        )
        .status_code
        == 403
    )
    manager = bearer(world, world.payments_pm)
    assert (
        manager.post(
            "/api/v1/teams/payments/backlog/placements", placement, content_type="application/json"
        ).status_code
        == 201
    )
    feature = {"title": "Apple Pay", "cost_of_delay_per_week": "10", "estimate_weeks": "0"}
    assert (
        manager.post(
            "/api/v1/teams/payments/features", feature, content_type="application/json"
        ).status_code
        == 422
    )


def test_without_credentials_the_api_answers_401(db):
    assert Client().get("/api/v1/actions").status_code == 401


def test_an_action_drafted_without_an_estimate_is_estimated_later_and_climbs_the_backlog(
    world: World,
):
    api = bearer(world, world.payments_pm)
    drafted = add_action(incident(world), None, title="Runbook", kind=ActionKind.PROCESS)
    dear = add_action(
        incident(world),
        None,
        title="Cheap fix",
        kind=ActionKind.CODE_FIX,
        cost_of_delay_per_week=Decimal("100"),
        estimate_weeks=Decimal("1"),
    )
    ranked = [e["title"] for e in api.get("/api/v1/teams/payments/backlog").json()]
    assert ranked == [dear.title, drafted.title]  # no CD3: last
    patched = api.patch(
        f"/api/v1/actions/{drafted.uid}",
        {"cost_of_delay_per_week": "900", "estimate_weeks": "0.5"},
        content_type="application/json",
    )
    assert patched.status_code == 200, patched.content
    found = patched.json()
    assert (found["cd3"], found["title"], found["kind"]) == ("1800.00", "Runbook", "process")
    ranked = [e["title"] for e in api.get("/api/v1/teams/payments/backlog").json()]
    assert ranked == [drafted.title, dear.title]
    note = drafted.changes.order_by("-id").first().note
    assert "900" in note and "0.5" in note and "none" in note

    cleared = api.patch(
        f"/api/v1/actions/{drafted.uid}",
        {"estimate_weeks": None, "title": "Runbook for failover", "owner_team": "search"},
        content_type="application/json",
    ).json()
    assert (cleared["estimate_weeks"], cleared["cd3"], cleared["owner_team"]) == (
        None,
        None,
        "search",
    )
    assert cleared["cost_of_delay_per_week"] == "900.00"


def test_changing_an_action_refuses_bad_input_by_field_and_outsiders(world: World):
    api = bearer(world, world.payments_pm)
    action = add_action(incident(world), None, title="Runbook", kind=ActionKind.PROCESS)
    url = f"/api/v1/actions/{action.uid}"
    for body, field in (
        ({"estimate_weeks": "0"}, "estimate_weeks"),
        ({"cost_of_delay_per_week": "-1"}, "cost_of_delay_per_week"),
        ({"title": ""}, "title"),
        ({"title": None}, "title"),
        ({"kind": "magic"}, "kind"),
        ({"owner_team": "nope"}, "owner_team"),
    ):
        answer = api.patch(url, body, content_type="application/json")
        assert answer.status_code == 422, (body, answer.content)
        assert field in answer.json()["detail"][0]["field"], answer.json()
    action.refresh_from_db()
    assert (action.title, action.estimate_weeks, action.changes.count()) == ("Runbook", None, 1)
    outsider = bearer(world, world.carol)  # a responder of another team
    answer = outsider.patch(url, {"title": "Mine"}, content_type="application/json")
    assert answer.status_code == 403
