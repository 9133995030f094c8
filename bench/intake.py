"""Intake deliveries a second: signed PagerDuty v3 deliveries sent to `learnloop serve`'s
gunicorn over real sockets, one after another and eight at a time. Each delivery is a new
incident triggered, then resolved. What the bench wrote is deleted afterwards."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.measure import Row, percentile, serving
from learnloop.accounts.models import Organisation
from learnloop.incidents.models import Incident
from learnloop.intake.models import IntakeKind, IntakeSource
from learnloop.intake.setup import save_source

SECRET = "bench-intake-secret"  # noqa: S105 - the bench's own


def event(number: int, kind: str, minute: int) -> bytes:
    incident = {
        "id": f"PBENCH{number}",
        "type": "incident",
        "title": f"Bench incident {number}",
        "created_at": "2026-01-05T10:00:00Z",
        "status": "resolved" if kind == "incident.resolved" else "triggered",
        "html_url": f"https://bench.pagerduty.example/incidents/PBENCH{number}",
        "service": {"id": "PSVC", "summary": "Bench service", "type": "service_reference"},
        "priority": {"id": "PP", "summary": "P3", "type": "priority_reference"},
        "urgency": "high",
    }
    envelope = {
        "event": {
            "id": f"bench-{number}-{kind}",
            "event_type": kind,
            "resource_type": "incident",
            "occurred_at": f"2026-01-05T10:{minute:02}:00Z",
            "agent": None,
            "data": incident,
        }
    }
    return json.dumps(envelope).encode()


def send(base: str, path: str, body: bytes) -> float:
    signature = "v1=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(  # noqa: S310 - the bench's own server
        base + path,
        data=body,
        headers={"Content-Type": "application/json", "X-PagerDuty-Signature": signature},
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"intake answered {answer.status}")
    return (time.perf_counter() - started) * 1000


def deliveries(org: Organisation, n: int) -> list[Row]:
    team = org.teams.order_by("id").first()
    assert team is not None
    source = save_source(
        org, kind=IntakeKind.PAGERDUTY, name="bench intake", team=team.slug, secret=SECRET
    )
    try:
        with serving() as (base, _):
            path = source.receive_path()
            bodies = [event(i, "incident.triggered", 1) for i in range(n)]
            bodies += [event(i, "incident.resolved", 30) for i in range(n)]
            started = time.perf_counter()
            one_by_one = [send(base, path, b) for b in bodies[:n]]
            sequential_rate = n / (time.perf_counter() - started)
            started = time.perf_counter()
            with ThreadPoolExecutor(8) as pool:
                together: list[Any] = list(pool.map(lambda b: send(base, path, b), bodies[n:]))
            parallel_rate = n / (time.perf_counter() - started)
    finally:
        recorded = Incident.objects.filter(intake_refs__source=source).count()
        Incident.objects.filter(intake_refs__source=source).delete()
        IntakeSource.objects.filter(pk=source.pk).delete()
    note = f"signed PagerDuty v3, gunicorn 2x4; {recorded} incidents recorded and resolved"
    return [
        (
            "intake deliveries, one at a time",
            f"{sequential_rate:.0f}/s",
            f"{percentile(one_by_one, 0.95):.1f} ms",
            note,
        ),
        (
            "intake deliveries, 8 at a time",
            f"{parallel_rate:.0f}/s",
            f"{percentile(together, 0.95):.1f} ms",
            "resolutions of the same incidents",
        ),
    ]
