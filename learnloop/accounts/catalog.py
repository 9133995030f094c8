"""Teams and services from where organisations already keep them: a Backstage software catalogue
(`catalog-info.yaml` files: `Group` entities become teams, `Component` entities services owned
by their `spec.owner`) or a CSV file (`kind,slug,name,team`). Everything is checked before
anything is written, and an import writes all its files or nothing; importing again changes only
what changed (teams and services are matched by slug)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from learnloop.accounts import setup
from learnloop.accounts.models import Organisation, Team

SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
CSV_COLUMNS = ["kind", "slug", "name", "team"]
LARGEST = 5 * 1024 * 1024


class CatalogError(Exception):
    """What is wrong, as `FILE: PLACE: message` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Entry:
    kind: str  # team or service
    slug: str
    name: str
    team: str  # a service's owning team's slug ("" for none)
    where: str  # FILE: PLACE, for messages


def _owner(value: Any) -> str:
    """`group:default/payments`, `group:payments` or `payments` → `payments`."""
    text = str(value or "").strip()
    kind, _, rest = text.rpartition(":")
    if kind and kind.lower() != "group":
        return ""
    return rest.rpartition("/")[2]


def read_backstage(name: str, text: str) -> tuple[list[Entry], list[str]]:
    entries: list[Entry] = []
    problems: list[str] = []
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f"line {mark.line + 1}" if mark is not None else "?"
        return [], [f"{name}: {line}: not YAML: {getattr(error, 'problem', error)}"]
    for number, document in enumerate(documents, start=1):
        where = f"{name}: document {number}"
        if document is None:
            continue
        if not isinstance(document, dict):
            problems.append(f"{where}: not a catalogue entity (a mapping is expected)")
            continue
        kind = str(document.get("kind", ""))
        if kind not in ("Group", "Component"):
            continue  # Systems, APIs, Users and the rest say nothing about teams and services
        metadata = document.get("metadata")
        spec = document.get("spec") or {}
        if not isinstance(metadata, dict) or not metadata.get("name"):
            problems.append(f"{where}: metadata.name: required")
            continue
        if not isinstance(spec, dict):
            problems.append(f"{where}: spec: a mapping is expected")
            continue
        slug = str(metadata["name"]).lower().replace(".", "-")  # Backstage allows dots
        if kind == "Group":
            profile = spec.get("profile")
            shown = profile.get("displayName") if isinstance(profile, dict) else None
            title = shown or metadata.get("title") or slug
            entries.append(Entry("team", slug, str(title), "", where))
        else:
            owner = _owner(spec.get("owner")).lower().replace(".", "-")
            if spec.get("owner") and not owner:
                problems.append(
                    f"{where}: spec.owner: '{spec['owner']}' is not a Group: learnloop's "
                    "services are owned by teams"
                )
                continue
            entries.append(Entry("service", slug, str(metadata.get("title") or slug), owner, where))
    return entries, problems


def read_csv(name: str, text: str) -> tuple[list[Entry], list[str]]:
    rows = csv.DictReader(io.StringIO(text))
    if rows.fieldnames is None or [f.strip() for f in rows.fieldnames] != CSV_COLUMNS:
        return [], [f"{name}: line 1: the columns must be {','.join(CSV_COLUMNS)}"]
    entries, problems = [], []
    for row in rows:
        where = f"{name}: line {rows.line_num}"
        kind = (row["kind"] or "").strip().lower()
        if kind not in ("team", "service"):
            problems.append(f"{where}: kind: '{row['kind']}' is not team or service")
            continue
        team = (row["team"] or "").strip()
        if kind == "team" and team:
            problems.append(f"{where}: team: only a service has an owning team")
            continue
        entries.append(
            Entry(kind, (row["slug"] or "").strip(), (row["name"] or "").strip(), team, where)
        )
    return entries, problems


def read(path: Path) -> tuple[list[Entry], list[str]]:
    name = str(path)
    try:
        if path.stat().st_size > LARGEST:
            return [], [f"{name}: larger than {LARGEST // (1024 * 1024)} MB"]
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        return [], [f"{name}: cannot be read: {error.strerror or error}"]
    except UnicodeDecodeError as error:
        return [], [f"{name}: not UTF-8 text (byte {error.start})"]
    if path.suffix.lower() == ".csv":
        return read_csv(name, text)
    return read_backstage(name, text)


def _check(entries: list[Entry], known_teams: set[str]) -> list[str]:
    problems = []
    seen: dict[tuple[str, str], str] = {}
    teams = known_teams | {e.slug for e in entries if e.kind == "team"}
    for entry in entries:
        if not SLUG.match(entry.slug):
            problems.append(f"{entry.where}: slug: '{entry.slug}' must be letters, digits, - or _")
        elif (entry.kind, entry.slug) in seen:
            again = seen[entry.kind, entry.slug]
            problems.append(f"{entry.where}: {entry.kind} '{entry.slug}' is also at {again}")
        seen.setdefault((entry.kind, entry.slug), entry.where)
        if not entry.name:
            problems.append(f"{entry.where}: name: required")
        if entry.kind == "service" and entry.team and entry.team not in teams:
            problems.append(f"{entry.where}: team: no team '{entry.team}' here or in this import")
    return problems


def import_catalog(paths: list[Path], organisation: Organisation) -> dict[str, int]:
    """Reads and checks every file, then writes all in one transaction; returns how many teams
    and services were added and changed. Raises CatalogError listing every problem."""
    entries: list[Entry] = []
    problems: list[str] = []
    for path in paths:
        found, wrong = read(path)
        entries += found
        problems += wrong
    known = set(Team.objects.filter(organisation=organisation).values_list("slug", flat=True))
    problems += _check(entries, known)
    if problems:
        raise CatalogError(problems)
    counts = dict.fromkeys(
        ("teams added", "teams kept or renamed", "services added", "services kept or changed"), 0
    )
    with transaction.atomic():
        for entry in (e for e in entries if e.kind == "team"):
            try:
                _, created = setup.save_team(organisation, entry.slug, entry.name)
            except ValidationError as error:
                raise CatalogError([f"{entry.where}: {_said(error)}"]) from error
            counts["teams added" if created else "teams kept or renamed"] += 1
        for entry in (e for e in entries if e.kind == "service"):
            try:
                team = setup.team_of(organisation, entry.team)
                _, created = setup.save_service(organisation, entry.slug, entry.name, team)
            except ValidationError as error:
                raise CatalogError([f"{entry.where}: {_said(error)}"]) from error
            counts["services added" if created else "services kept or changed"] += 1
    return counts


def _said(error: ValidationError) -> str:
    return "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
