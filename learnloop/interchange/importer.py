"""`learnloop import`: validate every document, then write them all in one transaction."""

from __future__ import annotations

import sys
from typing import Any

from django.db import transaction

from learnloop.accounts.models import Organisation
from learnloop.cli import CommandError
from learnloop.interchange import restore
from learnloop.interchange.checks import FACTS, Document, load_all
from learnloop.interchange.clashes import clash_errors
from learnloop.interchange.reports import Catalogue, import_report


def import_documents(
    documents: list[Document], organisation: Organisation | None
) -> list[tuple[str, str]]:
    """Imports validated documents; returns (created|updated|unchanged, key) per incident.
    Facts documents go into `organisation`; learnloop documents name their own."""
    outcomes: list[tuple[str, str]] = []
    with transaction.atomic():
        catalogue = Catalogue(organisation) if organisation is not None else None
        for document in documents:
            if document.kind == FACTS:
                assert catalogue is not None
                outcomes.append(import_report(document.data, catalogue))
            else:
                outcomes.extend(restore.import_snapshot(document.data))
        restore.link_duplicates([d.data for d in documents if d.kind != FACTS])
    return outcomes


def import_paths(paths: list[str], org_slug: str | None, out: Any = None) -> int:
    out = out or sys.stdout
    documents, errors = load_all(paths)
    keys: dict[str, str] = {}
    for document in documents:
        for key in _keys(document):
            if key in keys:
                errors.append(f"{document.name}: id: '{key}' is also in {keys[key]}")
            keys[key] = document.name
        if document.kind != FACTS:
            errors.extend(clash_errors(document.name, document.data))
    if errors:
        for line in errors:
            print(line, file=sys.stderr)
        raise CommandError(
            f"{len(errors)} problem{'s' if len(errors) != 1 else ''} found; nothing was imported"
        )
    organisation = None
    if any(d.kind == FACTS for d in documents):
        from learnloop.accounts.commands import organisation_from

        organisation = organisation_from(org_slug)
    for outcome, key in import_documents(documents, organisation):
        print(f"{outcome} {key}", file=out)
    from learnloop.insights.search import repair

    if repaired := repair():  # an earlier import killed between its commit and its indexing
        notice = f"search: rebuilt the documents of {repaired} incidents left unindexed"
        print(notice, file=sys.stderr)
    return 0


def _keys(document: Document) -> list[str]:
    if document.kind == FACTS:
        return [document.data["id"]]
    return [i["key"] for i in document.data["incidents"]]
