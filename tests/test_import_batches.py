"""Reports of new incidents are written in batches (learnloop.interchange.new_reports); what they
write is what the report-at-a-time path writes, in the documents' order, and a batch the
database refuses still names the one document it refused."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from django.db import connection, transaction

from learnloop.accounts.models import Membership, Organisation
from learnloop.cli import main
from learnloop.incidents.models import Incident
from learnloop.insights.models import IndexBacklog, SearchDocument
from learnloop.insights.search import reindex, search
from learnloop.interchange.checks import FACTS, Document
from learnloop.interchange.importer import import_documents
from learnloop.interchange.reports import Catalogue, import_report
from learnloop.interchange.snapshot import export
from learnloop.webhooks.models import EventType, OutboundEvent, Subscription
from tests.conftest import World


def reports(shared_incidents: Path, copies: int) -> list[dict[str, Any]]:
    """The real reports, and copies of them under other ids with other words."""
    real = [json.loads(p.read_text()) for p in sorted(shared_incidents.glob("*.json"))]
    docs = list(real)
    for n in range(copies):
        doc = copy.deepcopy(real[n % len(real)])
        doc["id"] = f"{doc['id']}-copy-{n}"
        doc["title"] = f"{doc['title']} (copy {n})"
        doc["timeline"] = doc["timeline"][n % 3 :]
        doc["learning_themes"] = [*doc.get("learning_themes", []), f"copy theme {n % 4}"]
        docs.append(doc)
    return docs


WRITTEN_AT = {"created_at", "updated_at", "exported_at"}  # when, not what


def exported(organisation: Organisation) -> Any:
    def what(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: what(v) for k, v in value.items() if k not in WRITTEN_AT}
        if isinstance(value, list):
            return [what(item) for item in value]
        return value

    return what(export(organisation))


def test_a_batch_writes_what_one_report_at_a_time_writes(world: World, shared_incidents: Path):
    docs = reports(shared_incidents, 12)
    with transaction.atomic():
        one_at_a_time = Catalogue(world.org)
        for doc in docs:
            import_report(doc, one_at_a_time)
        expected = exported(world.org)
        transaction.set_rollback(True)
    assert not Incident.objects.exists()
    import_documents([Document(f"{d['id']}.json", d, FACTS) for d in docs], world.org.slug)
    assert Incident.objects.filter(organisation=world.org).count() == len(docs)
    assert exported(world.org) == expected


def test_new_and_known_reports_keep_their_order(
    world: World, shared_incidents: Path, tmp_path: Path, capsys: Any
):
    docs = reports(shared_incidents, 4)
    known = docs[1]
    for doc in (known, docs[3]):
        (tmp_path / "first.json").write_text(json.dumps(doc))
        assert main(["import", str(tmp_path / "first.json"), "--org", "acme"]) == 0
    known["title"] = "Changed since the first import"
    for n, doc in enumerate(docs):
        (tmp_path / f"{n:02}.json").write_text(json.dumps(doc))
    (tmp_path / "first.json").unlink()
    capsys.readouterr()
    assert main(["import", str(tmp_path), "--org", "acme"]) == 0
    outcomes = capsys.readouterr().out.splitlines()
    expected = ["created"] * len(docs)
    expected[1], expected[3] = "updated", "unchanged"
    assert outcomes == [f"{o} {d['id']}" for o, d in zip(expected, docs, strict=True)]
    assert Incident.objects.get(key=known["id"]).title == known["title"]


def test_subscribers_hear_of_each_imported_incident_of_consequence(
    world: World, shared_incidents: Path
):
    Subscription.objects.create(
        organisation=world.org, url="https://hooks.example.com/in", types=[]
    )
    docs = reports(shared_incidents, 3)
    import_documents([Document(f"{d['id']}.json", d, FACTS) for d in docs], world.org.slug)
    decided = set(
        Incident.objects.filter(organisation=world.org, of_consequence=True).values_list(
            "key", flat=True
        )
    )
    heard = OutboundEvent.objects.filter(type=EventType.INCIDENT_OF_CONSEQUENCE)
    assert decided and set(heard.values_list("subject", flat=True)) == decided


def indexed(organisation: Organisation) -> set[tuple[Any, ...]]:
    return set(
        SearchDocument.objects.filter(organisation=organisation).values_list(
            "kind", "ref", "incident_key", "title", "body", "analyst_id", "incident_team_id"
        )
    )


def test_a_batch_indexes_what_it_writes_in_its_own_transaction(
    world: World, shared_incidents: Path, django_capture_on_commit_callbacks: Any
):
    """New reports' search documents are made from the rows as they are written, not read back
    after the commit: they are found before it, and they are what a rebuild makes of the rows."""
    docs = reports(shared_incidents, 2)
    word = "zanzibarite"
    docs[-1]["timeline"][-1]["event"] += f" {word}"
    docs[0]["improvement_actions"][0]["action"] += f" {word}"
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        import_documents([Document(f"{d['id']}.json", d, FACTS) for d in docs], world.org.slug)
    assert not after_commit  # nothing left for after the commit
    assert not IndexBacklog.objects.exists()
    reader = Membership.objects.get(user=world.admin)
    assert {hit.incident_key for hit in search(reader, word)} == {docs[0]["id"], docs[-1]["id"]}
    written = indexed(world.org)
    assert {kind for kind, *_ in written} == {"incident", "key_event", "action"}
    reindex(Incident.objects.filter(organisation=world.org))
    assert indexed(world.org) == written
    assert {hit.incident_key for hit in search(reader, word)} == {docs[0]["id"], docs[-1]["id"]}


def refuse_in_the_database(title: str) -> None:
    """A rule only the database knows: it refuses an incident with this title."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "CREATE TRIGGER refuse_title BEFORE INSERT ON incidents_incident "
                f"WHEN NEW.title = '{title}' BEGIN SELECT RAISE(ABORT, 'title refused'); END"
            )
            return
        cursor.execute(
            "CREATE FUNCTION refuse_title() RETURNS trigger AS $$ BEGIN "
            f"IF NEW.title = '{title}' THEN RAISE EXCEPTION 'title refused'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER refuse_title BEFORE INSERT ON incidents_incident "
            "FOR EACH ROW EXECUTE FUNCTION refuse_title()"
        )


def test_a_batch_the_database_refuses_names_the_document_and_writes_nothing(
    world: World, shared_incidents: Path, tmp_path: Path, capsys: Any
):
    docs = reports(shared_incidents, 6)
    docs[7]["title"] = "Refused by the database"
    refuse_in_the_database(docs[7]["title"])
    for n, doc in enumerate(docs):
        (tmp_path / f"{n:02}.json").write_text(json.dumps(doc))
    capsys.readouterr()
    assert main(["import", str(tmp_path), "--org", "acme"]) == 1
    errors = capsys.readouterr().err
    assert f"{tmp_path / '07.json'}: $: cannot be stored: " in errors and "title refused" in errors
    assert not Incident.objects.filter(organisation=world.org).exists()


def test_a_refused_batch_is_written_one_by_one_and_said(
    world: World, shared_incidents: Path, monkeypatch: Any, caplog: Any
):
    """A fault in the batched writes alone (here the database refusing the batch once) does not
    lose a report, and it is logged: otherwise it would only show as a slower import."""
    from django.db import DatabaseError

    from learnloop.interchange import importer

    batched = importer.write_reports
    calls = []

    def refused_once(*args: Any) -> Any:
        calls.append(args)
        if len(calls) == 1:
            raise DatabaseError("the batch's own fault")
        return batched(*args)

    monkeypatch.setattr(importer, "write_reports", refused_once)
    docs = reports(shared_incidents, 1)
    with caplog.at_level("WARNING", logger="learnloop.interchange.importer"):
        outcomes = import_documents([Document(f"{d['id']}.json", d, FACTS) for d in docs], "acme")
    assert [outcome for outcome, _ in outcomes] == ["created"] * len(docs)
    assert Incident.objects.filter(organisation=world.org).count() == len(docs)
    assert f"a batch of {len(docs)} new reports was refused (the batch's own fault)" in caplog.text
