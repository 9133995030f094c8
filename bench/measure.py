"""The measurements: in-process through Django's test client (the app's own cost), over real
HTTP against gunicorn as `learnloop serve` runs it, and write throughput."""

from __future__ import annotations

import logging
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.seed import reader, reader_client
from learnloop.accounts.models import ApiToken, Membership, Organisation, Role
from learnloop.incidents.models import Incident

Row = tuple[str, str, str, str]  # what, p50 or rate, p95, queries / note


class RollbackError(Exception):
    """Raised to undo what a write benchmark wrote."""


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed(fn: Callable[[int], Any], n: int) -> list[float]:
    for i in range(min(10, n)):  # warm up
        fn(i)
    samples = []
    for i in range(n):
        started = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def row(what: str, samples: list[float], note: str) -> Row:
    return (
        what,
        f"{statistics.median(samples):.1f} ms",
        f"{percentile(samples, 0.95):.1f} ms",
        note,
    )


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    return len(captured.captured_queries)


# What the searches look for: common words alone (listed newest first) and rarer pairs (ranked).
SEARCHED = ("cache", "timeout replica", "certificate", "retry storm", "disk", "load balancer")


def in_process(org: Organisation, n: int) -> list[Row]:
    client = reader_client()
    rng = random.Random(7)
    keys = list(Incident.objects.filter(organisation=org).values_list("key", flat=True)[:20_000])
    teams = [f"team-{t:02}" for t in range(50)]
    urls: dict[str, Callable[[int], str]] = {
        "list API, filtered by team": lambda i: f"/api/v1/incidents?team={teams[i % 50]}",
        "list API, 3rd page of severity 2": lambda i: "/api/v1/incidents?severity=2&offset=50",
        "list page, unfiltered": lambda i: "/incidents/",
        "list page, filtered by team": lambda i: f"/incidents/?team={teams[i % 50]}",
        "incident page": lambda i: f"/incidents/{rng.choice(keys)}/",
        "incident API": lambda i: f"/api/v1/incidents/{rng.choice(keys)}",
        "search page": lambda i: f"/search/?{urlencode({'q': SEARCHED[i % len(SEARCHED)]})}",
        "search API": lambda i: f"/api/v1/search?{urlencode({'q': SEARCHED[i % len(SEARCHED)]})}",
    }
    rows = []
    for what, url in urls.items():
        samples = timed(lambda i, url=url: client.get(url(i)), n)  # type: ignore[misc]
        rows.append(row(f"{what} (in process)", samples, f"{queries(client, url(0))} queries"))
    # The form offers every person of the organisation as a responder, and its teams and services.
    manager = Client()
    manager.force_login(
        Membership.objects.filter(organisation=org, role=Role.PRODUCT_MANAGER)[0].user
    )
    people = Membership.objects.filter(organisation=org).count()
    samples = timed(lambda i: manager.get("/incidents/new/"), n)
    note = f"{queries(manager, '/incidents/new/')} queries; {people} people to choose from"
    rows.append(row("new incident form, a product manager (in process)", samples, note))
    # The ledger as posted (by the worker; here once, if never yet), for the manager's team: the
    # three years the bench holds.
    from learnloop.costs import ledger

    if ledger.settings_of(org).ledger_posted_at is None:
        ledger.post(org)
    team = Membership.objects.filter(organisation=org, role=Role.PRODUCT_MANAGER)[0].team
    assert team is not None, "the bench's product managers have a team"
    period = "from=2024-01-01&to=2026-12-31"
    for what, address in (
        ("team cost page, 3 years", f"/teams/{team.slug}/costs/?{period}"),
        ("costs API, one team, 3 years", f"/api/v1/costs?team={team.slug}&start=2024-01-01"),
    ):
        samples = timed(lambda i, address=address: manager.get(address), n)  # type: ignore[misc]
        note = f"{queries(manager, address)} queries"
        rows.append(row(f"{what} (in process)", samples, note))
    return rows


def facts_document(n: int) -> dict[str, Any]:
    start = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=n)
    return {
        "schema_version": "1.0",
        "id": f"bench-report-{n}",
        "title": f"Generated report {n}",
        "organisation": "Bench",
        "service": f"Service {n % 40}",
        "sources": [{"role": "primary", "title": "generated", "url": "https://example.invalid"}],
        "timezone_in_source": "UTC",
        "start_time_utc": start.isoformat().replace("+00:00", "Z"),
        "end_time_utc": (start + timedelta(hours=2)).isoformat().replace("+00:00", "Z"),
        "impact": {"summary": "Generated impact", "customer_facing": n % 2 == 0},
        "timeline": [
            {
                "timestamp_utc": (start + timedelta(minutes=5 * i))
                .isoformat()
                .replace("+00:00", "Z")
                if i % 7
                else None,
                "precision": "minute" if i % 7 else "unknown",
                "actor_role": "engineer",
                "event_type": "diagnosis",
                "event": f"Event {i} of report {n}",
            }
            for i in range(20)
        ],
        "contributing_factors": {"technical": ["A", "B"], "human_organisational": ["C"]},
        "improvement_actions": [
            {"action": f"Action {i}", "category": "technical", "status_in_report": "planned"}
            for i in range(3)
        ],
        "learning_themes": ["capacity", "alerting"],
    }


IMPORTED = 300  # documents of each import measured


def import_seconds() -> float:
    """Seconds to validate, write and index IMPORTED documents into a new organisation, undone
    after."""
    from learnloop.insights.models import IndexBacklog
    from learnloop.insights.search import reindex_batches
    from learnloop.interchange.checks import FACTS, Document, schema_errors
    from learnloop.interchange.importer import import_documents

    docs = [facts_document(n) for n in range(IMPORTED)]
    started = time.perf_counter()
    checked = [
        Document(f"doc-{n}.json", d, FACTS)
        for n, d in enumerate(docs)
        if not schema_errors(f"doc-{n}.json", d, FACTS)
    ]
    try:
        with transaction.atomic():
            target = Organisation.objects.create(name="Import bench", slug="bench-import")
            import_documents(checked, target.slug)
            # What follows the commit: the rebuilt search documents of reports that changed
            # known incidents (none here: new reports are indexed as they are written).
            reindex_batches(list(IndexBacklog.objects.values_list("incident_id", flat=True)))
            elapsed = time.perf_counter() - started
            raise RollbackError
    except RollbackError:
        pass
    return elapsed


def import_seconds_in_a_new_process() -> tuple[float, float]:
    """As `learnloop import` runs, the only way to import: in a process of its own, its collector
    settled as the command settles it (cli.run). The seconds to load the command's modules
    (jsonschema and its dependencies most of them; more where Python may not write its
    bytecode, as on the machines here) and then the seconds to import: loading does not grow
    with the documents, so the rate leaves it out and says it apart."""
    code = (
        "import time, django; django.setup(); from learnloop.lib import collector; "
        "collector.settle(); started = time.perf_counter(); "
        "import learnloop.interchange.importer; loaded = time.perf_counter() - started; "
        "from bench import measure; print(loaded, measure.import_seconds())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=os.environ, capture_output=True, text=True, check=True
    )
    loaded, elapsed = done.stdout.split()[-2:]
    return float(loaded), float(elapsed)


def writes(org: Organisation) -> list[Row]:
    from learnloop.incidents.services import record_incident

    # An import in the bench's own process runs after the sections before it, and its full
    # collections walk what they left (the collector was settled before them, in
    # bench/__main__.py); a new process, as `learnloop import` is, has none of it.
    loaded, first = import_seconds_in_a_new_process()
    rows = [
        (
            f"import (validate + write + index), facts documents of 20 events, {which}",
            f"{IMPORTED / elapsed:.0f} docs/s",
            "",
            f"{IMPORTED} documents in {elapsed:.2f} s{note}",
        )
        for which, elapsed, note in (
            ("in a new process", first, f"; its modules loaded before, in {loaded:.2f} s"),
            ("in the bench's process", import_seconds(), ""),
            ("again", import_seconds(), ""),
        )
    ]
    created = 200
    try:
        with transaction.atomic():
            team = org.teams.first()
            started = time.perf_counter()
            for n in range(created):
                record_incident(
                    org, None, title=f"Created {n}", team=team, severity=2, customer_facing=True
                )
            elapsed = time.perf_counter() - started
            raise RollbackError
    except RollbackError:
        pass
    rows.append(
        (
            "record an incident (policy decides, opens analysis)",
            f"{created / elapsed:.0f} incidents/s",
            "",
            f"{created} incidents",
        )
    )
    return rows


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def memory_mb(pid: int) -> tuple[float, float]:
    """Memory of a process and its children, in MB: resident (each process counts the shared
    pages it touches, so the sum counts them several times) and proportional (each shared page
    divided among the processes sharing it: what the whole server costs the machine)."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    rss = pss = 0
    for each in pids:
        for line in Path(f"/proc/{each}/smaps_rollup").read_text().splitlines():
            name, _, value = line.partition(":")
            if name == "Rss":
                rss += int(value.split()[0])
            elif name == "Pss":
                pss += int(value.split()[0])
    return rss / 1024, pss / 1024


@contextmanager
def serving(
    app: str = "learnloop.wsgi:application", env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Our own server on a free port, started as `learnloop serve` starts it (gunicorn,
    2 workers of 4 threads, the application loaded once before the workers fork); its address
    once it answers, and the process. Stopped afterwards."""
    from learnloop.server import gunicorn_arguments

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, *gunicorn_arguments(f"127.0.0.1:{port}", app)],
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/login/", timeout=2).close()  # noqa: S310
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                time.sleep(0.2)
        yield base, server
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def over_http(n: int) -> list[Row]:
    _, raw = ApiToken.issue(reader(), "bench")
    headers = {"Authorization": f"Bearer {raw}"}
    with serving() as (base, server):
        rng = random.Random(11)

        def get(url: str) -> None:
            request = urllib.request.Request(base + url, headers=headers)  # noqa: S310
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                response.read()

        list_samples = timed(lambda i: get(f"/api/v1/incidents?team=team-{i % 50:02}"), n)
        keys = list(
            Incident.objects.filter(organisation__slug="bench").values_list("key", flat=True)
        )
        item_samples = timed(lambda i: get(f"/api/v1/incidents/{rng.choice(keys)}"), n)
        rss, pss = memory_mb(server.pid)
    return [
        row("list API over HTTP (gunicorn, 2 workers)", list_samples, "sequential requests"),
        row("incident API over HTTP", item_samples, "sequential requests"),
        (
            "server memory (gunicorn master + 2 workers)",
            f"{pss:.0f} MB",
            "",
            f"after the requests above; proportional set size, resident {rss:.0f} MB",
        ),
    ]


def report(org: Organisation, rows: list[Row]) -> None:
    from django.db import connection as db

    incidents = Incident.objects.filter(organisation=org).count()
    events = org.incidents.aggregate(
        n=__import__("django.db.models", fromlist=["Count"]).Count("key_events")
    )["n"]
    print()
    print(
        f"learnloop benchmark: {incidents:,} incidents, {events:,} key events, "
        f"{db.vendor}, {os.cpu_count()} cores"
    )
    width = max(len(r[0]) for r in rows)
    print(f"{'measurement':{width}}  {'p50 / rate':>16}  {'p95':>10}  note")
    for what, first, second, note in rows:
        print(f"{what:{width}}  {first:>16}  {second:>10}  {note}")


def backlog_and_delivery(org: Organisation) -> list[Row]:
    """Ranks a backlog of 5,000 actions and features, and files 200 actions in a local tracker
    server over real sockets. Everything written is rolled back."""
    from decimal import Decimal

    from django.conf import settings

    from learnloop.actions import backlog
    from learnloop.actions.models import ActionKind, ImprovementAction, PlannedFeature
    from learnloop.actions.targets import target_of
    from learnloop.incidents.services import policy_for
    from learnloop.trackers import services
    from learnloop.trackers.models import TrackerConnection, TrackerPush
    from tests.fake_trackers import FakeTrackers
    from tests.queue import run_tracker_pushes

    rows: list[Row] = []
    settings.ALLOW_PRIVATE_DESTINATIONS = True
    for name in ("django_tasks", "django_tasks_db"):  # a line per task would bury the table
        logging.getLogger(name).addFilter(lambda record: record.levelno >= logging.WARNING)
    fake = FakeTrackers()
    try:
        with transaction.atomic():
            team = org.teams.get(slug="team-00")
            incidents = list(Incident.objects.filter(organisation=org, team=team)[:100])
            rng = random.Random(3)
            now, policy = timezone.now(), policy_for(org)
            actions = ImprovementAction.objects.bulk_create(
                ImprovementAction(
                    incident=incidents[n % len(incidents)],
                    organisation=org,
                    idea_at=now,
                    target_at=target_of(now, incidents[n % len(incidents)].severity, policy),
                    owner_team=team,
                    title=f"Action {n}",
                    kind=ActionKind.CODE_FIX,
                    cost_of_delay_per_week=Decimal(rng.randrange(100, 10_000)),
                    estimate_weeks=Decimal(rng.randrange(1, 12)),
                )
                for n in range(4000)
            )
            PlannedFeature.objects.bulk_create(
                PlannedFeature(
                    team=team,
                    title=f"Feature {n}",
                    cost_of_delay_per_week=Decimal(rng.randrange(100, 10_000)),
                    estimate_weeks=Decimal(rng.randrange(1, 12)),
                )
                for n in range(1000)
            )
            samples = timed(lambda i: backlog.ranked(team), 10)
            rows.append(
                row(
                    "rank a backlog of 4,000 actions and 1,000 features",
                    samples,
                    "CD3, accrued cost of delay, overdue",
                )
            )
            connection = TrackerConnection(
                team=team, kind="jira_cloud", base_url=fake.base, account="bench", project="PAY"
            )
            connection.token = "bench"  # noqa: S105 - a local test server
            connection.save()
            for push in TrackerPush.objects.bulk_create(
                TrackerPush(action=a, connection=connection) for a in actions[:200]
            ):
                services.queue(push)
            started = time.perf_counter()
            delivered = run_tracker_pushes()  # inside the transaction rolled back
            elapsed = time.perf_counter() - started
            rows.append(
                (
                    "worker delivery to a local Jira server (one worker)",
                    f"{delivered / elapsed:.0f} actions/s",
                    "",
                    f"{delivered} actions, {len(fake.state.tickets)} tickets",
                )
            )
            raise RollbackError
    except RollbackError:
        pass
    finally:
        fake.close()
    return rows


def learning(org: Organisation, n: int) -> list[Row]:
    """The cost ledger of 50 teams over 3 years, search, and similar incidents."""
    from datetime import date

    from learnloop.costs import ledger, report
    from learnloop.insights.search import search, similar_incidents

    rows: list[Row] = []
    started = time.perf_counter()
    posted = ledger.post(org)
    rows.append(
        (
            "the worker's posting of the ledger, a batch over every source (50 teams, 3 years)",
            f"{time.perf_counter() - started:.1f} s",
            "",
            f"{posted:,} entries appended",
        )
    )
    samples = timed(lambda i: report.summary(org, date(2024, 1, 1), date(2026, 12, 31)), 10)
    note = "whole months from their sums"
    rows.append(row("ledger summary, 50 teams x 4 costs over 3 years", samples, note))
    reader = (
        Membership.objects.filter(organisation=org, role=Role.MEMBER).first()
        or Membership.objects.filter(organisation=org).first()
    )
    assert reader is not None, "the bench organisation has people"
    samples = timed(lambda i: search(reader, SEARCHED[i % len(SEARCHED)]), n)
    rows.append(
        row(
            "full-text search over every incident and key event (the header's counts)",
            samples,
            f"{connection.vendor}",
        )
    )
    incidents = list(Incident.objects.filter(organisation=org)[:50])
    # 100 runs, twice over the 50 incidents: the p95 of 30 was the second slowest run.
    samples = timed(lambda i: similar_incidents(incidents[i % len(incidents)], reader), 100)
    rows.append(row("similar incidents for one incident", samples, ""))
    return rows


def backup_and_restore(org: Organisation) -> list[Row]:
    """`learnloop backup` of the whole bench database, its size, and restoring it into an
    empty SQLite database in another process."""
    import tempfile

    from learnloop.backup.dump import backup

    folder = Path(tempfile.mkdtemp(prefix="bench-backup-"))
    archive = folder / "bench.zip"
    started = time.perf_counter()
    manifest = backup(archive)
    took = time.perf_counter() - started
    rows = sum(m["rows"] for m in manifest["members"])
    size = archive.stat().st_size / 1e6
    from django.conf import settings

    env = {**os.environ, "LEARNLOOP_DATA_DIR": str(folder / "restored")}
    env["LEARNLOOP_DATABASE_URL"] = ""
    env["LEARNLOOP_OLD_ENCRYPTION_KEYS"] = settings.ENCRYPTION_KEY or settings.SECRET_KEY
    learnloop = str(Path(sys.executable).with_name("learnloop"))
    started = time.perf_counter()
    done = subprocess.run([learnloop, "restore", str(archive)], env=env, capture_output=True)
    restored = time.perf_counter() - started
    outcome = "" if done.returncode == 0 else f" (restore failed: {done.stderr[-200:]!r})"
    subprocess.run(["rm", "-rf", str(folder)], check=False)
    return [
        ("learnloop backup (whole database)", f"{took:.1f} s", "", f"{rows:,} rows, {size:.1f} MB"),
        ("learnloop restore into empty SQLite", f"{restored:.1f} s", "", f"{rows:,} rows{outcome}"),
    ]
