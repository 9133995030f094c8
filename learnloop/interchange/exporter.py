from __future__ import annotations

from learnloop.cli import CommandError


def export_command(keys: list[str], output: str | None, org_slug: str | None) -> int:
    raise CommandError("export is being built")
