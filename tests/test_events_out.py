"""Signed events out: a subscriber over real sockets receives each kind of lifecycle event once,
as a CloudEvent verified with the Standard Webhooks specification's own library, including after
a receiver answers 500 then 200 and after a worker is killed mid-delivery."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from learnloop.actions.models import ActionKind, ActionStatus
from learnloop.actions.services import add_action, transition
from learnloop.analysis.models import AnalysisAssignment
from learnloop.analysis.services import save_report
from learnloop.incidents.models import ResponseRole
from learnloop.incidents.services import record_incident
from learnloop.narratives import services as narratives
from learnloop.publishing.models import DeliveryState
from learnloop.reviews import services as reviews
from learnloop.trackers import services as trackers
from learnloop.trackers.models import TrackerConnection
from learnloop.webhooks.models import EventDelivery, EventType, OutboundEvent
from learnloop.webhooks.services import subscribe
from tests.conftest import World, utc
from tests.fake_receiver import Receiver
from tests.fake_trackers import FakeTrackers
from tests.queue import run_tasks, run_tracker_pushes


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.ALLOW_PRIVATE_DESTINATIONS = True
    settings.HTTP_TIMEOUT = 2.0
    server = Receiver()
    yield server
    server.close()


def time_passes() -> None:
    """Every waiting retry is due (no test waits for real)."""
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    EventDelivery.objects.update(next_attempt_at=timezone.now())


def every_kind(world: World) -> None:
    """One of each lifecycle event, made the way people make them."""
    incident = record_incident(
        world.org,
        world.payments_pm,
        title="Checkout down",
        team=world.payments,
        severity=1,
        started_at=utc(2026, 11, 1, 9),
        responders=[(world.alice, ResponseRole.ON_CALL)],
    )  # recorded, and of consequence by the policy
    work = AnalysisAssignment.objects.get(incident=incident, analyst=world.alice)
    save_report(work, "What Alice saw", submit=True)
    review = reviews.schedule(
        incident, world.payments_pm, starts_at=utc(2026, 12, 1, 14), ends_at=utc(2026, 12, 1, 15)
    )
    reviews.hold(review)
    story = narratives.narrative_for(incident)
    narratives.save_version(story, "## Summary\n\nIt broke.", world.payments_pm, 0)
    narratives.publish(narratives.change_status(story, "in_review"), world.payments_pm)
    action = add_action(
        incident, world.payments_pm, title="Add a breaker", kind=ActionKind.CODE_FIX
    )
    transition(action, ActionStatus.PLANNED, world.payments_pm)
    fake = FakeTrackers()
    try:
        connection = TrackerConnection(
            team=world.payments, kind="github", base_url=fake.base + "/gh", project="acme/payments"
        )
        connection.token = "tracker-token"
        connection.save()
        trackers.enqueue(action)
        assert run_tracker_pushes() == 1
    finally:
        fake.close()


def test_a_subscriber_receives_each_kind_once_verified(world: World, receiver: Receiver):
    _, secret = subscribe(world.org.pk, receiver.url, [])
    receiver.inbox.secret = secret
    every_kind(world)
    receiver.inbox.faults = ["500"]  # the first request fails; its retry succeeds
    run_tasks()
    time_passes()
    run_tasks()
    inbox = receiver.inbox
    assert inbox.refused == []
    assert inbox.kinds() == sorted(f"io.learnloop.{t}" for t in EventType.values)
    assert len(inbox.deliveries) == len(EventType.values)  # each once, the failed one again
    assert EventDelivery.objects.filter(state=DeliveryState.SENT).count() == len(EventType.values)
    retried = EventDelivery.objects.get(attempts=2)
    assert [a.outcome for a in retried.log.all()] == ["retry", "sent"]
    assert "HTTP 500" in retried.log.first().detail
    for message_id, event in inbox.received.items():
        assert event["specversion"] == "1.0" and event["id"] == message_id
        assert event["source"].startswith("http") and event["datacontenttype"] == "application/json"
    by_type = {e["type"]: e for e in inbox.received.values()}
    recorded = by_type["io.learnloop.incident.recorded"]
    assert recorded["subject"] == recorded["data"]["key"] and recorded["data"]["severity"] == 1
    assert recorded["data"]["of_consequence"] is True  # the policy decides as it is recorded
    assert by_type["io.learnloop.analysis.submitted"]["data"]["analyst"] == world.alice.email
    assert by_type["io.learnloop.action.status_changed"]["data"]["to"] == "planned"
    assert by_type["io.learnloop.action.ticket_linked"]["data"]["tracker"] == "github"
    assert by_type["io.learnloop.review.held"]["data"]["status"] == "held"
    assert by_type["io.learnloop.narrative.published"]["data"]["revision"] == 1


def test_a_subscription_gets_only_the_kinds_it_asked_for(world: World, receiver: Receiver):
    _, secret = subscribe(world.org.pk, receiver.url, ["review.held"])
    receiver.inbox.secret = secret
    every_kind(world)
    run_tasks()
    assert receiver.inbox.kinds() == ["io.learnloop.review.held"]
    assert OutboundEvent.objects.count() == 1  # nothing recorded that nobody wants


def test_a_change_that_is_rolled_back_sends_nothing(world: World, receiver: Receiver):
    from django.db import transaction

    subscribe(world.org.pk, receiver.url, [])
    with pytest.raises(RuntimeError), transaction.atomic():
        record_incident(world.org, None, title="Never was", severity=4)
        raise RuntimeError("the caller's transaction fails")
    assert not OutboundEvent.objects.exists()
    run_tasks()
    assert receiver.inbox.deliveries == []


def test_a_refusal_is_not_retried_and_private_destinations_are_refused(
    world: World, receiver: Receiver, settings: Any
):
    _, secret = subscribe(world.org.pk, receiver.url, [])
    receiver.inbox.secret = "whsec_" + "A" * 44  # the receiver expects another secret: 401
    record_incident(world.org, None, title="Signed wrong", severity=4)
    run_tasks()
    delivery = EventDelivery.objects.get()
    assert delivery.state == DeliveryState.FAILED and "HTTP 401" in delivery.last_error
    settings.ALLOW_PRIVATE_DESTINATIONS = False
    record_incident(world.org, None, title="Private", severity=4)
    run_tasks()
    refused = EventDelivery.objects.order_by("-id").first()
    assert refused.state == DeliveryState.FAILED and "private address" in refused.last_error
    assert secret not in refused.last_error


def test_a_delivery_abandoned_by_a_dead_worker_is_sent_again_with_its_id(
    world: World, receiver: Receiver
):
    from learnloop.webhooks.services import claim, sweep

    _, secret = subscribe(world.org.pk, receiver.url, [])
    receiver.inbox.secret = secret
    record_incident(world.org, None, title="Card declines", severity=4)
    delivery = EventDelivery.objects.get()
    assert claim(delivery.pk) is not None  # a worker took it, and died
    EventDelivery.objects.filter(pk=delivery.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    assert sweep() == 1
    run_tasks()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT
    assert [a.outcome for a in delivery.log.all()] == ["interrupted", "sent"]
    assert receiver.inbox.deliveries == [delivery.event.uid]


def test_the_event_document_is_what_the_specifications_say(world: World, receiver: Receiver):
    from standardwebhooks.webhooks import Webhook

    from learnloop.webhooks.services import document, signed_headers

    subscribe(world.org.pk, receiver.url, [])
    record_incident(world.org, None, title="Ünïcode & <b>", severity=3)
    event = OutboundEvent.objects.get()
    body = document(event)
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the specification's own example secret
    headers = signed_headers(secret, event.uid, body, timezone.now())
    assert Webhook(secret).verify(body, headers) == json.loads(body)
    assert headers["Content-Type"] == "application/cloudevents+json"
    assert json.loads(body)["data"]["title"] == "Ünïcode & <b>"


def test_a_worker_killed_mid_delivery_delivers_again_with_the_same_id(outside_env: Any):
    """A real `learnloop worker` is killed outright while the receiver holds its request (the
    receiver has the event); after the lease runs out a new worker sends it again, and the
    receiver, keeping events by webhook-id, has it once."""
    import subprocess
    import sys

    from tests.conftest import ROOT, run_outside
    from tests.test_delivery_worker import kill_in_flight

    server = Receiver()

    def outside(*args: str) -> Any:
        printed = run_outside(outside_env, "tests.fake_receiver", *args)
        return json.loads(printed) if printed else None

    try:
        seeded = outside("seed", server.url)
        server.inbox.secret = seeded["secret"]
        delivery = str(seeded["delivery"])
        server.inbox.faults = ["hold"]
        kill_in_flight(outside_env, server.inbox.arrived)
        server.inbox.release.set()
        assert outside("report", delivery)["state"] == "sending"
        outside("expire", delivery)
        subprocess.run(
            [sys.executable, "-m", "learnloop", "worker", "--once", "--reconcile-every", "0"],
            env=outside_env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            timeout=300,
        )
        after = outside("report", delivery)
        assert after == {"state": "sent", "outcomes": ["interrupted", "sent"]}
        inbox = server.inbox
        assert len(inbox.deliveries) == 2 and len(set(inbox.deliveries)) == 1  # same webhook-id
        assert inbox.kinds() == ["io.learnloop.incident.recorded"] and inbox.refused == []
    finally:
        server.close()


def test_admins_subscribe_through_the_api_and_see_the_secret_once(world: World, settings: Any):
    settings.ALLOW_PRIVATE_DESTINATIONS = False
    client = world.client_for(world.admin)
    made = client.post(
        "/api/v1/event-subscriptions",
        {"url": "https://hooks.acme.test/learnloop", "types": ["review.held"]},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["secret"].startswith("whsec_")
    listed = client.get("/api/v1/event-subscriptions").json()
    assert listed[0]["secret"] is None and listed[0]["types"] == ["review.held"]
    for body, field in (
        ({"url": "http://hooks.acme.test/in"}, "url"),
        ({"url": "ftp://x"}, "url"),
        ({"url": "https://h.test", "types": ["incident.exploded"]}, "types"),
    ):
        refused = client.post("/api/v1/event-subscriptions", body, content_type="application/json")
        assert refused.status_code == 422, refused.content
        assert refused.json()["detail"][0]["field"].startswith(field)
    rotated = client.patch(
        f"/api/v1/event-subscriptions/{made.json()['id']}",
        {"rotate": True, "active": False},
        content_type="application/json",
    ).json()
    assert rotated["secret"] not in (None, made.json()["secret"]) and rotated["active"] is False
    record_incident(world.org, None, title="Nobody listens now", severity=4)
    assert not OutboundEvent.objects.exists()
    page = client.post(
        "/settings/events/",
        {"url": "https://other.acme.test/in", "types": ["incident.recorded"], "active": "on"},
        follow=True,
    )
    assert "shown this once" in page.content.decode()
    assert world.client_for(world.payments_pm).get("/api/v1/event-subscriptions").status_code == 403
