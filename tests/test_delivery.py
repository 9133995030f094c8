"""Deliveries of published narratives, end to end over real sockets: a local Slack webhook and
Confluence server, a real SMTP server; faults injected; every attempt recorded; nothing lost and
nothing sent twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.message import Message

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from learnloop import leasing
from learnloop.incidents.models import Incident
from learnloop.incidents.services import record_incident
from learnloop.narratives.models import Publication
from learnloop.publishing import services
from learnloop.publishing.models import (
    ChannelKind,
    Delivery,
    DeliveryState,
    PublishChannel,
)
from tests.conftest import World
from tests.fake_publishing import BODY, FakePublishing, SmtpServer, publish
from tests.queue import run_tasks


@pytest.fixture
def fake(settings) -> Iterator[FakePublishing]:
    settings.ALLOW_PRIVATE_DESTINATIONS = True
    settings.HTTP_TIMEOUT = 2.0
    settings.BASE_URL = "https://learnloop.acme.test"
    server = FakePublishing()
    yield server
    server.close()


@pytest.fixture
def smtp(settings) -> Iterator[SmtpServer]:
    server = SmtpServer()
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.BASE_URL = "https://learnloop.acme.test"
    yield server
    server.close()


def channel(
    world: World, kind: str, fake: FakePublishing | None = None, **fields
) -> PublishChannel:
    made = PublishChannel(organisation=world.org, kind=kind, name=fields.pop("name", kind))
    if kind == ChannelKind.SLACK and fake:
        made.secret = fake.slack_url
    if kind == ChannelKind.CONFLUENCE_CLOUD and fake:
        made.base_url, made.account, made.space = fake.base, "bot@acme.test", "65537"
        made.secret = "cloud-token"
    if kind == ChannelKind.CONFLUENCE_DC and fake:
        made.base_url, made.space = fake.base + "/dc", "ENG"
        made.secret = "pat-secret"
    if kind == ChannelKind.EMAIL:
        made.recipients = "everyone@acme.test\nleads@acme.test"
    for name, value in fields.items():
        setattr(made, name, value)
    made.save()
    return made


def an_incident(world: World, key_title: str = "Card declines") -> Incident:
    return record_incident(
        world.org,
        None,
        title=key_title,
        team=world.payments,
        service=world.checkout,
        severity=2,
        summary="Cards were declined.",
    )


def work() -> int:
    return run_tasks()


def due_now() -> None:
    """Time passes: every waiting retry is due (no test waits for real)."""
    now = timezone.now()
    DBTaskResult.objects.filter(status="READY").update(run_after=now)
    Delivery.objects.filter(state=DeliveryState.RETRY).update(next_attempt_at=now)


def test_publishing_records_one_delivery_per_channel_in_the_same_transaction(world: World):
    org_wide = channel(world, ChannelKind.EMAIL, name="All staff")
    payments = channel(world, ChannelKind.EMAIL, name="Payments list", team=world.payments)
    channel(world, ChannelKind.EMAIL, name="Search list", team=world.search)
    channel(world, ChannelKind.EMAIL, name="Switched off", enabled=False)
    incident = an_incident(world)
    publication = publish(incident, BODY)
    deliveries = Delivery.objects.filter(publication=publication)
    assert {d.channel_id for d in deliveries} == {org_wide.pk, payments.pk}
    assert all(d.state == DeliveryState.QUEUED and d.task_id for d in deliveries)
    assert DBTaskResult.objects.filter(status="READY").count() == 2

    # A publishing transaction that fails takes its deliveries and tasks with it.
    before = (Delivery.objects.count(), DBTaskResult.objects.count(), Publication.objects.count())
    with pytest.raises(RuntimeError), transaction.atomic():
        publish(incident, BODY + "\nMore.")
        assert Delivery.objects.count() == before[0] + 2
        raise RuntimeError("the status change failed")
    after = (Delivery.objects.count(), DBTaskResult.objects.count(), Publication.objects.count())
    assert after == before


def test_slack_gets_a_block_kit_summary_with_a_link_once(world: World, fake: FakePublishing):
    channel(world, ChannelKind.SLACK, fake)
    publication = publish(an_incident(world), BODY)
    assert work() == 1
    assert work() == 0
    [post] = fake.state.posts
    assert [b["type"] for b in post["blocks"]] == [
        "header",
        "section",
        "section",
        "actions",
        "context",
    ]
    assert post["blocks"][0]["text"]["text"] == "Card declines"
    assert "certificate rotation &amp; a cache flush" in post["blocks"][1]["text"]["text"]
    fields = [f["text"] for f in post["blocks"][2]["fields"]]
    assert fields == ["*Team*\nPayments", "*Service*\nCheckout", "*Severity*\nSEV2"]
    link = f"https://learnloop.acme.test/narratives/{publication.narrative.incident.key}/"
    assert post["blocks"][3]["elements"][0]["url"] == link
    assert link in post["text"]
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.SENT and delivery.sent_at
    [attempt] = delivery.attempt_log.all()
    assert (attempt.outcome, attempt.status_code) == ("sent", 200)


def test_server_errors_and_429_are_retried_with_backoff_honouring_retry_after(
    world: World, fake: FakePublishing
):
    channel(world, ChannelKind.SLACK, fake)
    publish(an_incident(world), BODY)
    fake.state.faults = ["500", "429:900"]
    before = timezone.now()
    work()
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.RETRY
    assert delivery.next_attempt_at >= before + timedelta(seconds=30)
    waiting = DBTaskResult.objects.get(status="READY")
    assert waiting.run_after == delivery.next_attempt_at
    assert work() == 0  # not due yet
    due_now()
    before = timezone.now()
    work()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.RETRY
    assert delivery.next_attempt_at >= before + timedelta(seconds=900)  # Retry-After wins
    due_now()
    work()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT
    assert [(a.outcome, a.status_code) for a in delivery.attempt_log.all()] == [
        ("retry", 500),
        ("retry", 429),
        ("sent", 200),
    ]
    assert len(fake.state.posts) == 1


def test_a_refused_payload_fails_at_once_with_the_reason(world: World, fake: FakePublishing):
    channel(world, ChannelKind.SLACK, fake)
    publish(an_incident(world), BODY)
    fake.state.faults = ["400"]
    work()
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.FAILED
    assert "invalid_payload" in delivery.last_error and "400" in delivery.last_error
    due_now()
    assert work() == 0 and not fake.state.posts


def test_a_slack_post_whose_answer_was_lost_is_in_doubt_and_not_resent(
    world: World, fake: FakePublishing
):
    channel(world, ChannelKind.SLACK, fake)
    publish(an_incident(world), BODY)
    fake.state.faults = ["drop"]
    work()
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.IN_DOUBT
    assert "cannot be asked" in delivery.last_error
    due_now()
    services.sweep(timezone.now() + timedelta(hours=1))
    assert work() == 0
    assert len(fake.state.posts) == 1  # it did arrive; nobody sent it again
    services.send_again(delivery, "Priya Product")  # a person decides
    work()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT
    assert [a.outcome for a in delivery.attempt_log.all()] == ["in_doubt", "requeued", "sent"]


def test_an_unreachable_slack_is_retried_not_in_doubt(world: World, fake: FakePublishing):
    from tests.fake_publishing import free_port

    channel(world, ChannelKind.SLACK, fake).__class__.objects.update(
        secret_sealed=PublishChannel(secret=f"http://127.0.0.1:{free_port()}/hook").secret_sealed
    )
    publish(an_incident(world), BODY)
    work()
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.RETRY, delivery.last_error
    assert "ConnectError" in delivery.last_error


@pytest.mark.parametrize("kind", [ChannelKind.CONFLUENCE_CLOUD, ChannelKind.CONFLUENCE_DC])
def test_confluence_page_is_created_then_updated_and_never_doubled(
    world: World, fake: FakePublishing, kind: str
):
    chan = channel(world, kind, fake, parent_id="42")
    incident = an_incident(world)
    fake.state.faults = ["drop"]  # the page is made, the answer is lost
    publish(incident, BODY)
    work()
    first = Delivery.objects.get()
    assert first.state == DeliveryState.RETRY
    due_now()
    work()
    first.refresh_from_db()
    assert first.state == DeliveryState.SENT
    assert [a.outcome for a in first.attempt_log.all()] == ["retry", "found"]
    [(page_id, page)] = fake.state.pages.items()
    assert page["title"] == f"{incident.key}: Card declines"
    assert page["parent"] == "42" and page["space"] == chan.space
    assert "<script>" not in page["body"] and "<li>first</li>" in page["body"]
    assert first.remote_id == page_id and page_id in first.remote_url

    fake.state.faults = ["drop"]  # the update is written, the answer is lost
    publish(incident, BODY + "\n## What we will change\n\nRotate with a canary.\n")
    work()
    due_now()
    work()
    second = Delivery.objects.exclude(pk=first.pk).get()
    assert second.state == DeliveryState.SENT
    assert [a.outcome for a in second.attempt_log.all()] == ["retry", "found"]
    assert len(fake.state.pages) == 1
    assert page["version"] == 2 and "Rotate with a canary" in page["body"]
    assert page["message"] == "learnloop revision 2"
    publish(incident, BODY + "\nThird.\n")
    work()
    third = Delivery.objects.exclude(pk__in=[first.pk, second.pk]).get()
    assert [a.outcome for a in third.attempt_log.all()] == ["updated"]
    assert page["version"] == 3 and len(fake.state.pages) == 1


def test_confluence_bad_token_fails_with_the_reason(world: World, fake: FakePublishing):
    channel(world, ChannelKind.CONFLUENCE_DC, fake).__class__.objects.update(
        secret_sealed=PublishChannel(secret="wrong").secret_sealed
    )
    publish(an_incident(world), BODY)
    work()
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.FAILED
    assert "401" in delivery.last_error
    assert delivery.attempt_log.get().status_code == 401


def parts(message: Message) -> dict[str, str]:
    found = {}
    for part in message.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found[part.get_content_type()] = payload.decode(part.get_content_charset() or "utf-8")
    return found


def test_email_reaches_a_real_smtp_server_with_html_text_and_the_link(
    world: World, smtp: SmtpServer
):
    channel(world, ChannelKind.EMAIL)
    publication = publish(an_incident(world), BODY)
    work()
    [message] = smtp.mailbox.messages
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.SENT
    assert message["Message-ID"] == delivery.message_id
    assert message["Subject"] == "[learnloop] Card declines"
    assert smtp.mailbox.envelopes[0][1] == ["everyone@acme.test", "leads@acme.test"]
    body = parts(message)
    assert set(body) == {"text/plain", "text/html"}
    link = f"https://learnloop.acme.test/narratives/{publication.narrative.incident.key}/"
    assert link in body["text/plain"] and f'href="{link}"' in body["text/html"]
    assert "<script>" not in body["text/html"] and "<li>first</li>" in body["text/html"]
    assert "certificate rotation & a cache flush" in body["text/plain"]


def test_a_refused_recipient_fails_and_an_unreachable_server_is_retried(
    world: World, smtp: SmtpServer, settings
):
    channel(world, ChannelKind.EMAIL, recipients="leads@acme.test")
    smtp.mailbox.refuse = "leads@acme.test"
    publish(an_incident(world), BODY)
    work()
    refused = Delivery.objects.get()
    assert refused.state == DeliveryState.FAILED and "leads@acme.test" in refused.last_error

    from tests.fake_publishing import free_port

    settings.EMAIL_PORT = free_port()  # nobody listens there
    smtp.mailbox.refuse = None
    publish(an_incident(world, "Search outage"), BODY)
    work()
    unreachable = Delivery.objects.exclude(pk=refused.pk).get()
    assert unreachable.state == DeliveryState.RETRY
    assert "refused" in unreachable.last_error.lower()


def test_two_workers_never_claim_the_same_delivery(world: World):
    channel(world, ChannelKind.EMAIL)
    publish(an_incident(world), BODY)
    delivery = Delivery.objects.get()
    assert services.claim(delivery.pk) is not None
    assert services.claim(delivery.pk) is None  # leased by the first
    assert services.attempt(delivery.pk) == "skipped"


def test_the_sweep_requeues_what_a_dead_worker_held(world: World, smtp: SmtpServer, fake):
    channel(world, ChannelKind.EMAIL)
    channel(world, ChannelKind.SLACK, fake)
    publish(an_incident(world), BODY)
    email, slack = Delivery.objects.order_by("kind")
    DBTaskResult.objects.update(status="RUNNING")  # a worker took both tasks...
    assert services.claim(email.pk) and services.claim(slack.pk)  # ...and both deliveries
    taken = [email.task_id, slack.task_id]
    Delivery.objects.filter(pk=slack.pk).update(request_sent_at=timezone.now())
    # The worker dies here. Until the lease runs out, nothing happens.
    assert services.sweep() == 0
    later = timezone.now() + leasing.LEASE + timedelta(seconds=1)
    assert services.sweep(later) == 2
    email.refresh_from_db()
    slack.refresh_from_db()
    assert email.state == DeliveryState.RETRY
    assert slack.state == DeliveryState.IN_DOUBT
    dead = DBTaskResult.objects.filter(id__in=taken)
    assert set(dead.values_list("status", flat=True)) == {"FAILED"}  # closed by the sweep
    work()
    email.refresh_from_db()
    assert email.state == DeliveryState.SENT and len(smtp.mailbox.messages) == 1
    assert not fake.state.posts
    assert [a.outcome for a in email.attempt_log.all()] == ["interrupted", "sent"]


def test_a_channel_switched_off_or_removed_before_sending_fails_with_the_reason(world: World):
    switched = channel(world, ChannelKind.EMAIL, name="Switched")
    removed = channel(world, ChannelKind.EMAIL, name="Removed")
    publish(an_incident(world), BODY)
    PublishChannel.objects.filter(pk=switched.pk).update(enabled=False)
    removed.delete()
    work()
    reasons = dict(Delivery.objects.values_list("channel_name", "last_error"))
    assert reasons == {
        "Switched": "The channel was switched off before this was sent.",
        "Removed": "The channel was deleted.",
    }
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.FAILED}


def test_the_narratives_own_publish_queues_and_delivers(world: World, smtp: SmtpServer):
    from learnloop.narratives import services as narratives
    from learnloop.narratives.models import Narrative

    channel(world, ChannelKind.EMAIL)
    narrative = Narrative.objects.create(incident=an_incident(world), title="Card declines")
    narratives.save_version(narrative, BODY, world.payments_pm, 0)
    narratives.change_status(narrative, "in_review")
    publication = narratives.publish(narrative, world.payments_pm)
    delivery = Delivery.objects.get(publication=publication)
    assert delivery.state == DeliveryState.QUEUED
    work()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT and len(smtp.mailbox.messages) == 1
