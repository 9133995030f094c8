"""`learnloop import`: validate every document, then write them all in one transaction. A value
that only the database can refuse (a column too short for it) stops the whole import with the
document's name and the value's path, and the transaction leaves the database as it was: the
organisation a facts import would create included."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from learnloop.cli import CommandError
from learnloop.insights.search import reindex_batches
from learnloop.interchange import restore
from learnloop.interchange.checks import FACTS, Document, json_path, load_all
from learnloop.interchange.clashes import clash_errors
from learnloop.interchange.new_reports import (
    BATCH,
    Report,
    known_keys,
    read_report,
    write_reports,
)
from learnloop.interchange.reports import Catalogue, import_report
from learnloop.interchange.values import FieldProblem
from learnloop.lib.planner import refresh_statistics

logger = logging.getLogger(__name__)


class ImportRefused(Exception):  # noqa: N818 - reads as what happened
    """A document could not be stored; nothing was."""


def import_documents(documents: list[Document], org_slug: str | None) -> list[tuple[str, str]]:
    """Imports validated documents; returns (created|updated|unchanged, key) per incident.
    Facts documents go into the organisation `org_slug` names (or the only one, created in an
    empty database); learnloop documents name their own."""
    from learnloop.accounts.commands import organisation_from

    outcomes: list[tuple[str, str]] = []
    with transaction.atomic():
        catalogue = batch = None
        facts = [d for d in documents if d.kind == FACTS]
        if facts:
            catalogue = Catalogue(organisation_from(org_slug))
            batch = Batch(catalogue, facts)
        for document in documents:
            if batch is not None and document.kind == FACTS and batch.takes(document):
                outcomes.extend(batch.add(document))
                continue
            if batch is not None:
                outcomes.extend(batch.write())  # the new ones before, in the documents' order
            with refusals(document):
                if document.kind == FACTS:
                    assert catalogue is not None
                    outcomes.append(import_report(document.data, catalogue))
                else:
                    outcomes.extend(restore.import_snapshot(document.data))
        if batch is not None:
            outcomes.extend(batch.write())
        restore.link_duplicates([d.data for d in documents if d.kind != FACTS])
        _audit(documents, outcomes, catalogue)
        if catalogue is not None and catalogue.queued:
            # The reports' incidents are rebuilt in batches once this has committed; should the
            # process die first, the backlog keeps them for the next run or the worker.
            queued = catalogue.queued
            transaction.on_commit(lambda: reindex_batches(queued))
    return outcomes


class Batch:
    """The facts documents whose incidents are new, written BATCH at a time. When the database
    refuses a batch, its documents are written again one by one, so the refusal names one."""

    def __init__(self, catalogue: Catalogue, documents: list[Document]) -> None:
        self.catalogue = catalogue
        self.known = known_keys(catalogue, [d.data["id"] for d in documents])
        self.pending: list[tuple[Document, Report]] = []

    def takes(self, document: Document) -> bool:
        return document.data["id"] not in self.known

    def add(self, document: Document) -> list[tuple[str, str]]:
        with refusals(document):
            self.pending.append((document, read_report(document.data, self.catalogue)))
        self.known.add(document.data["id"])  # the same key again is an update of this one
        return self.write() if len(self.pending) >= BATCH else []

    def write(self) -> list[tuple[str, str]]:
        pending, self.pending = self.pending, []
        if not pending:
            return []
        try:
            with transaction.atomic():
                return write_reports([report for _, report in pending], self.catalogue)
        except (DatabaseError, ValidationError, ValueError, ArithmeticError) as error:
            # Said aloud: when each document alone is stored, the refusal was the batch's own
            # (a fault of the batched writes), which would otherwise only show as a slow import.
            logger.warning(
                "a batch of %d new reports was refused (%s): writing them one at a time",
                len(pending),
                error,
            )
            outcomes = []
            for document, _ in pending:
                with refusals(document):
                    outcomes.append(import_report(document.data, self.catalogue))
            return outcomes  # each alone was stored: the batch as a whole was not


def _audit(
    documents: list[Document], outcomes: list[tuple[str, str]], catalogue: Catalogue | None
) -> None:
    from learnloop.accounts.models import Organisation
    from learnloop.audit.models import AuditAction
    from learnloop.audit.trail import record

    slugs = {d.data["organisation"]["slug"] for d in documents if d.kind != FACTS}
    organisations = {o.pk for o in Organisation.objects.filter(slug__in=slugs)}
    if catalogue is not None:
        organisations.add(catalogue.organisation.pk)
    counts = {kind: sum(1 for k, _ in outcomes if k == kind) for kind in ("created", "updated")}
    for organisation_id in sorted(organisations):
        record(
            AuditAction.IMPORTED,
            organisation_id=organisation_id,
            target=", ".join(d.name for d in documents)[:300],
            after={**counts, "files": len(documents)},
        )


@contextmanager
def refusals(document: Document) -> Iterator[None]:
    """Turns what the database or a loader refuses into `FILE: JSON-PATH: message`."""
    try:
        yield
    except FieldProblem as error:
        where = path_of(document.data, error.part)
        raise ImportRefused(f"{document.name}: {where}.{error.name}: {error.message}") from error
    except (DatabaseError, ValidationError, ValueError, ArithmeticError) as error:
        message = " ".join(str(error).split())[:300]
        raise ImportRefused(f"{document.name}: $: cannot be stored: {message}") from error


def path_of(data: Any, part: Any) -> str:
    """The JSON path of the object `part` (found by identity) inside the document."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if value is part:
            return json_path(path)
        if isinstance(value, dict):
            stack.extend((item, (*path, key)) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, (*path, index)) for index, item in enumerate(value))
    return "$"


ANALYSE_AFTER = 100  # documents: an import this large changes what the query planner should know


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
        refuse(errors)
    try:
        outcomes = import_documents(documents, org_slug)
    except ImportRefused as error:
        refuse([str(error)])
    for outcome, key in outcomes:
        print(f"{outcome} {key}", file=out)
    from learnloop.insights.search import merge_fulltext, repair

    if repaired := repair():  # an earlier import killed between its commit and its indexing
        notice = f"search: rebuilt the documents of {repaired} incidents left unindexed"
        print(notice, file=sys.stderr)
    if len(outcomes) >= ANALYSE_AFTER:
        refresh_statistics()
        merge_fulltext()
    return 0


def refuse(errors: list[str]) -> None:
    for line in errors:
        print(line, file=sys.stderr)
    raise CommandError(
        f"{len(errors)} problem{'s' if len(errors) != 1 else ''} found; nothing was imported"
    )


def _keys(document: Document) -> list[str]:
    if document.kind == FACTS:
        return [document.data["id"]]
    return [i["key"] for i in document.data["incidents"]]
