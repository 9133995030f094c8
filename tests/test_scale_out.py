"""Past one machine: two app servers and three workers on one database (PostgreSQL in the
PostgreSQL leg of the suite, SQLite in the other), as docs/operations.md describes. Incidents are
recorded through the API and alerts imported through intake, spread over both servers by twelve
clients at once, while a subscriber receives every lifecycle event. One worker is killed outright
while its request is in flight. No request fails, and every event reaches the subscriber exactly
once by its webhook-id: only the one the dead worker held arrives twice, with the same id."""

from __future__ import annotations

import copy
import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from learnloop.server import gunicorn_arguments
from tests.conftest import ROOT, run_outside
from tests.fake_publishing import free_port
from tests.fake_receiver import Receiver
from tests.test_intake import contract

CREATES, ALERTS, READS = 80, 20, 40


def outside(command: str, *args: str) -> None:
    """Run in another process against the servers' database: `seed` an organisation with a
    product manager's API token, a subscription to every event and an Alertmanager source;
    `report` what was recorded and delivered; `expire` every lease (the dead worker's runs
    out)."""
    from datetime import timedelta

    from django.contrib.auth.models import User
    from django.utils import timezone

    from learnloop.accounts.models import ApiToken, Membership, Organisation, Role, Team
    from learnloop.incidents.models import Incident
    from learnloop.intake.setup import save_source
    from learnloop.webhooks.models import EventDelivery, OutboundEvent
    from learnloop.webhooks.services import subscribe

    if command == "seed":
        org = Organisation.objects.create(name="Scale", slug="scale")
        team = Team.objects.create(organisation=org, name="Payments", slug="payments")
        user = User.objects.create_user("pm@scale.test", "pm@scale.test")
        Membership.objects.create(user=user, organisation=org, role=Role.PRODUCT_MANAGER, team=team)
        _, token = ApiToken.issue(user, "scale test")
        _, secret = subscribe(org.pk, args[0], [])
        source = save_source(
            org, kind="alertmanager", name="Alertmanager", team="payments", secret="s" * 32
        )
        found = {"token": token, "secret": secret, "intake": source.receive_path()}
        sys.stdout.write(json.dumps(found))
    elif command == "report":
        deliveries = EventDelivery.objects.all()
        found = {
            "incidents": Incident.objects.count(),
            "events": sorted(str(u) for u in OutboundEvent.objects.values_list("uid", flat=True)),
            "states": dict(Counter(deliveries.values_list("state", flat=True))),
            "attempts": sorted(deliveries.values_list("attempts", flat=True)),
        }
        sys.stdout.write(json.dumps(found))
    elif command == "expire":
        EventDelivery.objects.filter(lease_until__isnull=False).update(
            lease_until=timezone.now() - timedelta(seconds=1)
        )
    else:
        raise ValueError(command)


def helper(env: dict[str, str], *args: str) -> Any:
    printed = run_outside(env, "tests.test_scale_out", *args)
    return json.loads(printed) if printed else None


def start_server(env: dict[str, str]) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, *gunicorn_arguments(f"127.0.0.1:{port}")],  # as `learnloop serve`
        env={**env, "LEARNLOOP_WORKERS": "1"},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return f"http://127.0.0.1:{port}", server


def answers(base: str) -> bool:
    try:
        urllib.request.urlopen(base + "/login/", timeout=2).close()
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


def call(url: str, body: dict[str, Any] | None, headers: dict[str, str]) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            answer.read()
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def alert_group(n: int) -> dict[str, Any]:
    """The documented Alertmanager notification, as group n (its own incident)."""
    group = copy.deepcopy(contract("alertmanager/webhook.example.constructed.json"))
    group.pop("_comment")
    group["groupKey"] = f'{{}}/{{severity="page"}}:{{alertname="Scale{n}"}}'
    for alert in group["alerts"]:
        alert["fingerprint"] = f"{alert['fingerprint']}-{n}"
        alert["labels"]["alertname"] = f"Scale{n}"
    return group


def owner_of(port: int, processes: list[subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
    """The process whose socket has this local port (read from /proc, Linux)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    for process in processes:
        for fd in Path(f"/proc/{process.pid}/fd").iterdir():
            try:
                target = fd.readlink().as_posix()
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                return process
    raise AssertionError(f"no worker holds a connection from port {port}")


def test_two_servers_and_three_workers_deliver_every_event_once(outside_env: dict[str, str]):
    env = {**outside_env, "LEARNLOOP_ALLOWED_HOSTS": "127.0.0.1"}
    receiver = Receiver()
    seeded = helper(env, "seed", receiver.url)
    receiver.inbox.secret = seeded["secret"]
    api = {"Authorization": f"Bearer {seeded['token']}"}
    intake = {"Authorization": "Bearer " + "s" * 32}
    servers = [start_server(env) for _ in range(2)]
    worker_command = [sys.executable, "-m", "learnloop", "worker", "--reconcile-every", "0"]
    workers = [
        subprocess.Popen(
            worker_command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(3)
    ]
    try:
        deadline = time.monotonic() + 60
        while not all(answers(base) for base, _ in servers):
            assert time.monotonic() < deadline, "the servers did not start"
            time.sleep(0.2)
        bases = [base for base, _ in servers]

        # A worker dies while the subscriber holds its request.
        receiver.inbox.faults = ["hold"]
        first = {"title": "The first", "team": "payments", "severity": 4}
        assert call(bases[0] + "/api/v1/incidents", first, api) == 201
        assert receiver.inbox.arrived.wait(60), "no worker sent the first event"
        held = receiver.inbox.deliveries[0]
        dead = owner_of(receiver.inbox.held_from, workers)
        dead.send_signal(signal.SIGKILL)
        dead.wait(30)
        receiver.inbox.release.set()
        helper(env, "expire")

        # Writes, imports and reads through both servers, twelve clients at once.
        def request(i: int) -> int:
            base = bases[i % 2]
            if i < CREATES:
                body = {"title": f"Load {i}", "team": "payments", "severity": 1 + i % 4}
                return call(base + "/api/v1/incidents", body, api)
            if i < CREATES + ALERTS:
                return call(base + seeded["intake"], alert_group(i), intake)
            return call(base + "/api/v1/incidents?team=payments", None, api)

        with ThreadPoolExecutor(12) as pool:
            statuses = Counter(pool.map(request, range(CREATES + ALERTS + READS)))
        assert statuses == Counter({201: CREATES, 200: ALERTS + READS}), statuses

        deadline = time.monotonic() + 120
        while (report := helper(env, "report"))["states"].keys() - {"sent"}:
            assert time.monotonic() < deadline, report["states"]
            time.sleep(1)
        assert report["incidents"] == 1 + CREATES + ALERTS
        assert report["states"] == {"sent": len(report["events"])}
        assert sorted(receiver.inbox.received) == report["events"]
        assert receiver.inbox.refused == []
        twice = [uid for uid, n in Counter(receiver.inbox.deliveries).items() if n > 1]
        assert twice == [held], "only the dead worker's event was sent again, with its id"
    finally:
        for process in [*workers, *(server for _, server in servers)]:
            process.terminate()
        for process in [*workers, *(server for _, server in servers)]:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        receiver.close()
