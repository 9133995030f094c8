"""`learnloop restore FILE [--replace]`: checks the whole archive first (every member whole and
matching its checksum, the schema the same as this version's, the encryption key able to open the
backup's secrets), then loads it into an empty database of either kind in one transaction:
everything or nothing."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, models, transaction

from learnloop.accounts.models import Organisation
from learnloop.audit.models import AuditAction
from learnloop.audit.trail import record
from learnloop.backup.archive import (
    ArchiveError,
    applied,
    backed_up_models,
    label_of,
    open_archive,
    read_manifest,
    verify,
)
from learnloop.backup.dump import SEALED_CHECK
from learnloop.insights.search import refill_fulltext
from learnloop.lib import append_only
from learnloop.lib.sealed import unseal

BATCH = 2000


def check(path: Path) -> tuple[zipfile.ZipFile, dict[str, Any]]:
    """What the archive alone tells (no database needed, so a bad archive is refused at once):
    readable, every member whole, sealed with a key we hold; raises ArchiveError."""
    archive = open_archive(path)
    manifest = read_manifest(archive, path)
    verify(archive, manifest, path)
    try:
        opened = unseal(manifest["sealed_check"])
    except ValueError as error:
        raise ArchiveError(
            f"{path}: its secrets were sealed with another encryption key: set that key as "
            "LEARNLOOP_ENCRYPTION_KEY (or in LEARNLOOP_OLD_ENCRYPTION_KEYS) before restoring"
        ) from error
    assert opened == SEALED_CHECK
    return archive, manifest


def check_schema(path: Path, manifest: dict[str, Any]) -> None:
    """The backup's schema is this version's (after migrating the database)."""
    ours = applied()
    theirs = manifest["schema"]
    if theirs != ours:
        newer = sorted(set(theirs) - set(ours))
        older = sorted(set(ours) - set(theirs))
        raise ArchiveError(
            f"{path}: written by learnloop {manifest['learnloop']} with another schema "
            f"({len(newer)} migrations this version lacks, {len(older)} it has beyond the "
            "backup's): restore with the version that wrote it, then upgrade"
        )


def occupied() -> list[str]:
    """The tables that already hold rows (those `migrate` itself fills are not counted)."""
    return [
        f"{label_of(model)} ({count} rows)"
        for model in backed_up_models()
        if (count := model._base_manager.count())
    ]


def restore(path: Path, replace: bool = False) -> dict[str, int]:
    """Returns the rows restored per table."""
    archive, manifest = check(path)
    call_command("migrate", interactive=False, verbosity=0)
    check_schema(path, manifest)
    full = occupied()
    if full and not replace:
        raise ArchiveError(
            f"the database is not empty ({', '.join(full[:3])}{' …' if len(full) > 3 else ''}): "
            "restore into an empty database, or pass --replace to delete everything in it first"
        )
    counts: dict[str, int] = {}
    with transaction.atomic():
        if full:
            _empty()
        with connection.constraint_checks_disabled():
            by_label = {label_of(m): m for m in backed_up_models()}
            for entry in manifest["members"]:
                name = entry["name"]
                if name.startswith("tables/"):
                    model = by_label[name.removeprefix("tables/").removesuffix(".jsonl")]
                    counts[label_of(model)] = _load(archive, name, model)
        connection.check_constraints()
        _after_load(list(by_label.values()))
        for organisation in Organisation.objects.all():
            record(
                AuditAction.RESTORED,
                organisation_id=organisation.pk,
                target=path.name,
                after={"taken_at": manifest["taken_at"], "rows": sum(counts.values())},
            )
    _unpack_files(archive)
    return counts


def _lines(archive: zipfile.ZipFile, name: str) -> Iterator[str]:
    with archive.open(name) as stream:
        for raw in stream:
            yield raw.decode()


def _load(archive: zipfile.ZipFile, name: str, model: type[models.Model]) -> int:
    fields = [f for f in model._meta.concrete_fields]
    rows: list[models.Model] = []
    links: dict[str, list[tuple[Any, Any]]] = {}
    count = 0
    for found in serializers.deserialize("jsonl", _lines(archive, name), ignorenonexistent=False):
        rows.append(found.object)
        for field_name, targets in (found.m2m_data or {}).items():
            links.setdefault(field_name, []).extend((found.object.pk, t) for t in targets)
        if len(rows) >= BATCH:
            count += _insert(model, fields, rows)
    count += _insert(model, fields, rows)
    for field_name, pairs in links.items():
        _link(model, field_name, pairs)
    return count


def _insert(model: type[models.Model], fields: list[Any], rows: list[models.Model]) -> int:
    """Inserts as they were (raw: no defaults, no auto_now, no signals)."""
    if not rows:
        return 0
    model._base_manager._insert(rows, fields=fields, using=connection.alias, raw=True)  # type: ignore[attr-defined]
    done = len(rows)
    rows.clear()
    return done


def _link(model: type[models.Model], field_name: str, pairs: list[tuple[Any, Any]]) -> None:
    field = model._meta.get_field(field_name)
    through = field.remote_field.through  # type: ignore[union-attr]
    source = field.m2m_field_name()  # type: ignore[union-attr]
    target = field.m2m_reverse_field_name()  # type: ignore[union-attr]
    for start in range(0, len(pairs), BATCH):
        through._base_manager.bulk_create(
            [
                through(**{f"{source}_id": a, f"{target}_id": b})
                for a, b in pairs[start : start + BATCH]
            ]
        )


def _empty() -> None:
    """--replace: everything goes, the append-only tables too (their triggers are lifted for
    this one transaction and put back)."""
    vendor = connection.vendor
    with connection.cursor() as cursor:
        for table, message in append_only.TABLES.items():
            for sql in append_only.statements(table, message, vendor, False):
                cursor.execute(sql)
        with connection.constraint_checks_disabled():
            for model in reversed(backed_up_models()):
                for field in model._meta.local_many_to_many:
                    through: Any = field.remote_field.through
                    if through._meta.auto_created:
                        through._base_manager.all()._raw_delete(connection.alias)
                model._base_manager.all()._raw_delete(connection.alias)
        for table, message in append_only.TABLES.items():
            for sql in append_only.statements(table, message, vendor, True):
                cursor.execute(sql)


def _after_load(restored: list[type[models.Model]]) -> None:
    """Counters continue after the restored rows (PostgreSQL's sequences), and SQLite's
    full-text index is filled from the restored search documents."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), restored):
            cursor.execute(sql)
    refill_fulltext()


def _unpack_files(archive: zipfile.ZipFile) -> None:
    root = Path(settings.MEDIA_ROOT)
    for name in archive.namelist():
        if not name.startswith("files/"):
            continue
        target = (root / name.removeprefix("files/")).resolve()
        if not target.is_relative_to(root.resolve()):
            raise ArchiveError(f"{name}: a file outside the data folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(archive.read(name))
