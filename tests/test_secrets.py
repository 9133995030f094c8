"""No secret in any output: recognisable secrets are stored in every kind of channel and tracker,
every destination fails in every way a local server can make it fail (an answer that quotes the
request back with 4xx, 5xx and 429, a dropped connection, a timeout, a closed port, an address
learnloop refuses), and every page, API answer, stored error, log line and export is searched
for them."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone

from learnloop.accounts.models import Role
from learnloop.actions.models import ActionKind
from learnloop.actions.services import add_action
from learnloop.incidents.services import record_incident
from learnloop.publishing import services as publishing
from learnloop.publishing.models import ChannelKind, Delivery, DeliveryState, PublishChannel
from learnloop.trackers import services as trackers
from learnloop.trackers.models import PushState, TrackerConnection, TrackerPush
from tests.conftest import World, make_person
from tests.fake_publishing import BODY, free_port, publish
from tests.queue import run_tasks, run_tracker_pushes

SLACK_PATH = "/services/T0SECRETWS/B0SECRETBOT/SLACKSECRETSLACKSECRET24"
CONFLUENCE_TOKEN = "CONFLUENCE-TOKEN-SECRET-7731"
TRACKER_TOKEN = "TRACKER-TOKEN-SECRET-4412"
TRELLO_KEY = "TRELLOKEYSECRET99"
# Trello's API key is public by design (its browser client carries it): the settings form shows
# it; the token beside it is the secret.
SECRETS = ["SLACKSECRET", "T0SECRETWS", "B0SECRETBOT", "TOKEN-SECRET"]
TRACKERS = {
    "jira_cloud": "",
    "jira_dc": "/rest",
    "trello": "/1",
    "github": "/gh",
    "linear": "/graphql",
}
# How the destination fails: an answer quoting the whole request (line, headers, body) back,
# a connection closed with no answer, an answer slower than the timeout.
FAULTS = ["echo-400", "echo-401", "echo-404", "echo-429", "echo-500", "drop", "slow"]


class Echo(BaseHTTPRequestHandler):
    fault = "echo-400"
    seen: list[str]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode(errors="replace") if length else ""
        self.seen.append(self.path)
        if self.fault == "drop":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if self.fault == "slow":
            time.sleep(1.5)
        status = int(self.fault.partition("-")[2] or 500)
        quoted = f"{self.command} {self.path}\n{self.headers}\n{body}".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(quoted)))
        self.end_headers()
        self.wfile.write(quoted)

    do_GET = do_POST = do_PUT = _answer  # noqa: N815 - the names http.server calls


@pytest.fixture
def echo(settings: Any) -> Iterator[tuple[str, type[Echo]]]:
    settings.ALLOW_PRIVATE_DESTINATIONS = True
    settings.HTTP_TIMEOUT = 0.5
    handler = type("BoundEcho", (Echo,), {"seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", handler
    server.shutdown()
    server.server_close()


def channels(world: World, base: str) -> None:
    slack = PublishChannel(organisation=world.org, kind=ChannelKind.SLACK, name="Slack")
    slack.secret = base + SLACK_PATH
    slack.save()
    for kind, root in ((ChannelKind.CONFLUENCE_CLOUD, ""), (ChannelKind.CONFLUENCE_DC, "/dc")):
        site = PublishChannel(organisation=world.org, kind=kind, name=kind, space="ENG")
        site.base_url, site.account = base + root, "bot@acme.test"
        site.secret = CONFLUENCE_TOKEN
        site.save()


def connect(world: World, base: str, kind: str) -> TrackerConnection:
    TrackerConnection.objects.filter(team=world.payments).delete()
    connection = TrackerConnection(
        team=world.payments,
        kind=kind,
        base_url=base + TRACKERS[kind],
        account=TRELLO_KEY if kind == "trello" else "bot@acme.test",
        project="PAY",
    )
    connection.token = TRACKER_TOKEN
    connection.webhook_secret = "WEBHOOK-TOKEN-SECRET-1"
    connection.save()
    return connection


def point_at(base: str) -> None:
    """Every destination moves to another address (a closed port, an address refused)."""
    for channel in PublishChannel.objects.all():
        if channel.kind == ChannelKind.SLACK:
            channel.secret = base + SLACK_PATH
        else:
            channel.base_url = base + ("/dc" if channel.kind == ChannelKind.CONFLUENCE_DC else "")
        channel.save()
    for connection in TrackerConnection.objects.all():
        connection.base_url = base + TRACKERS[connection.kind]
        connection.save()


def fail_everything(world: World, key: str) -> None:
    """Every delivery and push tried again, every channel tested, every connection checked."""
    now = timezone.now()
    Delivery.objects.update(state=DeliveryState.FAILED, next_attempt_at=now)
    for delivery in Delivery.objects.all():
        publishing.send_again(delivery, "Ada Admin")
    run_tasks()
    for channel in PublishChannel.objects.all():
        publishing.send_test(channel, "Ada Admin")
    for connection in TrackerConnection.objects.all():
        trackers.check(connection)
    TrackerPush.objects.update(next_attempt_at=now, attempts=0, state=PushState.PENDING)
    for push in TrackerPush.objects.all():
        trackers.queue(push)
    run_tracker_pushes()


def everything_shown(world: World, key: str, tmp_path: Any) -> list[str]:
    """Every page and API answer that shows deliveries, channels, pushes or connections, to each
    role that may see it, and the stored errors and exports."""
    texts: list[str] = []
    member = make_person(world.org, f"m{time.monotonic_ns()}@acme.test", Role.MEMBER)
    for user in (world.admin, world.payments_pm, world.alice, member):
        client = world.client_for(user)
        for url in (
            f"/narratives/{key}/deliveries/",
            "/organisation/publishing/",
            "/teams/payments/publishing/",
            "/teams/payments/tracker/",
            f"/api/v1/narratives/{key}/deliveries",
            "/api/v1/publishing/channels",
            "/api/v1/teams/payments/tracker",
            *(f"/publishing/channels/{c.pk}/" for c in PublishChannel.objects.all()),
            *(f"/api/v1/actions/{p.action.uid}/push" for p in TrackerPush.objects.all()),
        ):
            texts.append(client.get(url).content.decode())
    for model in (Delivery, PublishChannel, TrackerConnection, TrackerPush):
        texts.append(str(list(model.objects.values())))
    texts += [str(list(d.attempt_log.values())) for d in Delivery.objects.all()]
    texts += [str(list(p.attempt_log.values())) for p in TrackerPush.objects.all()]
    out = tmp_path / "export.json"
    call_command_export(out)
    texts.append(out.read_text())
    return texts


def call_command_export(out: Any) -> None:
    from learnloop.interchange.exporter import export_command

    assert export_command([], str(out), "acme") == 0


@pytest.mark.parametrize("kind", TRACKERS)
def test_no_secret_reaches_any_output_whatever_the_destination_does(
    world: World, echo: tuple[str, type[Echo]], kind: str, caplog: Any, tmp_path: Any, settings
):
    base, handler = echo
    caplog.set_level(logging.DEBUG)
    channels(world, base)
    connect(world, base, kind)
    incident = record_incident(
        world.org, None, title="Card declines", team=world.payments, severity=2
    )
    trackers.enqueue(add_action(incident, None, title="Add a breaker", kind=ActionKind.CODE_FIX))
    publish(incident, BODY)
    texts: list[str] = []
    for fault in FAULTS:
        handler.fault = fault
        fail_everything(world, incident.key)
        texts += everything_shown(world, incident.key, tmp_path)
    point_at(f"http://127.0.0.1:{free_port()}")  # nothing listens there
    fail_everything(world, incident.key)
    settings.ALLOW_PRIVATE_DESTINATIONS = False  # a loopback address is refused
    fail_everything(world, incident.key)
    texts += everything_shown(world, incident.key, tmp_path)
    texts += [record.getMessage() for record in caplog.records]
    texts += [caplog.text]
    assert any("HTTP 500" in text for text in texts)  # the failures themselves are told
    assert any("private address" in text for text in texts)
    for secret in SECRETS:
        leaks = [text for text in texts if secret in text]
        assert not leaks, f"{secret} shown in: {leaks[0][:2000]}"


def test_the_access_log_masks_the_tokens_that_travel_in_addresses(capfd: Any):
    """The private calendar and feed URLs carry their token in the path, a Jira Data Center
    webhook its secret in the query: the server's access log shows neither."""
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config

    from learnloop.accesslog import AccessLog

    config = Config()
    config.set("accesslog", "-")
    log = AccessLog(config)
    for target in (
        "/calendar/CALTOKENSECRET123.ics",
        "/feeds/FEEDTOKENSECRET123/teams/payments/narratives.atom",
        "/trackers/webhooks/acme/payments/?secret=HOOKSECRET123&x=1",
    ):
        environ = {
            "REQUEST_METHOD": "GET",
            "RAW_URI": target,
            "PATH_INFO": target.partition("?")[0],
            "QUERY_STRING": target.partition("?")[2],
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_REFERER": "https://learnloop.acme.test" + target,
        }
        response = SimpleNamespace(status="200 OK", sent=10, headers=[])
        log.access(response, SimpleNamespace(headers=[]), environ, timedelta(seconds=0.01))
    written = capfd.readouterr().out
    assert written.count("GET /") == 3 and "/trackers/webhooks/acme/payments/" in written
    assert "SECRET123" not in written


class Rebinding:
    """A resolver that answers a public address the first time a name is looked up and a
    loopback address afterwards: DNS rebinding."""

    def __init__(self, real: Any) -> None:
        self.real, self.asked = real, 0

    def __call__(self, host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "tracker.rebind.test":
            return self.real(host, port, *args, **kwargs)
        self.asked += 1
        address = "93.184.215.14" if self.asked == 1 else "127.0.0.1"
        return [(2, 1, 6, "", (address, port or 80))]


def test_a_request_connects_to_the_address_that_was_checked(
    echo: tuple[str, type[Echo]], settings: Any, monkeypatch: Any
):
    """A name that resolves to a public address when checked and to loopback when connecting
    never reaches the loopback server: the request connects to the address checked."""
    import socket

    from learnloop.integrations.base import TrackerError, send

    base, handler = echo
    handler.fault = "echo-200"
    settings.ALLOW_PRIVATE_DESTINATIONS = False
    settings.HTTP_TIMEOUT = 0.5
    resolver = Rebinding(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    port = base.rpartition(":")[2]
    with pytest.raises(TrackerError) as refused:
        send("GET", f"http://tracker.rebind.test:{port}/whoami")
    assert not handler.seen  # the loopback server heard nothing
    assert "tracker.rebind.test" in str(refused.value)  # named by the URL asked for


def test_a_pinned_request_still_names_its_host(
    echo: tuple[str, type[Echo]], settings: Any, monkeypatch: Any
):
    """Connected to the checked address, the request still carries the name in Host."""
    import socket

    from learnloop.integrations.base import send
    from learnloop.lib import http

    base, handler = echo
    handler.fault = "echo-200"
    settings.ALLOW_PRIVATE_DESTINATIONS = False
    real = socket.getaddrinfo
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: real("127.0.0.1" if host == "named.test" else host, port),
    )
    monkeypatch.setattr(http, "public", lambda ip: True)  # the loopback server plays a public one
    port = base.rpartition(":")[2]
    answer = send("GET", f"http://named.test:{port}/whoami").text
    assert "GET /whoami" in answer and f"Host: named.test:{port}" in answer
