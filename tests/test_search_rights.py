"""Search answers exactly what the pages and the API show the same person: an analyst's key
event is found by that analyst and by whoever manages the incident, never by a plain member;
and nothing committed stays unsearchable, even when the process dies before indexing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User

from learnloop.analysis.models import KeyEvent
from learnloop.analysis.services import add_analyst
from learnloop.cli import main
from learnloop.incidents.models import Incident
from learnloop.incidents.services import record_incident
from learnloop.insights import search, signals
from learnloop.insights.models import IndexBacklog, SearchDocument
from tests.conftest import World

pytestmark = pytest.mark.django_db(transaction=True)  # the index is written after commit


def found_by(world: World, user: User, word: str) -> tuple[set[str], set[str]]:
    """The kinds of hits the search page and the search API give this person."""
    client = world.client_for(user)
    page = client.get("/search/", {"q": word}).content.decode()
    labels = {"key_event": "key event", "incident": "incident"}  # badges say it in words
    kinds_on_page = {k for k, label in labels.items() if f'badge">{label}<' in page}
    answer = client.get("/api/v1/search", {"q": word})
    assert answer.status_code == 200, answer.content
    return kinds_on_page, {hit["kind"] for hit in answer.json()["items"]}


def test_search_shows_an_analysts_key_event_only_to_those_the_api_shows_it_to(world: World):
    incident = record_incident(world.org, None, title="Card declines", team=world.payments)
    assignment = add_analyst(incident, world.alice)
    KeyEvent.objects.create(
        incident=incident, assignment=assignment, description="The zebrafish cache was cold"
    )
    KeyEvent.objects.create(incident=incident, description="Report says the walrus paged")
    people = {
        "analyst": world.alice,
        "another analyst": world.bob,
        "the team's product manager": world.payments_pm,
        "another team's product manager": world.search_pm,
        "problem manager": world.problem_manager,
        "admin": world.admin,
        "member": world.member,
        "another organisation's admin": world.outsider,
    }
    for label, user in people.items():
        timeline = world.client_for(user).get(f"/api/v1/incidents/{incident.key}/key-events")
        api_shows = timeline.status_code == 200 and any(
            "zebrafish" in e["description"] for e in timeline.json()
        )
        on_page, in_api = found_by(world, user, "zebrafish")
        expected = {"key_event"} if api_shows else set()
        assert on_page == in_api == expected, label
        outsider = user == world.outsider
        assert found_by(world, user, "walrus")[1] == (set() if outsider else {"key_event"}), label
    assert not found_by(world, world.member, "zebrafish")[1]  # the finding itself


def test_the_search_api_pages_and_links(world: World):
    for n in range(5):
        record_incident(world.org, None, title=f"Gateway storm number {n}", team=world.payments)
    client = world.client_for(world.member)
    first = client.get("/api/v1/search", {"q": "gateway storm", "limit": 3}).json()
    assert len(first["items"]) == 3 and first["next_offset"] == 3
    rest = client.get("/api/v1/search", {"q": "gateway storm", "offset": 3}).json()
    assert len(rest["items"]) == 2 and rest["next_offset"] is None
    keys = {h["key"] for h in first["items"] + rest["items"]}
    assert len(keys) == 5
    hit = first["items"][0]
    assert hit["url"] == f"/incidents/{hit['key']}/" and hit["title"].startswith("Gateway storm")
    assert client.get("/api/v1/search").status_code == 422  # q is required
    assert world.client_for(world.outsider).get("/api/v1/search", {"q": "gateway"}).json() == {
        "items": [],
        "order": "relevance",
        "next_offset": None,
    }


def test_similar_incidents_count_only_words_the_reader_may_read(world: World):
    first = record_incident(world.org, None, title="Disk filled", team=world.payments)
    second = record_incident(world.org, None, title="Queue stalled", team=world.payments)
    assignment = add_analyst(second, world.alice)
    KeyEvent.objects.create(
        incident=second,
        assignment=assignment,
        description="Disk filled disk filled disk filled",
    )
    member = world.client_for(world.member).get(f"/incidents/{first.key}/similar/")
    analyst = world.client_for(world.alice).get(f"/incidents/{first.key}/similar/")
    assert f"/incidents/{second.key}/" in analyst.content.decode()
    assert f"/incidents/{second.key}/" not in member.content.decode()


def reports(shared_incidents: Any, folder: Any, count: int, word: str = "Ostrich") -> None:
    """Real reports from ../shared, renamed so that a word finds exactly them."""
    real = json.loads(sorted(shared_incidents.glob("*.json"))[0].read_text())
    folder.mkdir(exist_ok=True)
    for n in range(count):
        copy = {**real, "id": f"ostrich-{n}", "title": f"{word} outage {n}"}
        (folder / f"r{n}.json").write_text(json.dumps(copy))


def test_an_import_killed_before_its_indexing_is_repaired_by_the_next_run(
    world: World, tmp_path: Any, monkeypatch: Any, capsys: Any, shared_incidents: Any
):
    """The process dies after an import of changed reports has committed and before the
    indexing that follows it: the changes are in the database, the backlog says their incidents
    are unindexed, and the next import (or the worker, or learnloop reindex) rebuilds them. (New
    reports are indexed in the import's own transaction.)"""
    folder = tmp_path / "reports"
    reports(shared_incidents, folder, 3)
    assert main(["import", str(folder), "--org", "acme"]) == 0
    assert not IndexBacklog.objects.exists()
    reports(shared_incidents, folder, 3, word="Pelican")
    with monkeypatch.context() as dying:
        # Killed right after the commit: neither the indexing after it nor anything else ran.
        dying.setattr(signals.transaction, "on_commit", lambda work: None)
        dying.setattr(search, "repair", lambda: 0)
        assert main(["import", str(folder), "--org", "acme"]) == 0
    assert Incident.objects.filter(title__startswith="Pelican outage").count() == 3
    stale = SearchDocument.objects.filter(incident_key__startswith="ostrich-", kind="key_event")
    assert not stale.filter(title__startswith="Pelican").exists()
    assert IndexBacklog.objects.count() == 3
    capsys.readouterr()
    assert main(["import", str(folder), "--org", "acme"]) == 0
    output = capsys.readouterr()
    assert output.out.count("unchanged") == 3
    assert "rebuilt the documents of 3 incidents" in output.err
    assert not IndexBacklog.objects.exists()
    hits = world.client_for(world.member).get("/api/v1/search", {"q": "pelican"}).json()
    assert {h["key"] for h in hits["items"]} == {"ostrich-0", "ostrich-1", "ostrich-2"}


def test_learnloop_reindex_rebuilds_the_backlog_or_everything(world: World, capsys: Any):
    incident = record_incident(world.org, None, title="Heron outage", team=world.payments)
    SearchDocument.objects.filter(incident_key=incident.key).delete()
    assert main(["reindex"]) == 0 and "of 0 incidents" in capsys.readouterr().out
    assert main(["reindex", "--all"]) == 0 and "of 1 incidents" in capsys.readouterr().out
    assert SearchDocument.objects.filter(incident_key=incident.key, kind="incident").exists()


DIE_AFTER_COMMIT = """
import os, sys
from django.db import transaction
from learnloop.insights import signals

# The first work after the import's commit is the indexing: the process dies instead, at once,
# as under kill -9 (no cleanup, no exit handlers).
after_commit = transaction.on_commit
signals.transaction.on_commit = lambda work: after_commit(lambda: os._exit(9))
from learnloop.cli import main
main(sys.argv[1:])
"""


def test_a_real_process_killed_after_the_import_commit_leaves_nothing_unsearchable(
    tmp_path: Any, shared_incidents: Any
):
    """A separate `learnloop import` of changed reports dies right after its commit, before any
    indexing; the next import finds the incidents unindexed and indexes them."""
    import os
    import sqlite3
    import subprocess
    import sys

    folder = tmp_path / "reports"
    reports(shared_incidents, folder, 3)
    data = tmp_path / "data"
    env = {**os.environ, "LEARNLOOP_DATA_DIR": str(data), "LEARNLOOP_DATABASE_URL": ""}
    env["DJANGO_SETTINGS_MODULE"] = "learnloop.settings"
    assert subprocess.run([sys.executable, "-m", "learnloop", "migrate"], env=env).returncode == 0

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)

    first = run(sys.executable, "-m", "learnloop", "import", str(folder))
    assert first.returncode == 0 and first.stdout.count("created") == 3, first.stderr
    reports(shared_incidents, folder, 3, word="Pelican")
    boot = "import django; django.setup()\n"
    killed = run(sys.executable, "-c", boot + DIE_AFTER_COMMIT, "import", str(folder))
    assert killed.returncode == 9, killed.stderr
    database = sqlite3.connect(data / "learnloop.sqlite3")

    def count(sql: str) -> int:
        return int(database.execute(sql).fetchone()[0])

    renamed = "SELECT count(*) FROM incidents_incident WHERE title LIKE 'Pelican outage%'"
    assert count(renamed) == 3  # committed
    timeline = "SELECT count(*) FROM insights_searchdocument WHERE kind='key_event' AND "
    assert count(timeline + "title LIKE 'Pelican%'") == 0  # never rebuilt
    assert count("SELECT count(*) FROM insights_indexbacklog") == 3
    again = run(sys.executable, "-m", "learnloop", "import", str(folder))
    assert again.returncode == 0 and again.stdout.count("unchanged") == 3, again.stderr
    assert count("SELECT count(*) FROM insights_indexbacklog") == 0
    assert count(timeline + "title LIKE 'Ostrich%'") == 0
    assert count(timeline + "title LIKE 'Pelican%'") > 0
