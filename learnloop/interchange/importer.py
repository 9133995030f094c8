from __future__ import annotations

from learnloop.cli import CommandError


def import_paths(paths: list[str], org_slug: str | None) -> int:
    raise CommandError("import is being built")
