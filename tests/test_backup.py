"""`learnloop backup` and `learnloop restore`: a backup taken while a writer is busy is one
consistent moment; restored into SQLite and into PostgreSQL, the system gives back the same
export, cost report, audit trail and tracker secret; a damaged, cut-short or foreign archive,
a database that holds data and a missing key are refused with a sentence and nothing written;
and docs/operations.md's move from SQLite to PostgreSQL runs as written."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sqlite3
import subprocess
import threading
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connection, transaction

from learnloop import demo
from learnloop.analysis.models import AnalysisAssignment, KeyEvent
from learnloop.audit.queries import Filters, entries, json_lines
from learnloop.cli import main
from learnloop.incidents.services import next_key, record_incident
from learnloop.trackers.models import TrackerConnection
from tests.test_cli import LEARNLOOP

pytestmark = pytest.mark.django_db(transaction=True)  # the backup reads what was committed

SECRET = "jira-token-that-must-survive"
POSTGRES = os.environ.get("LEARNLOOP_POSTGRES_ADMIN_URL", "postgres://postgres@127.0.0.1:5432")
DOCS = Path(__file__).resolve().parents[1] / "docs" / "operations.md"


def key_settings() -> dict[str, str]:
    """What opens the test database's secrets, for a learnloop in another process."""
    if settings.ENCRYPTION_KEY:
        return {"LEARNLOOP_ENCRYPTION_KEY": settings.ENCRYPTION_KEY}
    return {"LEARNLOOP_OLD_ENCRYPTION_KEYS": settings.SECRET_KEY}


def run(
    data: Path, *args: str, database: str = "", **more: str
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LEARNLOOP_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(LEARNLOOP_DATA_DIR=str(data), LEARNLOOP_DATABASE_URL=database, **more)
    return subprocess.run(
        [LEARNLOOP, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


@contextlib.contextmanager
def empty_postgres(name: str) -> Iterator[str]:
    """A new, empty PostgreSQL database; required in CI, a laptop without one skips."""
    try:
        admin = psycopg.connect(f"{POSTGRES}/postgres", autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"NOTICE: PostgreSQL at {POSTGRES} is unreachable: restore into it skipped")
    database = f"{name}_{os.getpid()}"
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        yield f"{POSTGRES}/{database}"
    finally:
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def seeded() -> None:
    demo.seed()
    tracker = TrackerConnection(
        team=demo_team(), kind="jira_cloud", base_url="https://northwind.atlassian.net"
    )
    tracker.project, tracker.account, tracker.token = "TRK", "bot@northwind.test", SECRET
    tracker.save()


def demo_team() -> Any:
    from learnloop.accounts.models import Team

    return Team.objects.get(slug="tracking")


def outputs_here(tmp_path: Path) -> dict[str, Any]:
    main(["export", "--org", "northwind", "--output", str(tmp_path / "here.json")])
    costs = io.StringIO()
    with contextlib.redirect_stdout(costs):
        main(["costs", "--org", "northwind", "--format", "json", "--from", "2020-01-01"])
    kept = entries(demo_team().organisation_id, Filters()).exclude(action__in=SINCE)
    trail = "".join(json_lines(kept))
    periods = AnalysisAssignment.objects.filter(incident__organisation=demo_team().organisation)
    open_periods = sorted(
        str(u) for u in periods.filter(submitted_at=None).values_list("uid", flat=True)
    )
    assert 0 < len(open_periods) < periods.count()  # some reports are in, some not
    return {
        "export": without_stamp((tmp_path / "here.json").read_text()),
        "costs": costs.getvalue(),
        "trail": trail,
        "secret": TrackerConnection.objects.get().token,
        "open": open_periods,
    }


SHOW = (
    "from learnloop.audit.queries import Filters, entries, json_lines; "
    "from learnloop.accounts.models import Organisation as O; "
    "from learnloop.trackers.models import TrackerConnection as T; "
    "from learnloop.analysis.models import AnalysisAssignment as A; "
    "import json; o = O.objects.get(slug='northwind'); "
    "print(json.dumps({'trail': ''.join(json_lines(entries(o.pk, Filters()).exclude("
    "action__in=['exported', 'restored']))), 'secret': T.objects.get().token, "
    "'restores': entries(o.pk, Filters(action='restored')).count(), "
    "'open': sorted(str(u) for u in A.objects.filter(incident__organisation=o, "
    "submitted_at=None).values_list('uid', flat=True))}))"
)
SINCE = ["exported", "restored"]  # what comparing the two systems itself records


def outputs_there(data: Path, database: str, tmp_path: Path) -> dict[str, Any]:
    keys = key_settings()
    out = tmp_path / f"there-{abs(hash(database))}.json"
    exported = run(
        data, "export", "--org", "northwind", "--output", str(out), database=database, **keys
    )
    assert exported.returncode == 0, exported.stderr
    costs = run(
        data, "costs", "--org", "northwind", "--format", "json", "--from", "2020-01-01",
        database=database, **keys,
    )  # fmt: skip
    shown = run(data, "manage", "shell", "-c", SHOW, database=database, **keys)
    assert shown.returncode == 0, shown.stderr
    found = json.loads(shown.stdout.strip().splitlines()[-1])
    assert found["restores"] == 1  # the restore is itself in the trail
    return {
        "export": without_stamp(out.read_text()),
        "costs": costs.stdout,
        "trail": found["trail"],
        "secret": found["secret"],
        "open": found["open"],
    }


def without_stamp(text: str) -> str:
    return re.sub(r'"exported_at": "[^"]+"', '"exported_at": ""', text)


def test_restored_into_sqlite_and_postgresql_the_system_is_the_same(tmp_path: Path):
    seeded()
    main(["costs", "--org", "northwind", "--format", "json"])  # the ledger is posted
    here = outputs_here(tmp_path)
    archive = tmp_path / "northwind.zip"
    assert main(["backup", str(archive)]) == 0
    assert archive.stat().st_mode & 0o777 == 0o600

    sqlite_dir = tmp_path / "restored-sqlite"
    restored = run(sqlite_dir, "restore", str(archive), **key_settings())
    assert restored.returncode == 0, restored.stderr
    assert outputs_there(sqlite_dir, "", tmp_path) == here

    with empty_postgres("ll_backup_restore") as database:
        restored = run(
            tmp_path / "pg", "restore", str(archive), database=database, **key_settings()
        )
        assert restored.returncode == 0, restored.stderr
        assert outputs_there(tmp_path / "pg", database, tmp_path) == here
        # New rows continue after the restored ones (PostgreSQL's sequences were moved on).
        more = run(
            tmp_path / "pg", "manage", "shell", "-c",
            "from learnloop.incidents.services import record_incident as r; "
            "from learnloop.accounts.models import Organisation as O; "
            "print(r(O.objects.get(slug='northwind'), None, title='After the move').key)",
            database=database, **key_settings(),
        )  # fmt: skip
        assert more.returncode == 0, more.stderr  # no clash with a restored row's id
        with transaction.atomic():
            expected = next_key(demo_team().organisation)
        assert more.stdout.strip().endswith(expected)


def test_a_backup_taken_while_a_writer_is_busy_is_one_moment(tmp_path: Path):
    from learnloop.accounts.models import Organisation

    organisation = Organisation.objects.create(name="Busy", slug="busy")
    stop = threading.Event()
    written: list[int] = []
    errors: list[BaseException] = []

    def writer() -> None:
        from django.db import transaction

        try:
            while not stop.is_set():
                with transaction.atomic():
                    incident = record_incident(organisation, None, title="Written meanwhile")
                    KeyEvent.objects.bulk_create(
                        KeyEvent(incident=incident, description=f"event {n}", position=n)
                        for n in range(5)
                    )
                written.append(incident.pk)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    archives = []
    try:
        while len(written) < 5:
            stop.wait(0.05)
        for number in range(3):
            archives.append(tmp_path / f"busy-{number}.zip")
            assert main(["backup", str(archives[-1])]) == 0
    finally:
        stop.set()
        thread.join(60)
    assert not errors, errors
    seen = []
    for archive in archives:
        with zipfile.ZipFile(archive) as opened:
            incidents = [
                json.loads(x) for x in opened.read("tables/incidents.incident.jsonl").splitlines()
            ]
            events = [
                json.loads(x) for x in opened.read("tables/analysis.keyevent.jsonl").splitlines()
            ]
        per_incident = Counter(e["fields"]["incident"] for e in events)
        assert incidents and all(per_incident[i["pk"]] == 5 for i in incidents), archive
        assert sum(per_incident.values()) == 5 * len(incidents)  # no event without its incident
        seen.append(len(incidents))
    assert seen == sorted(seen) and seen[-1] < len(written) + 1
    restored = run(tmp_path / "restored", "restore", str(archives[-1]), **key_settings())
    assert restored.returncode == 0, restored.stderr


def rows_of(archive: zipfile.ZipFile, label: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in archive.read(f"tables/{label}.jsonl").splitlines()]


def rows_in(data: Path, table: str) -> int:
    path = data / "learnloop.sqlite3"
    if not path.exists():
        return 0
    with contextlib.closing(sqlite3.connect(path)) as database:
        found = database.execute(
            "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?", (table,)
        ).fetchone()[0]
        return database.execute(f"SELECT count(*) FROM {table}").fetchone()[0] if found else 0  # noqa: S608


def test_what_cannot_be_restored_is_refused_and_nothing_is_written(tmp_path: Path):
    seeded()
    archive = tmp_path / "good.zip"
    assert main(["backup", str(archive)]) == 0
    whole = archive.read_bytes()

    damaged = []
    with zipfile.ZipFile(archive) as opened:
        info = opened.getinfo("tables/incidents.incident.jsonl")
    for eighth in (1, 4, 7):  # a flipped byte early, in the middle and late in one member
        spoilt = bytearray(whole)
        spoilt[info.header_offset + 80 + info.compress_size * eighth // 8] ^= 0xFF
        damaged.append(tmp_path / f"damaged-{eighth}.zip")
        damaged[-1].write_bytes(bytes(spoilt))
    cut = tmp_path / "cut.zip"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    foreign = tmp_path / "foreign.zip"
    with zipfile.ZipFile(foreign, "w") as opened:
        opened.writestr("manifest.json", json.dumps({"format": "something else"}))

    for bad, said in (
        *((spoilt_one, "damaged") for spoilt_one in damaged),
        (cut, "not a readable ZIP archive"),
        (foreign, "not a learnloop backup"),
        (tmp_path / "missing.zip", "no such file"),
    ):
        data = tmp_path / f"target-{bad.stem}"
        refused = run(data, "restore", str(bad), **key_settings())
        assert refused.returncode == 1, (bad, refused.stdout, refused.stderr)
        assert "nothing restored" in refused.stderr and said in refused.stderr, refused.stderr
        assert rows_in(data, "incidents_incident") == 0

    keyless = run(tmp_path / "keyless", "restore", str(archive))  # another data folder's key
    assert keyless.returncode == 1 and "sealed with another encryption key" in keyless.stderr
    assert rows_in(tmp_path / "keyless", "incidents_incident") == 0

    target = tmp_path / "target"
    assert run(target, "restore", str(archive), **key_settings()).returncode == 0
    count = rows_in(target, "incidents_incident")
    again = run(target, "restore", str(archive), **key_settings())
    assert again.returncode == 1 and "the database is not empty" in again.stderr
    replaced = run(target, "restore", "--replace", str(archive), **key_settings())
    assert replaced.returncode == 0, replaced.stderr
    assert rows_in(target, "incidents_incident") == count


def recipe() -> str:
    text = DOCS.read_text()
    part = text.split("## Moving from the embedded SQLite to PostgreSQL", 1)[1]
    found = re.search(r"```sh\n(.*?)```", part, re.S)
    assert found, "the recipe's shell block is missing from docs/operations.md"
    return found.group(1)


def test_the_documented_move_from_sqlite_to_postgresql_runs_as_written(tmp_path: Path):
    (tmp_path / "secrets").mkdir(mode=0o700)
    data = tmp_path / "data"
    assert run(data, "migrate").returncode == 0
    seeded_there = run(data, "manage", "shell", "-c", "from learnloop.demo import seed; seed()")
    assert seeded_there.returncode == 0, seeded_there.stderr
    before = run(data, "export", "--org", "northwind", "--output", str(tmp_path / "before.json"))
    assert before.returncode == 0, before.stderr
    with empty_postgres("ll_recipe") as database:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("LEARNLOOP_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
        }
        env.update(
            DATA_DIR=str(data),
            ARCHIVE=str(tmp_path / "move.zip"),
            NEW_DATABASE_URL=database,
            KEY_FILE=str(tmp_path / "secrets" / "encryption.key"),
            PATH=f"{Path(LEARNLOOP).parent}:{env['PATH']}",
        )
        moved = subprocess.run(
            ["bash", "-c", recipe()], env=env, capture_output=True, text=True, timeout=600
        )
        assert moved.returncode == 0, moved.stdout + moved.stderr
        after = run(
            data, "export", "--org", "northwind", "--output", str(tmp_path / "after.json"),
            database=database,
            LEARNLOOP_ENCRYPTION_KEY_FILE=str(tmp_path / "secrets" / "encryption.key"),
        )  # fmt: skip
        assert after.returncode == 0, after.stderr
    assert without_stamp((tmp_path / "after.json").read_text()) == without_stamp(
        (tmp_path / "before.json").read_text()
    )
