"""Older learnloop documents, brought to the current shape before they are checked and imported,
so the rest of the import knows one shape only. Nothing is guessed that a later export would
contradict: what version 1 did not record gets a fixed, documented value."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from learnloop.interchange.values import instant

# Names the publication an upgraded published narrative gets, so upgrading twice gives one uid.
PUBLICATION_NAMESPACE = uuid.UUID("6f1c3c1e-4d1b-5a8e-9c55-2f6f0b6a1d10")


def upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """The document in the current version's shape; a new object, the given one is untouched."""
    if data.get("version") != 1:
        return data
    doc = copy.deepcopy(data)
    doc["version"] = 2
    for incident in doc["incidents"]:
        _incident_from_1(doc["organisation"]["slug"], incident)
    return doc


def _incident_from_1(org_slug: str, incident: dict[str, Any]) -> None:
    for review in incident["reviews"]:
        # Version 1 did not record when a review was created; its start is the closest fact.
        review.update(
            scheduled_by=None,
            missing_reports_reason="",
            preparation_hours="0.00",
            sequence=0,
            created_at=review["starts_at"],
            changed_at=review["starts_at"],
            invitees=[],
            context_notes=[],
        )
    for factor in incident["contributing_factors"]:
        factor.update(interviews=[], created_by=None)
    for learning in incident["learnings"]:
        learning["votes"] = []
    narrative = incident["narrative"]
    if narrative is not None:
        _narrative_from_1(f"{org_slug}/{incident['key']}", incident, narrative)


def _narrative_from_1(name: str, incident: dict[str, Any], narrative: dict[str, Any]) -> None:
    versions = sorted(narrative["versions"], key=lambda v: v["number"])
    for version in versions:
        version["note"] = ""
    first = versions[0]["created_at"] if versions else incident["created_at"]
    last = versions[-1]["created_at"] if versions else first
    narrative.update(
        created_at=first,
        updated_at=max(last, narrative["published_at"] or last, key=instant),
        current_revision=None,
        publications=[],
        reads=[],
        walkthroughs=[],
    )
    if narrative["status"] == "published" and narrative["published_at"] and versions:
        # Version 1 knew only that the narrative was published, and when: that becomes its
        # first revision, of the latest version saved by then.
        published = instant(narrative["published_at"])
        by_then = [v for v in versions if instant(v["created_at"]) <= published]
        narrative["publications"] = [
            {
                "uid": str(uuid.uuid5(PUBLICATION_NAMESPACE, f"{name}/1")),
                "revision": 1,
                "version": (by_then or versions)[-1]["number"],
                "title": narrative["title"],
                "published_at": narrative["published_at"],
                "published_by": None,
            }
        ]
        narrative["current_revision"] = 1
