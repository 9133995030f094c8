"""`learnloop backup FILE`: one consistent archive of everything, while the server goes on
writing. All tables are read inside one transaction that sees a single moment (PostgreSQL's
REPEATABLE READ; on SQLite, a read transaction over its write-ahead log), so a delivery
committed half-way through is either wholly in the archive or not at all."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from uuid import UUID

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from learnloop import __version__
from learnloop.accounts.models import Organisation
from learnloop.audit.models import AuditAction
from learnloop.audit.trail import record
from learnloop.backup.archive import (
    FORMAT,
    MANIFEST,
    VERSION,
    Member,
    applied,
    backed_up_models,
    label_of,
)
from learnloop.lib.sealed import seal

# Sealed with the current key: a restore that cannot open it has not been given the key that
# opens the backup's secrets, and says so before writing anything.
SEALED_CHECK = "learnloop backup"


class _Exact(DjangoJSONEncoder):
    """Times to the microsecond (Django's encoder keeps milliseconds, as JavaScript does)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime | time):
            return o.isoformat()
        return super().default(o)


class _Counted:
    """Where the serialiser writes one table: into the archive, counted and hashed."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()
        self.rows = 0

    def write(self, text: str) -> None:
        data = text.encode()
        self.stream.write(data)
        self.digest.update(data)
        self.rows += data.count(b"\n")

    def flush(self) -> None:
        """The serialiser flushes at the end; the archive member is closed by its owner."""


def fields_of(model: type[models.Model]) -> list[str]:
    """Every field but Django's per-person permissions, which learnloop does not use and whose
    rows `migrate` numbers differently in every database."""
    return [
        f.name
        for f in model._meta.get_fields()
        if (f.concrete or f.many_to_many)
        and not f.auto_created
        and not (f.many_to_many and label_of(f.related_model) == "auth.permission")  # type: ignore[arg-type]
    ]


def _lines(model: type[models.Model]) -> Iterator[str]:
    """Each row as Django's JSON Lines serialiser writes it (`{"model", "pk", "fields"}`, the
    same keys, order and encoding, so Django's deserialiser reads it back), but from plain values
    rather than model instances: several times faster on large tables."""
    names = fields_of(model)
    concrete = [f for f in model._meta.concrete_fields if f.name in names]
    many = [f for f in model._meta.many_to_many if f.name in names]
    label = label_of(model)
    links = {field.name: _links(field) for field in many}
    rows = model._base_manager.order_by("pk").values_list("pk", *(f.attname for f in concrete))
    for pk, *values in rows.iterator(chunk_size=2000):
        fields = {f.name: _plain(f, v) for f, v in zip(concrete, values, strict=True)}
        for field in many:
            fields[field.name] = links[field.name].get(pk, [])
        yield (
            json.dumps(
                {"model": label, "pk": pk, "fields": dict(sorted_as(fields, names))},
                cls=_Exact,
                ensure_ascii=False,
                separators=(",", ": "),
            )
            + "\n"
        )


def sorted_as(fields: dict[str, Any], names: list[str]) -> list[tuple[str, Any]]:
    return [(name, fields[name]) for name in names if name in fields]


def _plain(field: models.Field[Any, Any], value: Any) -> Any:
    """What Django's serialiser writes for a value: protected types as they are, the rest as
    the field's text (JSON values stay structures)."""
    if value is None or isinstance(value, int | float | Decimal | datetime | date | time):
        return value
    if isinstance(field, models.JSONField):
        return value
    if isinstance(value, UUID):
        return str(value)
    return value if isinstance(value, str) else field.to_python(value)


def _links(field: Any) -> dict[Any, list[Any]]:
    through = field.remote_field.through
    source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
    found: dict[Any, list[Any]] = {}
    pairs = through._base_manager.order_by("pk").values_list(f"{source}_id", f"{target}_id")
    for owner, other in pairs.iterator(chunk_size=5000):
        found.setdefault(owner, []).append(other)
    return found


def _table(archive: zipfile.ZipFile, model: type[models.Model]) -> Member:
    name = f"tables/{label_of(model)}.jsonl"
    with archive.open(name, "w", force_zip64=True) as stream:
        counted = _Counted(stream)
        for line in _lines(model):
            counted.write(line)
    return Member(name=name, rows=counted.rows, sha256=counted.digest.hexdigest())


def _files(archive: zipfile.ZipFile) -> list[Member]:
    members = []
    root = Path(settings.MEDIA_ROOT)
    for path in sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []:
        name = f"files/{path.relative_to(root).as_posix()}"
        data = path.read_bytes()
        archive.writestr(name, data)
        members.append(Member(name=name, rows=0, sha256=hashlib.sha256(data).hexdigest()))
    return members


def backup(path: Path) -> dict[str, Any]:
    """Writes the archive (to a neighbouring file first, renamed when whole); returns its
    manifest."""
    partial = path.with_name(path.name + ".partial")
    try:
        manifest = _write(partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.chmod(0o600)  # it holds everything, interview notes included
    os.replace(partial, path)
    return manifest


def _write(partial: Path) -> dict[str, Any]:
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        taken_at = timezone.now()
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            members = [_table(archive, model) for model in backed_up_models()]
            members += _files(archive)
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "learnloop": __version__,
                "taken_at": taken_at.isoformat(),
                "database": connection.vendor,
                "schema": applied(),
                "sealed_check": seal(SEALED_CHECK),
                "members": [m.__dict__ for m in members],
            }
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2))
    return manifest


def audited(path: Path, manifest: dict[str, Any]) -> None:
    rows = sum(m["rows"] for m in manifest["members"])
    for organisation in Organisation.objects.all():
        record(
            AuditAction.BACKED_UP,
            organisation_id=organisation.pk,
            target=str(path),
            after={"taken_at": manifest["taken_at"], "rows": rows},
        )
