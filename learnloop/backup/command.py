"""The `learnloop backup` and `learnloop restore` commands."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import IO

from learnloop.backup.archive import ArchiveError
from learnloop.backup.dump import audited, backup
from learnloop.backup.load import restore
from learnloop.lib.planner import refresh_statistics


def backup_command(file: str, out: IO[str] = sys.stdout) -> int:
    path = Path(file)
    if not path.parent.is_dir():
        print(f"learnloop: FILE: no folder {path.parent}", file=sys.stderr)
        return 1
    started = time.monotonic()
    manifest = backup(path)
    audited(path, manifest)
    rows = sum(m["rows"] for m in manifest["members"])
    size = path.stat().st_size
    took = time.monotonic() - started
    print(f"backed up {rows} rows to {path} ({size / 1e6:.1f} MB) in {took:.1f} s", file=out)
    return 0


def restore_command(file: str, replace: bool, out: IO[str] = sys.stdout) -> int:
    started = time.monotonic()
    try:
        counts = restore(Path(file), replace=replace)
    except ArchiveError as error:
        print(f"learnloop: nothing restored: {error}", file=sys.stderr)
        return 1
    refresh_statistics()
    took = time.monotonic() - started
    print(f"restored {sum(counts.values())} rows from {file} in {took:.1f} s", file=out)
    return 0
