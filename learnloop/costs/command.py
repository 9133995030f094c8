"""`learnloop costs`: posts the ledger, then prints the summary as a table, CSV or JSON."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date
from typing import TextIO

from django.utils import timezone

from learnloop.accounts.commands import organisation_from
from learnloop.cli import CommandError
from learnloop.costs import ledger, report

COLUMNS = [
    "team",
    "cost_type",
    "capex",
    "opex",
    "amount",
    "hours",
    "tco",
    "tco_percent",
    "band",
    "expected",
]


def parse_day(text: str | None, option: str, default: date) -> date:
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"{option}: '{text}' is not a date (YYYY-MM-DD)") from error


def write(lines: list[report.Line], fmt: str, out: TextIO) -> None:
    rows = [line.as_json() for line in lines]
    if fmt == "json":
        json.dump(rows, out, indent=2)
        out.write("\n")
    elif fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    else:
        widths = (
            {
                c: max(len(c), *(len(str(r[c] if r[c] is not None else "—")) for r in rows))
                for c in COLUMNS
            }
            if rows
            else {c: len(c) for c in COLUMNS}
        )
        out.write("  ".join(c.ljust(widths[c]) for c in COLUMNS).rstrip() + "\n")
        for row in rows:
            cells = [str(row[c] if row[c] is not None else "—").ljust(widths[c]) for c in COLUMNS]
            out.write("  ".join(cells).rstrip() + "\n")


def costs_command(
    team: str | None, start: str | None, end: str | None, fmt: str, org_slug: str | None
) -> int:
    organisation = organisation_from(org_slug)
    today = timezone.now().date()
    first = parse_day(start, "--from", today.replace(month=1, day=1))
    last = parse_day(end, "--to", today)
    if last < first:
        raise CommandError("--to: the period ends before it starts")
    if team and not organisation.teams.filter(slug=team).exists():
        raise CommandError(f"--team: no team '{team}' in {organisation.slug}")
    ledger.post(organisation)
    write(report.summary(organisation, first, last, team), fmt, sys.stdout)
    return 0
