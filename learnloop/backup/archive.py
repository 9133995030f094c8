"""The backup archive: a ZIP file holding a manifest and one JSON Lines member per table (Django's
serialisation of each row, primary keys kept), and the data folder's uploaded files. The manifest
names the format, the learnloop version and schema (its migrations) that wrote it, and each
member's row count and SHA-256, so that a damaged or truncated archive is refused before anything
is written."""

from __future__ import annotations

import hashlib
import json
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import models
from django.db.migrations.recorder import MigrationRecorder

FORMAT = "learnloop-backup"
VERSION = 1
MANIFEST = "manifest.json"
# Not backed up: rebuilt by `migrate` in every database (content types, permissions), or
# passing state that means nothing elsewhere (sessions, sign-in attempts and locks).
LEFT_OUT = {
    "contenttypes.contenttype",
    "auth.permission",
    "sessions.session",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
    "axes.accessattemptexpiration",
}


class ArchiveError(Exception):
    """The archive cannot be restored; the message says why, in words."""


@dataclass(frozen=True)
class Member:
    name: str
    rows: int
    sha256: str


def label_of(model: type[models.Model]) -> str:
    return model._meta.label_lower


def backed_up_models() -> list[type[models.Model]]:
    """Every table's model, in an order where what a row points to mostly comes first (the
    restore also defers constraint checks to its end)."""
    found = [m for m in apps.get_models() if label_of(m) not in LEFT_OUT]
    return sorted(found, key=_depth)


def _depth(model: type[models.Model], seen: frozenset[str] = frozenset()) -> int:
    label = label_of(model)
    parents = [
        f.related_model
        for f in model._meta.concrete_fields
        if f.is_relation and isinstance(f.related_model, type) and f.related_model is not model
    ]
    deeper = [_depth(p, seen | {label}) for p in parents if label_of(p) not in seen | {label}]
    return 1 + max(deeper, default=0)


def schema() -> list[str]:
    """The migrations this code has, as `app.name`, sorted: the schema an archive must match."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    return sorted(f"{app}.{name}" for app, name in loader.disk_migrations)


def applied() -> list[str]:
    from django.db import connection

    recorded = MigrationRecorder(connection).applied_migrations()
    return sorted(f"{app}.{name}" for app, name in recorded)


def read_manifest(archive: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError as error:
        raise ArchiveError(f"{path}: no {MANIFEST}: not a learnloop backup") from error
    except (ValueError, zipfile.BadZipFile, zlib.error, OSError) as error:
        raise ArchiveError(f"{path}: {MANIFEST} cannot be read: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError(f"{path}: not a learnloop backup (format '{manifest.get('format')}')")
    if manifest.get("version") != VERSION:
        raise ArchiveError(
            f"{path}: backup format version {manifest.get('version')}; this learnloop reads "
            f"version {VERSION}"
        )
    return manifest


def open_archive(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError as error:
        raise ArchiveError(f"{path}: no such file") from error
    except (zipfile.BadZipFile, OSError) as error:
        raise ArchiveError(
            f"{path}: not a readable ZIP archive ({error}): damaged or cut short?"
        ) from error


def verify(archive: zipfile.ZipFile, manifest: dict[str, Any], path: Path) -> None:
    """Reads every member once: each must be present, whole (the ZIP's own CRC) and match the
    manifest's SHA-256 and row count."""
    for entry in manifest["members"]:
        member = Member(**entry)
        digest = hashlib.sha256()
        lines = 0
        try:
            with archive.open(member.name) as stream:
                for chunk in iter(lambda: stream.read(1 << 20), b""):
                    digest.update(chunk)
                    lines += chunk.count(b"\n")
        except KeyError as error:
            raise ArchiveError(f"{path}: {member.name} is missing from the archive") from error
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
            raise ArchiveError(f"{path}: {member.name} is damaged: {error}") from error
        if digest.hexdigest() != member.sha256:
            raise ArchiveError(f"{path}: {member.name} does not match its checksum: damaged")
        if member.name.startswith("tables/") and lines != member.rows:
            raise ArchiveError(
                f"{path}: {member.name} holds {lines} rows, the manifest says {member.rows}"
            )
