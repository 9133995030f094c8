from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from learnloop.analysis.models import KeyEvent
from learnloop.cli import main
from learnloop.incidents.models import Incident
from learnloop.incidents.services import policy_for, record_incident
from learnloop.insights.models import IndexBacklog, SearchDocument
from learnloop.insights.search import reindex, search
from tests.conftest import World
from tests.test_intake import pagerduty_source, pd_sequence, post_pd

pytestmark = pytest.mark.django_db(transaction=True)


def test_many_changes_in_one_transaction_reindex_the_incident_once(world: World):
    incident = record_incident(world.org, None, title="Outage", team=world.payments)
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        for n in range(30):
            KeyEvent.objects.create(incident=incident, description=f"event {n}", position=n)
    deletes = [
        q
        for q in captured.captured_queries
        if q["sql"].startswith('DELETE FROM "insights_searchdocument"')
    ]
    assert len(deletes) == 1
    assert SearchDocument.objects.filter(kind="key_event").count() == 30


def test_a_rolled_back_change_does_not_stop_later_reindexing(world: World):
    incident = record_incident(world.org, None, title="Outage", team=world.payments)
    with pytest.raises(RuntimeError), transaction.atomic():
        KeyEvent.objects.create(incident=incident, description="lost")
        raise RuntimeError
    KeyEvent.objects.create(incident=incident, description="kept")
    assert list(SearchDocument.objects.filter(kind="key_event").values_list("body", flat=True)) == [
        "kept  "
    ]


def test_a_recorded_incident_is_indexed_in_the_transaction_that_records_it(world: World):
    """Nothing is left for later (no backlog row, no second transaction), and a recording
    that is rolled back leaves no document behind."""
    policy_for(world.org)  # an organisation's first create writes its policy, on its own
    with CaptureQueriesContext(connection) as captured:
        incident = record_incident(world.org, None, title="Checkout outage", team=world.payments)
    assert not IndexBacklog.objects.exists()
    statements = [q["sql"].strip() for q in captured.captured_queries]
    begins = [at for at, sql in enumerate(statements) if sql.startswith("BEGIN")]
    # One transaction, the create's; none for indexing. The key is taken before it, by
    # statements committed on their own (next_key: the organisation's first makes its counter).
    assert len(begins) == 1
    key_taking = [at for at, sql in enumerate(statements) if "incidents_keycounter" in sql]
    assert key_taking and all(at < begins[0] for at in key_taking)
    found = SearchDocument.objects.get(incident_key=incident.key)
    assert (found.kind, found.title) == ("incident", "Checkout outage")
    assert [
        hit.incident_key for hit in search(world.payments_pm.memberships.get(), "checkout")
    ] == [incident.key]
    with pytest.raises(RuntimeError), transaction.atomic():
        record_incident(world.org, None, title="Never recorded", team=world.payments)
        raise RuntimeError
    assert not SearchDocument.objects.filter(title="Never recorded").exists()
    assert search(world.payments_pm.memberships.get(), "recorded") == []


def test_what_imports_and_intake_write_in_bulk_is_found(
    world: World, shared_incidents: Path, tmp_path: Path
):
    """Bulk writes send no signals; an imported report's timeline and actions, a timeline event
    added by importing the report again, and the moments an alert brings are indexed all the
    same."""
    report = sorted(shared_incidents.glob("*.json"))[0]
    doc = json.loads(report.read_text())
    assert main(["import", str(report), "--org", world.org.slug]) == 0
    indexed = SearchDocument.objects.filter(incident_key=doc["id"])
    assert indexed.filter(kind="key_event").count() == len(doc["timeline"])
    assert indexed.filter(kind="action").count() == len(doc["improvement_actions"])

    doc["timeline"].append({"timestamp_utc": None, "precision": "unknown", "event": "Zanzibar"})
    again = tmp_path / report.name
    again.write_text(json.dumps(doc))
    assert main(["import", str(again), "--org", world.org.slug]) == 0
    member = world.member.memberships.get()
    assert [hit.incident_key for hit in search(member, "zanzibar")] == [doc["id"]]

    source = pagerduty_source(world)
    for body in pd_sequence():
        post_pd(source, body)
    incident = Incident.objects.get(intake_refs__source=source)
    events = SearchDocument.objects.filter(incident_key=incident.key, kind="key_event")
    assert events.count() == incident.key_events.count() > 0


def test_a_rebuild_plans_its_statements_for_the_documents_as_they_are_now(world: World):
    """Statements are prepared after five runs on a connection (PostgreSQL). A rebuild grows the
    table it reads; a plan kept from when it was small read every document for each batch."""
    incident = record_incident(world.org, None, title="Outage", team=world.payments)
    for n in range(3):
        KeyEvent.objects.create(incident=incident, description=f"event {n}", position=n)
    for _ in range(10):
        reindex([incident])
    assert SearchDocument.objects.filter(incident_key=incident.key).count() == 4
    if connection.vendor != "postgresql":
        return  # SQLite plans each statement where it is prepared, with the table as it is
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE 'DELETE FROM \"insights_searchdocument\"%%'"
        )
        plans = cursor.fetchall()
    assert plans, "the rebuild's delete was not prepared: nothing to check"
    assert all(generic == 0 and custom >= 5 for generic, custom in plans)
