"""End to end against a local tracker server over real sockets, with faults injected:
every action ends with exactly one ticket, and nothing is lost."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from learnloop.actions.models import ActionKind, ImprovementAction
from learnloop.actions.services import add_action
from learnloop.incidents.services import record_incident
from learnloop.lib import http
from learnloop.trackers import services
from learnloop.trackers.models import PushState, TrackerConnection, TrackerPush
from tests.conftest import World
from tests.fake_trackers import FakeTrackers
from tests.queue import run_tracker_pushes

KINDS = {
    "jira_cloud": ("", "PAY"),
    "jira_dc": ("/rest", "PAY"),
    "trello": ("/1", "list-1"),
    "github": ("/gh", "acme/payments"),
    "linear": ("/graphql", "team-1"),
}


@pytest.fixture
def fake(settings) -> Iterator[FakeTrackers]:
    settings.ALLOW_PRIVATE_DESTINATIONS = True
    settings.HTTP_TIMEOUT = 1.0
    server = FakeTrackers()
    yield server
    server.close()


def connect(world: World, fake: FakeTrackers, kind: str) -> TrackerConnection:
    suffix, project = KINDS[kind]
    connection = TrackerConnection(
        team=world.payments,
        kind=kind,
        base_url=fake.base + suffix,
        account="bot@acme.test",
        project=project,
    )
    connection.token = "s3cret-token"
    connection.save()
    return connection


def an_action(world: World, title: str = "Add a circuit breaker") -> ImprovementAction:
    incident = record_incident(
        world.org, None, title="Card declines", team=world.payments, severity=2
    )
    return add_action(incident, None, title=title, kind=ActionKind.CODE_FIX)


def due_now() -> None:
    """The waiting retries are due (no test waits for real): the pushes and their tasks."""
    from django_tasks_db.models import DBTaskResult

    TrackerPush.objects.update(next_attempt_at=timezone.now())
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())


@pytest.mark.parametrize("kind", KINDS)
def test_an_action_is_filed_once_and_linked(world: World, fake: FakeTrackers, kind: str):
    connection = connect(world, fake, kind)
    assert services.check(connection), connection.last_check
    action = an_action(world)
    services.enqueue(action)
    assert run_tracker_pushes() == 1
    action.refresh_from_db()
    assert action.tracker_url.startswith(fake.base) and action.tracker_url.endswith("LL-1")
    assert action.tracker_key in ("LL-1", "1")
    assert len(fake.state.tickets) == 1
    ticket = next(iter(fake.state.tickets.values()))
    assert ticket["title"] == "Add a circuit breaker" and f"learnloop-{action.uid}" in (
        ticket["text"] + " ".join(ticket["labels"])
    )
    assert run_tracker_pushes() == 0  # nothing left to do


@pytest.mark.parametrize("kind", KINDS)
def test_a_connection_dropped_after_the_ticket_was_stored_does_not_duplicate_it(
    world: World, fake: FakeTrackers, kind: str
):
    connect(world, fake, kind)
    action = an_action(world)
    fake.state.faults = ["drop"]
    services.enqueue(action)
    run_tracker_pushes()
    push = TrackerPush.objects.get()
    assert push.state == PushState.PENDING and push.attempt_log.get().outcome == "retry"
    due_now()
    run_tracker_pushes()
    push.refresh_from_db()
    assert push.state == PushState.DONE
    assert [a.outcome for a in push.attempt_log.all()] == ["retry", "found"]
    assert len(fake.state.tickets) == 1


def test_server_errors_are_retried_with_backoff_and_nothing_is_lost(world: World, fake):
    connect(world, fake, "jira_cloud")
    action = an_action(world)
    fake.state.faults = ["500", "500"]
    services.enqueue(action)
    before = timezone.now()
    run_tracker_pushes()
    push = TrackerPush.objects.get()
    assert push.next_attempt_at >= before + timedelta(seconds=30)
    due_now()
    run_tracker_pushes()
    push.refresh_from_db()
    assert push.next_attempt_at >= timezone.now() + timedelta(seconds=59)  # doubled
    due_now()
    run_tracker_pushes()
    push.refresh_from_db()
    assert push.state == PushState.DONE and len(fake.state.tickets) == 1
    assert [a.outcome for a in push.attempt_log.all()] == ["retry", "retry", "created"]


def test_a_429_waits_at_least_as_long_as_retry_after_says(world: World, fake, settings):
    connect(world, fake, "github")
    fake.state.faults = ["429"]
    services.enqueue(an_action(world))
    from learnloop.trackers import services as module

    original = module.backoff
    module.backoff = lambda attempts: 0.0  # only Retry-After counts here
    try:
        before = timezone.now()
        run_tracker_pushes()
    finally:
        module.backoff = original
    push = TrackerPush.objects.get()
    assert push.next_attempt_at >= before + timedelta(seconds=7)
    assert "429" in push.last_error


def test_a_timeout_is_retried_and_finds_the_ticket_the_slow_server_stored(world, fake):
    connect(world, fake, "trello")
    fake.state.faults = ["slow"]  # answers after 2 s; learnloop gives up after 1 s
    services.enqueue(an_action(world))
    run_tracker_pushes()
    assert TrackerPush.objects.get().last_error.startswith("POST")
    due_now()
    run_tracker_pushes()
    assert TrackerPush.objects.get().state == PushState.DONE
    assert len(fake.state.tickets) == 1


def test_a_worker_killed_mid_delivery_leaves_its_lease_to_expire_and_no_duplicate(world, fake):
    connection = connect(world, fake, "jira_dc")
    action = an_action(world)
    push = services.enqueue(action)
    assert services.claim(push.pk) is not None
    # The worker files the ticket, then dies before recording it.
    from learnloop.integrations.registry import tracker

    tracker(connection.kind, connection.settings()).create(services.ticket_for(action))
    assert services.claim(push.pk) is None  # leased: no other worker takes it meanwhile
    assert services.sweep() == 0  # the lease holds
    TrackerPush.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    assert services.sweep() == 1  # taken up, queued again
    run_tracker_pushes()
    push.refresh_from_db()
    assert push.state == PushState.DONE
    assert [a.outcome for a in push.attempt_log.all()] == ["interrupted", "found"]
    assert len(fake.state.tickets) == 1
    action.refresh_from_db()
    assert action.tracker_key == "LL-1"  # the ticket the dead worker filed


def test_bad_credentials_fail_at_once_and_are_shown(world: World, fake):
    connect(world, fake, "jira_cloud")
    fake.state.faults = ["401"]
    action = an_action(world)
    services.enqueue(action)
    run_tracker_pushes()
    push = TrackerPush.objects.get()
    assert push.state == PushState.FAILED and "401" in push.last_error
    page = world.client_for(world.payments_pm).get("/teams/payments/tracker/").content.decode()
    assert "bad credentials" in page
    services.enqueue(action)  # pushing again after fixing the credentials retries
    run_tracker_pushes()
    assert TrackerPush.objects.get().state == PushState.DONE


def test_private_addresses_are_refused_unless_allowed(world: World, fake, settings):
    settings.ALLOW_PRIVATE_DESTINATIONS = False
    connection = connect(world, fake, "github")
    assert not services.check(connection)
    assert "private address" in connection.last_check
    with pytest.raises(http.DestinationRefused):
        http.check_destination("file:///etc/passwd")


def test_without_a_tracker_pushing_says_so(world: World):
    action = an_action(world)
    response = world.client_for(world.payments_pm).post(f"/actions/{action.uid}/push/", follow=True)
    assert "no tracker connected" in response.content.decode()
    assert not TrackerPush.objects.exists()


def test_the_token_is_stored_encrypted(world: World, fake):
    connection = connect(world, fake, "linear")
    stored = TrackerConnection.objects.values_list("token_sealed", flat=True).get()
    assert "s3cret-token" not in stored
    assert TrackerConnection.objects.get(pk=connection.pk).token == "s3cret-token"


@pytest.mark.parametrize("kind", KINDS)
def test_reconciliation_reads_statuses_missed_by_webhooks(world: World, fake, kind: str):
    connection = connect(world, fake, kind)
    action = an_action(world)
    services.enqueue(action)
    run_tracker_pushes()
    fake.state.tickets["LL-1"]["status"] = "Done"
    services.reconcile(connection)
    action.refresh_from_db()
    assert action.status == "implemented"  # "Done" (or closed) in the tracker
    assert action.changes.get(source=kind).to_status == "implemented"
    assert services.reconcile(connection) == 0  # nothing new: nothing recorded twice


def test_the_api_pushes_and_reports_deliveries(world: World, fake):
    from django.test import Client

    from learnloop.accounts.models import ApiToken

    connect(world, fake, "github")
    action = an_action(world)
    _, raw = ApiToken.issue(world.payments_pm, "t")
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    queued = api.post(f"/api/v1/actions/{action.uid}/push")
    assert queued.status_code == 202 and queued.json()["state"] == "pending"
    run_tracker_pushes()
    report = api.get("/api/v1/teams/payments/tracker").json()
    assert report["pushes"][0]["state"] == "done"
    assert report["pushes"][0]["log"][0]["outcome"] == "created"
    assert "token" not in json.dumps(report)
    _, member = ApiToken.issue(world.member, "m")
    reader = Client(headers={"Authorization": f"Bearer {member}"})
    assert reader.get("/api/v1/teams/payments/tracker").status_code == 403
    assert reader.post(f"/api/v1/actions/{action.uid}/push").status_code == 403


def test_a_push_whose_task_is_gone_is_queued_again_by_the_sweep(world: World, fake: FakeTrackers):
    """An upgrade from the outbox loop leaves pending pushes without a task; a queue can lose
    one. The worker's sweep queues such a push again once it is overdue."""
    from django_tasks_db.models import DBTaskResult

    connect(world, fake, "github")
    push = services.enqueue(an_action(world))
    DBTaskResult.objects.all().delete()
    assert services.sweep() == 0  # not overdue yet: its task may simply be waiting
    TrackerPush.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    assert services.sweep() == 1
    assert run_tracker_pushes() == 1
    push.refresh_from_db()
    assert push.state == PushState.DONE and len(fake.state.tickets) == 1
