"""A subscriber's endpoint over real sockets: it verifies every request with the Standard
Webhooks specification's own library, keeps what it received by webhook-id (so a repeat is seen
as one), and misbehaves on request: "500" answers a server error, "hold" takes the event and
then waits (the worker may be killed meanwhile) and drops the connection."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Inbox:
    secret: str = ""
    received: dict[str, dict[str, Any]] = field(default_factory=dict)  # by webhook-id
    deliveries: list[str] = field(default_factory=list)  # every webhook-id, repeats too
    refused: list[str] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    held_from: int = 0  # the port the held request came from (which process sent it)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def kinds(self) -> list[str]:
        return sorted(event["type"] for event in self.received.values())


class Handler(BaseHTTPRequestHandler):
    inbox: Inbox

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        inbox = self.inbox
        try:
            event = Webhook(inbox.secret).verify(body, dict(self.headers.items()))
        except WebhookVerificationError as error:
            with inbox.lock:
                inbox.refused.append(str(error))
            return self._answer(401)
        with inbox.lock:
            fault = inbox.faults.pop(0) if inbox.faults else ""
        if fault == "500":
            return self._answer(500)
        with inbox.lock:
            message_id = self.headers["webhook-id"]
            inbox.deliveries.append(message_id)
            inbox.received.setdefault(message_id, event)
        if fault == "hold":
            inbox.held_from = self.client_address[1]
            inbox.arrived.set()
            inbox.release.wait(30)
            self.connection.close()
            return None
        return self._answer(204)


class Receiver:
    def __init__(self, secret: str = "") -> None:
        self.inbox = Inbox(secret=secret)
        handler = type("BoundHandler", (Handler,), {"inbox": self.inbox})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/learnloop"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.inbox.release.set()
        self.server.shutdown()
        self.server.server_close()


def outside(command: str, *args: str) -> None:
    """Run in a separate process against a worker's database: subscribe and record an incident
    (one event), report on its delivery, or let a lease run out."""
    import sys
    from datetime import timedelta

    from django.utils import timezone

    from learnloop.accounts.models import Organisation
    from learnloop.incidents.services import record_incident
    from learnloop.webhooks.models import EventDelivery
    from learnloop.webhooks.services import subscribe

    if command == "seed":
        org = Organisation.objects.create(name="Events", slug="events")
        subscription, secret = subscribe(org.pk, args[0], ["incident.recorded"])
        record_incident(org, None, title="Card declines", severity=4)
        delivery = EventDelivery.objects.get(subscription=subscription)
        sys.stdout.write(json.dumps({"delivery": delivery.pk, "secret": secret}))
    elif command == "report":
        delivery = EventDelivery.objects.get(pk=int(args[0]))
        outcomes = [a.outcome for a in delivery.log.all()]
        sys.stdout.write(json.dumps({"state": delivery.state, "outcomes": outcomes}))
    elif command == "expire":
        EventDelivery.objects.filter(pk=int(args[0])).update(
            lease_until=timezone.now() - timedelta(seconds=1)
        )
    else:
        raise ValueError(command)
