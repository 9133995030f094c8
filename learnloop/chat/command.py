"""`learnloop chat-import`: a channel of a Slack export into an incident's timeline candidates."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from django.core.exceptions import ValidationError

from learnloop.accounts.commands import organisation_from
from learnloop.chat.services import describe, import_chat
from learnloop.chat.slack import BadExport
from learnloop.cli import CommandError
from learnloop.incidents.models import Incident


def _time(value: str | None, option: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise CommandError(f"{option}: '{value}' is not an ISO 8601 time") from error
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def chat_import_command(
    path: str,
    incident_key: str,
    channel: str,
    since: str | None,
    until: str | None,
    workspace_url: str,
    org: str | None,
) -> int:
    organisation = organisation_from(org)
    incident = Incident.objects.filter(organisation=organisation, key=incident_key).first()
    if incident is None:
        raise CommandError(f"--incident: no incident '{incident_key}' in {organisation.slug}")
    if not Path(path).is_file():
        raise CommandError(f"{path}: no such file")
    try:
        record = import_chat(
            incident,
            path,
            channel,
            since=_time(since, "--from"),
            until=_time(until, "--to"),
            file_name=Path(path).name,
            workspace_url=workspace_url,
        )
    except BadExport as error:
        raise CommandError(f"{path}: not imported, nothing was written: {error}") from error
    except ValidationError as error:
        raise CommandError(" ".join(error.messages)) from error
    print(f"{incident.key} {describe(record)}", file=sys.stdout)
    return 0
