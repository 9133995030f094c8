"""What learnloop's schema cannot say about its own document: that every uid, version number and
revision a record points to is in the document, that nothing is named twice, and that nothing
ends before it starts. Checked before anything is written, so a broken document writes nothing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from learnloop.interchange.values import instant


class Findings:
    def __init__(self, name: str) -> None:
        self.name = name
        self.errors: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.errors.append(f"{self.name}: {path}: {message}")

    def known(self, path: str, value: Any, among: Iterable[Any], what: str) -> None:
        if value is not None and value not in among:
            self.add(path, f"{value!r} is not {what}")

    def unique(self, path: str, rows: list[dict[str, Any]], field: str) -> None:
        seen: dict[Any, int] = {}
        for index, row in enumerate(rows):
            if row[field] in seen:
                self.add(
                    f"{path}[{index}].{field}",
                    f"{row[field]!r} is also at {path}[{seen[row[field]]}]",
                )
            seen.setdefault(row[field], index)

    def in_order(self, path: str, row: dict[str, Any]) -> None:
        if instant(row["ends_at"]) <= instant(row["starts_at"]):
            self.add(
                f"{path}.ends_at", f"{row['ends_at']} is not after starts_at {row['starts_at']}"
            )


def reference_errors(name: str, doc: dict[str, Any]) -> list[str]:
    found = Findings(name)
    _catalogue(found, doc)
    uids: dict[str, str] = {}
    for index, incident in enumerate(doc["incidents"]):
        path = f"incidents[{index}]"
        for _, where, uid in uids_of(path, incident):
            if uid in uids:
                found.add(where, f"uid {uid} is also at {uids[uid]}")
            uids.setdefault(uid, where)
        _incident(found, path, incident)
    return found.errors


def uids_of(path: str, incident: dict[str, Any]) -> Iterable[tuple[str, str, str]]:
    """Every uid an incident's records carry: (list name, path, uid)."""
    for kind in (
        "assignments",
        "key_events",
        "reviews",
        "contributing_factors",
        "learnings",
        "improvement_actions",
    ):
        for i, row in enumerate(incident[kind]):
            yield kind, f"{path}.{kind}[{i}].uid", row["uid"]
    for i, work in enumerate(incident["assignments"]):
        for kind in ("interviews", "time_entries"):
            for j, row in enumerate(work[kind]):
                yield kind, f"{path}.assignments[{i}].{kind}[{j}].uid", row["uid"]
    for i, review in enumerate(incident["reviews"]):
        for j, note in enumerate(review["context_notes"]):
            yield "context_notes", f"{path}.reviews[{i}].context_notes[{j}].uid", note["uid"]
    narrative = incident["narrative"]
    if narrative is not None:
        for kind in ("publications", "walkthroughs"):
            for i, row in enumerate(narrative[kind]):
                yield kind, f"{path}.narrative.{kind}[{i}].uid", row["uid"]


def _incident(found: Findings, path: str, incident: dict[str, Any]) -> None:
    assignments = {a["uid"] for a in incident["assignments"]}
    interviews = {i["uid"] for a in incident["assignments"] for i in a["interviews"]}
    events = {e["uid"] for e in incident["key_events"]}
    reviews = {r["uid"] for r in incident["reviews"]}
    learnings = {le["uid"] for le in incident["learnings"]}
    for i, event in enumerate(incident["key_events"]):
        found.known(
            f"{path}.key_events[{i}].assignment",
            event["assignment"],
            assignments,
            "an assignment of this incident",
        )
    for i, review in enumerate(incident["reviews"]):
        here = f"{path}.reviews[{i}]"
        found.in_order(here, review)
        found.unique(f"{here}.invitees", review["invitees"], "email")
        for j, note in enumerate(review["context_notes"]):
            found.known(
                f"{here}.context_notes[{j}].key_event",
                note["key_event"],
                events,
                "a key event of this incident",
            )
    for i, factor in enumerate(incident["contributing_factors"]):
        here = f"{path}.contributing_factors[{i}]"
        found.known(f"{here}.review", factor["review"], reviews, "a review of this incident")
        for j, uid in enumerate(factor["key_events"]):
            found.known(f"{here}.key_events[{j}]", uid, events, "a key event of this incident")
        for j, uid in enumerate(factor["interviews"]):
            found.known(f"{here}.interviews[{j}]", uid, interviews, "an interview of this incident")
    for i, learning in enumerate(incident["learnings"]):
        here = f"{path}.learnings[{i}]"
        found.known(f"{here}.review", learning["review"], reviews, "a review of this incident")
        found.unique(f"{here}.votes", learning["votes"], "voter")
    for i, action in enumerate(incident["improvement_actions"]):
        here = f"{path}.improvement_actions[{i}]"
        found.known(
            f"{here}.learning", action["learning"], learnings, "a learning of this incident"
        )
    if incident["narrative"] is not None:
        _narrative(found, f"{path}.narrative", incident["narrative"])


def _narrative(found: Findings, path: str, narrative: dict[str, Any]) -> None:
    found.unique(f"{path}.versions", narrative["versions"], "number")
    found.unique(f"{path}.publications", narrative["publications"], "revision")
    found.unique(f"{path}.reads", narrative["reads"], "reader")
    numbers = {v["number"] for v in narrative["versions"]}
    revisions = {p["revision"] for p in narrative["publications"]}
    for i, publication in enumerate(narrative["publications"]):
        found.known(
            f"{path}.publications[{i}].version",
            publication["version"],
            numbers,
            "a version of this narrative",
        )
    found.known(
        f"{path}.current_revision",
        narrative["current_revision"],
        revisions,
        "a revision of this narrative",
    )
    for i, walkthrough in enumerate(narrative["walkthroughs"]):
        here = f"{path}.walkthroughs[{i}]"
        found.in_order(here, walkthrough)
        found.unique(f"{here}.attendees", walkthrough["attendees"], "email")


def _known_names(doc: dict[str, Any]) -> dict[str, set[str]]:
    """Teams, services and themes the document names, and those its organisation already has;
    action uids in the document and in the database (a duplicate may point at either)."""
    from learnloop.accounts.models import Organisation
    from learnloop.actions.models import ImprovementAction

    part = doc["organisation"]
    known = {
        "team": {t["slug"] for t in part["teams"]},
        "service": {s["slug"] for s in part["services"]},
        "theme": {t["slug"] for t in part["themes"]},
    }
    existing = Organisation.objects.filter(slug=part["slug"]).first()
    if existing is not None:
        known["team"] |= set(existing.teams.values_list("slug", flat=True))
        known["service"] |= set(existing.services.values_list("slug", flat=True))
        known["theme"] |= set(existing.themes.values_list("slug", flat=True))
    actions = [a for i in doc["incidents"] for a in i["improvement_actions"]]
    wanted = [a["duplicate_of"] for a in actions if a.get("duplicate_of")]
    stored = ImprovementAction.objects.filter(uid__in=wanted).values_list("uid", flat=True)
    known["action"] = {a["uid"] for a in actions} | {str(uid) for uid in stored}
    return known


def _catalogue(found: Findings, doc: dict[str, Any]) -> None:
    """Every team, service, theme and duplicate an object names exists: an unknown one is an
    error, never silently dropped."""
    known = _known_names(doc)
    part = doc["organisation"]
    for kind in ("services", "people", "planned_features"):
        for i, row in enumerate(part[kind]):
            found.known(f"organisation.{kind}[{i}].team", row.get("team"), known["team"], "a team")
    for i, incident in enumerate(doc["incidents"]):
        path = f"incidents[{i}]"
        found.known(f"{path}.team", incident.get("team"), known["team"], "a team")
        found.known(f"{path}.service", incident.get("service"), known["service"], "a service")
        _themes(found, f"{path}.themes", incident.get("themes", []), known)
        for j, event in enumerate(incident["key_events"]):
            _themes(found, f"{path}.key_events[{j}].themes", event.get("themes", []), known)
        for j, work in enumerate(incident["assignments"]):
            for k, interview in enumerate(work["interviews"]):
                where = f"{path}.assignments[{j}].interviews[{k}].themes"
                _themes(found, where, interview.get("themes", []), known)
        for j, action in enumerate(incident["improvement_actions"]):
            here = f"{path}.improvement_actions[{j}]"
            found.known(f"{here}.owner_team", action.get("owner_team"), known["team"], "a team")
            _themes(found, f"{here}.themes", action.get("themes", []), known)
            found.known(
                f"{here}.duplicate_of",
                action.get("duplicate_of"),
                known["action"],
                "an improvement action in the document or the database",
            )


def _themes(found: Findings, path: str, slugs: list[str], known: dict[str, set[str]]) -> None:
    for index, slug in enumerate(slugs):
        found.known(f"{path}[{index}]", slug, known["theme"], "a theme of the organisation")
