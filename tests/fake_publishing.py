"""Local servers for the publishing channels, over real sockets: a Slack incoming webhook and
Confluence (Cloud v2 under /wiki/api/v2, Data Center under /dc/rest/api) that answer in the
vendors' documented shapes, and a real SMTP server (aiosmtpd). Each misbehaves on request: 500s,
429 with Retry-After, 400 invalid_payload, connections dropped after the work was done, and
"hold": the request (or SMTP transaction) waits until the test lets it go, so that a worker can
be killed while it is in flight."""

from __future__ import annotations

import json
import re
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.fake_http import Recorded, RecordingHandler

SLACK_PATH = "/services/T0001/B0001/secret-token"


@dataclass
class State:
    posts: list[dict[str, Any]] = field(default_factory=list)  # Slack messages that arrived
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)  # Confluence, by id
    requests: list[Recorded] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)  # for the next writes, in order
    arrived: threading.Event = field(default_factory=threading.Event)  # a held request came
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Handler(RecordingHandler):
    state: State

    def _write(self, work: Any, reply: Any) -> None:
        """A write (a post, a page created or updated), with the next fault applied."""
        fault = self._fault()
        if fault == "500":
            return self._reply(500, "<html><body>Server Error</body></html>")
        if fault and fault.startswith("429"):
            wait = fault.partition(":")[2] or "7"
            return self._reply(429, "", {"Retry-After": wait})
        if fault == "400":
            return self._reply(400, "invalid_payload")
        if fault == "410":
            return self._reply(410, "channel_is_archived")
        with self.state.lock:
            result = work()
        if fault == "hold":  # done, then no answer until the test lets go
            self.state.arrived.set()
            self.state.release.wait(30)
            fault = "drop"
        if fault == "drop":  # done, then the connection dies before any answer
            self.close_connection = True
            self.connection.shutdown(2)
            return None
        status, body = reply(result)
        return self._reply(status, body)

    def _route(self, r: Recorded) -> None:
        if r.path == SLACK_PATH and r.method == "POST":
            return self._write(lambda: self.state.posts.append(r.body), lambda _: (200, "ok"))
        if r.path.startswith("/wiki/api/v2"):
            return self._cloud(r, r.path.removeprefix("/wiki/api/v2"))
        if r.path.startswith("/dc/rest/api"):
            return self._datacenter(r, r.path.removeprefix("/dc/rest/api"))
        return self._reply(404, "no_service")

    # Confluence: pages are shared by both dialects; only the shapes differ.
    def _store(self, space: str, title: str, body: str, parent: str) -> str:
        page_id = str(100 + len(self.state.pages))
        self.state.pages[page_id] = {
            "space": space,
            "title": title,
            "body": body,
            "parent": parent,
            "version": 1,
            "message": "",
        }
        return page_id

    def _update(self, page_id: str, title: str, body: str, version: dict[str, Any]) -> str:
        page = self.state.pages[page_id]
        if version.get("number") != page["version"] + 1:
            raise ValueError("version conflict")
        page.update(
            title=title, body=body, version=version["number"], message=version.get("message", "")
        )
        return page_id

    def _cloud_page(self, page_id: str) -> dict[str, Any]:
        page = self.state.pages[page_id]
        return {
            "id": page_id,
            "status": "current",
            "title": page["title"],
            "spaceId": page["space"],
            "version": {"number": page["version"], "message": page["message"]},
            "_links": {"base": f"{self.base}/wiki", "webui": f"/spaces/S/pages/{page_id}"},
        }

    def _cloud(self, r: Recorded, path: str) -> None:
        body = r.body or {}
        if path == "/spaces" and r.method == "GET":
            return self._reply(200, {"results": [{"id": r.query["ids"][0], "name": "Eng"}]})
        if path == "/pages" and r.method == "GET":
            space, title = r.query["space-id"][0], r.query["title"][0]
            found = [
                self._cloud_page(k)
                for k, p in self.state.pages.items()
                if p["space"] == space and p["title"] == title
            ]
            return self._reply(200, {"results": found[:1], "_links": {}})
        if path == "/pages" and r.method == "POST":
            return self._write(
                lambda: self._store(
                    body["spaceId"], body["title"], body["body"]["value"], body.get("parentId", "")
                ),
                lambda page_id: (200, self._cloud_page(page_id)),
            )
        if (m := re.fullmatch(r"/pages/(\d+)", path)) and m.group(1) in self.state.pages:
            if r.method == "GET":
                return self._reply(200, self._cloud_page(m.group(1)))
            if body.get("version", {}).get("number") != self.state.pages[m.group(1)]["version"] + 1:
                return self._reply(409, {"errors": [{"title": "version conflict"}]})
            return self._write(
                lambda: self._update(
                    m.group(1), body["title"], body["body"]["value"], body["version"]
                ),
                lambda page_id: (200, self._cloud_page(page_id)),
            )
        return self._reply(404, {"errors": [{"title": "not found"}]})

    def _dc_page(self, page_id: str) -> dict[str, Any]:
        page = self.state.pages[page_id]
        return {
            "id": page_id,
            "type": "page",
            "status": "current",
            "title": page["title"],
            "space": {"key": page["space"]},
            "version": {"number": page["version"], "message": page["message"]},
            "_links": {"base": f"{self.base}/dc", "webui": f"/display/X/{page_id}"},
        }

    def _datacenter(self, r: Recorded, path: str) -> None:
        body = r.body or {}
        if r.headers.get("Authorization", "") != "Bearer pat-secret":
            return self._reply(401, {"message": "not authenticated"})
        if (m := re.fullmatch(r"/space/([^/]+)", path)) and r.method == "GET":
            return self._reply(200, {"id": 1, "key": m.group(1), "name": "Engineering"})
        if path == "/content" and r.method == "GET":
            space = r.query["spaceKey"][0]
            title = r.query.get("title", [None])[0]
            found = [
                self._dc_page(k)
                for k, p in self.state.pages.items()
                if p["space"] == space and (title is None or p["title"] == title)
            ]
            return self._reply(200, {"results": found[:1], "size": len(found[:1])})
        if path == "/content" and r.method == "POST":
            ancestors = body.get("ancestors") or [{}]
            return self._write(
                lambda: self._store(
                    body["space"]["key"],
                    body["title"],
                    body["body"]["storage"]["value"],
                    ancestors[0].get("id", ""),
                ),
                lambda page_id: (200, self._dc_page(page_id)),
            )
        if (m := re.fullmatch(r"/content/(\d+)", path)) and m.group(1) in self.state.pages:
            if r.method == "GET":
                return self._reply(200, self._dc_page(m.group(1)))
            if body.get("version", {}).get("number") != self.state.pages[m.group(1)]["version"] + 1:
                return self._reply(409, {"message": "version conflict"})
            return self._write(
                lambda: self._update(
                    m.group(1), body["title"], body["body"]["storage"]["value"], body["version"]
                ),
                lambda page_id: (200, self._dc_page(page_id)),
            )
        return self._reply(404, {"message": "not found"})


class FakePublishing:
    """Slack and Confluence on one local port."""

    def __init__(self) -> None:
        self.state = State()
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        handler.base = self.base
        self.slack_url = self.base + SLACK_PATH
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.state.release.set()
        self.server.shutdown()
        self.server.server_close()

    def writes(self) -> list[Recorded]:
        return [r for r in self.state.requests if r.method in ("POST", "PUT")]


class Mailbox:
    """aiosmtpd handler: keeps every message accepted at the end of DATA. With `hold` set, the
    transaction stops at the first RCPT until released: the message is never accepted."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.hold = False
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.refuse: str | None = None

    async def handle_RCPT(  # noqa: N802 - the name aiosmtpd calls
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.hold:
            import asyncio

            self.arrived.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 try again later"
        if self.refuse and address == self.refuse:
            return "550 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - the name aiosmtpd calls
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        self.messages.append(message_from_bytes(raw))
        self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def close(self) -> None:
        self.mailbox.release.set()
        self.controller.stop()


def publish(incident: Any, body: str, by: Any = None, title: str = "") -> Any:
    """Publishes the next revision the way narratives.services.publish does: the publication,
    then the signal, in one transaction."""
    from django.db import transaction
    from django.utils import timezone

    from learnloop.narratives.models import (
        Narrative,
        NarrativeStatus,
        NarrativeVersion,
        Publication,
    )
    from learnloop.narratives.signals import narrative_published

    with transaction.atomic():
        narrative, _ = Narrative.objects.get_or_create(
            incident=incident, defaults={"title": title or incident.title}
        )
        if title:
            narrative.title = title
        number = narrative.versions.count() + 1
        version = NarrativeVersion.objects.create(
            narrative=narrative, number=number, body=body, author=by
        )
        publication = Publication.objects.create(
            narrative=narrative,
            revision=narrative.publications.count() + 1,
            version=version,
            title=narrative.title,
            published_by=by,
        )
        narrative.status = NarrativeStatus.PUBLISHED
        narrative.published_at = narrative.published_at or timezone.now()
        narrative.current_publication = publication
        narrative.save()
        narrative_published.send(sender=Narrative, narrative=narrative, revision=publication)
    return publication


BODY = """## Summary

Card payments were declined for 40 minutes after a certificate rotation & a cache flush.

## How we got here

The rotation ran at 09:00. <script>alert(1)</script> Requests failed from 09:02.

- first
- second
"""


def outside(command: str, *args: str) -> None:
    """Run in a separate process (`python -c`, Django set up) against the database a
    `learnloop worker` subprocess uses: seed a published narrative, report on a delivery, or let
    its lease run out (time passing, without waiting for it)."""
    import sys
    from datetime import timedelta

    from django.utils import timezone

    from learnloop.accounts.models import Organisation, Service, Team
    from learnloop.incidents.services import record_incident
    from learnloop.publishing.models import Delivery, PublishChannel

    if command == "seed":
        kind, target = args
        org = Organisation.objects.create(name=f"Org {kind}", slug=f"org-{kind}".replace("_", "-"))
        team = Team.objects.create(organisation=org, name="Payments", slug="payments")
        service = Service.objects.create(organisation=org, team=team, name="Checkout", slug="co")
        channel = PublishChannel(organisation=org, kind=kind, name=kind)
        if kind == "email":
            channel.recipients = "everyone@acme.test"
        elif kind == "slack":
            channel.secret = target
        else:
            channel.base_url, channel.account, channel.space = target, "bot@acme.test", "65537"
            channel.secret = "cloud-token"
        channel.save()
        incident = record_incident(
            org, None, title="Card declines", team=team, service=service, severity=2
        )
        publication = publish(incident, BODY)
        sys.stdout.write(str(Delivery.objects.get(publication=publication).pk))
    elif command == "report":
        delivery = Delivery.objects.get(pk=int(args[0]))
        sys.stdout.write(
            json.dumps(
                {
                    "state": delivery.state,
                    "attempts": delivery.attempts,
                    "outcomes": [a.outcome for a in delivery.attempt_log.all()],
                    "last_error": delivery.last_error,
                    "message_id": delivery.message_id,
                }
            )
        )
    elif command == "expire":
        Delivery.objects.filter(pk=int(args[0])).update(
            lease_until=timezone.now() - timedelta(seconds=1)
        )
    else:
        raise ValueError(command)
