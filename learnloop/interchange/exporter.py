"""`learnloop export`: learnloop's complete document, as JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from learnloop.accounts.commands import organisation_from
from learnloop.audit.models import AuditAction
from learnloop.audit.trail import record
from learnloop.cli import CommandError
from learnloop.incidents.models import Incident
from learnloop.interchange.snapshot import export


def export_command(keys: list[str], output: str | None, org_slug: str | None) -> int:
    organisation = organisation_from(org_slug)
    known = set(
        Incident.objects.filter(organisation=organisation, key__in=keys).values_list(
            "key", flat=True
        )
    )
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise CommandError(f"--incident: no incident {', '.join(unknown)} in {organisation.slug}")
    text = json.dumps(export(organisation, keys or None), indent=2, ensure_ascii=False) + "\n"
    record(
        AuditAction.EXPORTED,
        organisation_id=organisation.pk,
        target=", ".join(keys) or "every incident",
        after={"output": output or "standard output"},
    )
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"--output: cannot write {output}: {error}") from error
    else:
        sys.stdout.write(text)
    return 0
