"""Full-text search (FTS5 on SQLite, full-text search on PostgreSQL) and similar incidents."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from learnloop.accounts.models import Membership, Organisation
from learnloop.actions.models import ActionKind
from learnloop.actions.services import add_action
from learnloop.analysis.models import KeyEvent
from learnloop.cli import main
from learnloop.incidents.models import Incident
from learnloop.incidents.services import record_incident
from learnloop.insights import search as index
from learnloop.insights.models import SearchDocument
from learnloop.insights.search import search, similar_incidents
from learnloop.lib.planner import refresh_statistics
from learnloop.narratives import services
from learnloop.trackers import worker
from tests.conftest import World

pytestmark = pytest.mark.django_db(transaction=True)  # the index is written after commit


def test_search_finds_words_from_narratives_key_events_and_actions(world: World):
    incident = record_incident(world.org, None, title="Checkout outage", team=world.payments)
    KeyEvent.objects.create(incident=incident, description="The certificate rotation expired")
    add_action(
        incident,
        None,
        title="Automate renewal of gateway credentials",
        kind=ActionKind.CONFIGURATION,
    )
    narrative = services.narrative_for(incident)
    services.save_version(narrative, "Nobody had rehearsed the failover drill before.", None, 0)
    services.publish(services.change_status(narrative, "in_review"), None)
    services.save_version(narrative, "A draft about the unrehearsed switchover.", None, 1)
    reader = world.member.memberships.get()
    other = record_incident(world.other_org, None, title="Certificate expired elsewhere")
    KeyEvent.objects.create(incident=other, description="certificate")
    assert {h.kind for h in search(reader, "certificates")} == {"key_event"}  # stemmed
    assert [h.kind for h in search(reader, "renewal credentials")] == ["action"]
    assert [h.kind for h in search(reader, "rehearsed failover")] == ["narrative"]
    assert search(reader, "switchover") == [], "a draft's words are for the team only"
    assert search(reader, "checkout")[0].incident_key == incident.key
    assert search(reader, '"; DROP TABLE x; --') == []
    page = world.client_for(world.member).get("/search/", {"q": "certificate"})
    html = page.content.decode()
    assert "Checkout outage" in html and "elsewhere" not in html  # other organisation
    assert '<span class="badge">key event</span>' in html and "key_event" not in html  # words


def test_a_documents_kind_is_not_among_its_words(world: World):
    """SQLite's index holds each document's kind (insights/0005) for the portal: a search for
    the word of a kind finds only documents whose text has it."""
    incident = record_incident(world.org, None, title="Checkout outage", team=world.payments)
    KeyEvent.objects.create(incident=incident, description="The gateway stopped answering")
    add_action(incident, None, title="Alert on gateway silence", kind=ActionKind.CONFIGURATION)
    narrative = services.narrative_for(incident)
    services.save_version(narrative, "Nobody had rehearsed the failover drill before.", None, 0)
    services.publish(services.change_status(narrative, "in_review"), None)
    reader = world.member.memberships.get()
    for kind in ("incident", "key event", "event", "action", "narrative"):
        assert search(reader, kind) == [], kind
    assert {h.kind for h in search(reader, "gateway")} == {"key_event", "action"}
    assert search(reader, "rehearsed")[0].kind == "narrative"


def test_a_near_duplicate_ranks_first_among_similar_incidents(
    world: World, shared_incidents, tmp_path, capsys
):
    assert main(["import", str(shared_incidents), "--org", "acme"]) == 0
    original = json.loads((shared_incidents / "gitlab-2017-01-31-database-outage.json").read_text())
    copy = {
        **original,
        "id": "gitlab-again",
        "title": "Database outage again: " + original["title"],
    }
    copy["timeline"] = original["timeline"][:-3]
    (tmp_path / "again.json").write_text(json.dumps(copy))
    assert main(["import", str(tmp_path / "again.json"), "--org", "acme"]) == 0
    again = Incident.objects.get(key="gitlab-again")
    ranked = similar_incidents(again, Membership.objects.get(user__email="pm@acme.test"))
    assert ranked[0][0] == original["id"]
    assert ranked[0][1] > 0.8 and all(score < ranked[0][1] for _, score in ranked[1:])


def test_similar_incidents_are_found_by_the_words_rare_elsewhere(world: World, monkeypatch):
    """A word in every incident ("outage") would match every document and say nothing; the
    words this incident shares with few others ("zebra", "crossing") find its kin."""
    for n in range(30):
        record_incident(world.org, None, title=f"Checkout outage {n}", summary="outage again")
    kin = record_incident(world.org, None, title="Zebra crossing outage", summary="zebra lights")
    this = record_incident(world.org, None, title="Zebra crossing outage again", summary="zebra")
    refresh_statistics()  # PostgreSQL estimates from its statistics; SQLite counts exactly
    total, found = index.document_frequencies(["outage", "zebra", "crossing", "unheard"])
    assert total >= 32 and found["outage"] >= 30 and found.get("unheard", 0) == 0
    assert found["outage"] > found.get("zebra", 0)
    counts = Counter({"outage": 3, "zebra": 2, "crossing": 1})
    monkeypatch.setattr(index, "SIMILAR_BUDGET", 10)
    assert "outage" not in index._distinctive(counts, total, found)
    reader = Membership.objects.get(user__email="pm@acme.test")
    assert similar_incidents(this, reader)[0][0] == kin.key
    # When even the rarest word matches more than the budget, candidates hold the two rarest
    # words together, and the kin is still found.
    monkeypatch.setattr(index, "SIMILAR_BUDGET", 1)
    assert similar_incidents(this, reader)[0][0] == kin.key


def test_when_every_word_is_common_the_two_rarest_together_find_candidates(
    world: World, monkeypatch
):
    """Over the budget, the incidents holding both of this one's rarest words are candidates,
    not the newest holding one of them; when none holds both, the newest holding the rarest."""
    this = record_incident(world.org, None, title="Lantern crossing", summary="lantern crossing")
    kin = record_incident(world.org, None, title="Lantern crossing repair")
    festivals = {record_incident(world.org, None, title="Lantern festival").key for _ in range(3)}
    guards = {record_incident(world.org, None, title="Crossing guard").key for _ in range(4)}
    # "guard" (these 4 and this one) is rarer than "lantern" (6): no other incident holds both.
    lone = record_incident(world.org, None, title="Lantern guard", summary="guard")
    refresh_statistics()
    _, found = index.document_frequencies(["lantern", "guard"])
    assert found["guard"] < found["lantern"], found
    monkeypatch.setattr(index, "SIMILAR_BUDGET", 1)  # every word is over it
    reader = Membership.objects.get(user__email="pm@acme.test")
    assert [key for key, _ in similar_incidents(this, reader)] == [kin.key]
    alike = {key for key, _ in similar_incidents(lone, reader, limit=10)}
    assert alike == guards and not festivals & alike


def test_the_two_rarest_words_are_told_apart_however_common(world: World, monkeypatch):
    """How many documents hold a word is known past the search's budget: SQLite counted each
    word's matches only up to one past it, so every common word tied and the first two in the
    alphabet ("anchor", "bolt") were taken for the rarest, finding only the decoys."""
    this = record_incident(world.org, None, title="Anchor bolt zebra")
    kin = record_incident(world.org, None, title="Bolt zebra")
    for title, times in (("Anchor bolt", 6), ("Anchor", 3), ("Zebra", 4)):
        for _ in range(times):
            record_incident(world.org, None, title=title)
    refresh_statistics()
    monkeypatch.setattr(index, "MATCH_BUDGET", 5)
    monkeypatch.setattr(index, "SIMILAR_BUDGET", 1)  # every word is over both
    _, found = index.document_frequencies(["anchor", "bolt", "zebra", "bolts", "zébra"])
    if connection.vendor == "sqlite":  # exact, and by the index's own stems and letters
        assert found == {"anchor": 10, "bolt": 8, "zebra": 6, "bolts": 8, "zébra": 6}
    assert found["zebra"] < found["bolt"] < found["anchor"], found
    reader = Membership.objects.get(user__email="pm@acme.test")
    assert [key for key, _ in similar_incidents(this, reader, limit=10)] == [kin.key]


def test_a_word_in_too_many_documents_lists_the_newest_first(world: World, monkeypatch):
    """Ranking every match of a very common word would take most of a second; its matches are
    listed most recently written first instead, and the page and the API say so."""
    for n in range(12):
        record_incident(world.org, None, title=f"Gateway outage {n}", summary="gateway")
    record_incident(world.org, None, title="Gateway zebra")
    refresh_statistics()  # PostgreSQL knows how common a word is from its statistics
    reader = Membership.objects.get(user__email="pm@acme.test")
    assert not search(reader, "gateway").newest_first
    monkeypatch.setattr(index, "MATCH_BUDGET", 5)
    found = search(reader, "gateway", limit=3)
    assert found.newest_first
    assert [h.title for h in found] == ["Gateway zebra", "Gateway outage 11", "Gateway outage 10"]
    client = world.client_for(world.member)
    assert client.get("/api/v1/search", {"q": "gateway"}).json()["order"] == "newest"
    page = client.get("/search/", {"q": "gateway"}).text
    assert "the 13 most recently written are shown first" in page
    assert not search(reader, "gateway zebra").newest_first  # "zebra" is rare: ranked


def test_a_deleted_incident_is_no_longer_found(world: World):
    incident = record_incident(world.org, None, title="Walrus stampede", team=world.payments)
    KeyEvent.objects.create(incident=incident, description="The walrus herd moved")
    reader = Membership.objects.get(user__email="pm@acme.test")
    assert len(search(reader, "walrus")) == 2
    incident.delete()
    assert search(reader, "walrus") == []
    assert not SearchDocument.objects.filter(incident_key=incident.key).exists()


def test_a_deleted_organisation_leaves_nothing_in_the_full_text_index(world: World):
    """Its documents go with it (a cascade), and so do their rows of SQLite's full-text table,
    which no foreign key links to them: a row left behind would hold its id, and a document
    given that id later could not be indexed."""
    other = Organisation.objects.create(name="Gone", slug="gone")
    incident = record_incident(other, None, title="Walrus stampede")
    KeyEvent.objects.create(incident=incident, description="The walrus herd moved")
    index.reindex([incident])
    ids = list(SearchDocument.objects.filter(organisation=other).values_list("id", flat=True))
    assert len(ids) == 2
    other.delete()
    assert not SearchDocument.objects.filter(id__in=ids).exists()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT rowid FROM insights_fts WHERE rowid >= %s", [min(ids)])
            assert not set(ids) & {rowid for (rowid,) in cursor.fetchall()}


def test_an_incidents_documents_reach_sqlite_s_full_text_index_in_one_piece(world: World):
    """FTS5 writes what it holds as a new segment whenever a row comes before the last one: an
    incident's documents, given in the order of its search index (key events by their uid),
    became a segment each, and the bench's seed of 100,000 incidents took 40 minutes, not 7.
    With automatic merging off, one rebuild adds one segment."""
    if connection.vendor != "sqlite":
        return  # PostgreSQL's index follows the rows themselves
    incident = record_incident(world.org, None, title="Walrus stampede")
    KeyEvent.objects.bulk_create(
        KeyEvent(incident=incident, description=f"The walrus herd moved {n}", position=n)
        for n in range(40)
    )

    def segments() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(DISTINCT segid) FROM insights_fts_idx")
            return int(cursor.fetchone()[0])

    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO insights_fts(insights_fts, rank) VALUES ('automerge', 0)")
    try:
        before = segments()
        index.reindex([incident])
        assert segments() - before <= 2  # the new documents, and the old ones' deletion
    finally:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO insights_fts(insights_fts, rank) VALUES ('automerge', 4)")
    reader = Membership.objects.get(user__email="pm@acme.test")
    assert len(search(reader, "walrus herd")) == 40


def test_the_incident_page_loads_similar_incidents_after_it(world: World):
    first = record_incident(world.org, None, title="Payment gateway timeout storm")
    second = record_incident(world.org, None, title="Payment gateway timeout storm again")
    client = world.client_for(world.member)
    page = client.get(f"/incidents/{second.key}/").content.decode()
    assert f'hx-get="/incidents/{second.key}/similar/"' in page
    similar = client.get(f"/incidents/{second.key}/similar/").content.decode()
    assert f"/incidents/{first.key}/" in similar


def test_similar_incidents_show_titles_and_open_as_a_whole_page_on_their_own(world: World):
    first = record_incident(world.org, None, title="Payment gateway timeout storm")
    second = record_incident(world.org, None, title="Payment gateway timeout storm again")
    client = world.client_for(world.member)
    fragment = client.get(f"/incidents/{second.key}/similar/", headers={"HX-Request": "true"})
    text = fragment.content.decode()
    assert f"{first.key}: Payment gateway timeout storm</a>" in text
    assert "% alike" in text and "<html" not in text
    page = client.get(f"/incidents/{second.key}/similar/").content.decode()
    assert "<html" in page and "learnloop.css" in page
    assert f"{first.key}: Payment gateway timeout storm</a>" in page


def test_merging_the_full_text_index_keeps_every_match(world: World, capsys: Any):
    """Each change rebuilds the incident's documents, leaving deletions and small pieces in the
    full-text index; merging them (after large imports, by `learnloop reindex`) must change
    nothing that a search finds, on either database."""
    sqlite = connection.vendor == "sqlite"
    if sqlite:  # earlier tests' full-text rows stay (it is not a Django table): count from here
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(rowid), 0) FROM insights_fts")
            (mark,) = cursor.fetchone()
    incidents = [
        record_incident(world.org, None, title=f"Cache stampede {n}", team=world.payments)
        for n in range(5)
    ]
    for incident in incidents[:3]:  # each reindexed after its commit
        KeyEvent.objects.create(incident=incident, description="the cache stampede again")
    reader = Membership.objects.get(user__email="pm@acme.test")

    def found() -> list[tuple[str, str]]:
        return sorted((hit.kind, hit.incident_key) for hit in search(reader, "stampede"))

    before = found()
    assert len(before) == 8
    index.merge_fulltext()
    assert found() == before
    index.reindex_command(everything=True, out=sys.stdout)  # rebuilds all, then merges
    assert "Rebuilt the search documents of" in capsys.readouterr().out
    assert found() == before
    if sqlite:  # each rebuild removed the old documents' full-text rows
        with connection.cursor() as cursor:
            cursor.execute("SELECT rowid FROM insights_fts WHERE rowid > %s", [mark])
            indexed = {rowid for (rowid,) in cursor.fetchall()}
        assert indexed == set(SearchDocument.objects.values_list("id", flat=True))


def test_the_worker_merges_the_full_text_index_once_a_day(world: World, caplog: Any):
    """A worker merges the index a day after it starts, then daily, and not before; search finds
    the same afterwards."""
    record_incident(world.org, None, title="Queue backlog", team=world.payments)
    reader = Membership.objects.get(user__email="pm@acme.test")
    caplog.set_level(logging.INFO, logger="learnloop.trackers.worker")
    later = time.monotonic() + 3600
    assert worker.merge_when_due(later) == later
    assert "merged the full-text index" not in caplog.text
    next_due = worker.merge_when_due(time.monotonic())
    assert "merged the full-text index" in caplog.text
    assert next_due >= time.monotonic() + worker.MERGE_EVERY - 60
    assert [hit.incident_key for hit in search(reader, "backlog")] == ["INC-1"]


def test_sqlite_s_word_counts_are_kept_until_the_index_grows_or_they_age(
    world: World, monkeypatch: Any
):
    """Counting a word's matches is SQLite's estimate of how common it is; a process keeps the
    counts while the index grows by at most GROWN and for KEPT_FOR seconds. PostgreSQL reads
    its statistics each time."""
    for n in range(5):
        record_incident(world.org, None, title=f"Outage {n}")
    refresh_statistics()
    total, first = index.document_frequencies(["outage", "storm"])
    with CaptureQueriesContext(connection) as again:
        assert index.document_frequencies(["outage", "storm"]) == (total, first)
    if connection.vendor != "sqlite":
        assert len(again.captured_queries) == 2  # the table's size and the words' statistics
        return
    assert first["outage"] >= 5
    assert len(again.captured_queries) == 1  # the newest document's id: nothing counted again
    monkeypatch.setattr(index, "GROWN", 1.0)  # a document more is still "the same" index
    record_incident(world.org, None, title="Outage storm")
    assert index.document_frequencies(["outage", "storm"])[1] == first
    monkeypatch.setattr(index, "GROWN", 0.0)  # any new document: counted again
    grown = {"outage": first["outage"] + 1, "storm": first["storm"] + 1}
    assert index.document_frequencies(["outage", "storm"])[1] == grown
    monkeypatch.setattr(index, "GROWN", 1.0)
    monkeypatch.setattr(index, "KEPT_FOR", -1.0)  # every count is too old
    record_incident(world.org, None, title="Storm")
    assert index.document_frequencies(["storm"])[1] == {"storm": grown["storm"] + 1}


def test_postgresql_s_full_text_indexes_keep_short_lists_of_new_entries(world: World):
    """Every search reads all of what a GIN index keeps aside; without autovacuum merging it,
    4 MB of it slowed similar incidents by a fifth (insights/0009)."""
    if connection.vendor != "postgresql":
        return  # FTS5 keeps no such list
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reloptions FROM pg_class WHERE relname IN "
            "('insights_search_vector', 'insights_narrative_vector') ORDER BY relname"
        )
        found = cursor.fetchall()
    assert found == [
        ("insights_narrative_vector", ["gin_pending_list_limit=512"]),
        ("insights_search_vector", ["gin_pending_list_limit=512"]),
    ]
    index.merge_fulltext()  # both lists merged, without an error
