"""Opsgenie's alert webhook ("alert action data"): {"action", "alert": {...}, "source", ...}.
createdAt is in milliseconds and updatedAt in nanoseconds; Opsgenie signs nothing, so the
source's secret travels in a header or as basic auth, as the integration is configured."""

from __future__ import annotations

from typing import Any

from learnloop.intake.events import (
    Event,
    Moment,
    Person,
    Unreadable,
    from_epoch,
    items,
    mapping,
    text,
)

HANDLED = {"create", "acknowledge", "unacknowledge", "close", "addnote", "escalate"}


def read(payload: dict[str, Any]) -> Event:
    action = text(payload.get("action"), "action", 100)
    alert = mapping(payload.get("alert"), "alert")
    ref = text(alert.get("alertId"), "alert.alertId", 200)
    if not action or not ref:
        raise Unreadable("action and alert.alertId are required")
    created = from_epoch(alert.get("createdAt"), "alert.createdAt", 1000)
    updated = from_epoch(alert.get("updatedAt"), "alert.updatedAt", 1_000_000_000)
    at = updated or created
    if at is None:
        raise Unreadable("alert.createdAt or alert.updatedAt is required")
    kind = action.lower().replace(" ", "")
    if kind not in HANDLED:
        return Event(ref=ref, type=action, at=at, known=False)
    facts: dict[str, Any] = {}
    title = text(alert.get("message"), "alert.message", 300).strip()
    if title:
        facts["title"] = title
    if created:
        facts["started_at"] = facts["detected_at"] = created
    if alert.get("priority"):
        facts["severity_key"] = text(alert.get("priority"), "alert.priority", 20)
    if alert.get("tinyId"):
        facts["external_ref"] = f"Opsgenie alert #{text(alert.get('tinyId'), 'alert.tinyId', 40)}"
    if kind in ("create", "close"):
        facts["status"] = "resolved" if kind == "close" else "investigating"
        facts["resolved_at"] = at if kind == "close" else None
    tags = [text(t, "alert.tags[]", 200) for t in items(alert.get("tags"), "alert.tags")]
    labels = {
        "team": text(alert.get("team"), "alert.team", 200),
        "tags": tags,
        "priority": text(alert.get("priority"), "alert.priority", 20),
        "entity": text(alert.get("entity"), "alert.entity", 200),
        "source": text(alert.get("source"), "alert.source", 200),
        "integration": text(payload.get("integrationName"), "integrationName", 200),
    }
    event = Event(ref=ref, type=action, at=at, facts=facts, labels=labels)
    who = text(alert.get("username"), "alert.username", 254)
    uid = f"opsgenie:{ref}:{kind}:{alert.get('updatedAt') or alert.get('createdAt')}"
    said = {
        "create": f"Alert created in Opsgenie: {title}",
        "acknowledge": "Acknowledged in Opsgenie" + (f" by {who}" if who else ""),
        "unacknowledge": "Acknowledgement withdrawn in Opsgenie",
        "close": "Closed in Opsgenie" + (f" by {who}" if who else ""),
        "addnote": f"Note: {text(alert.get('note'), 'alert.note', 5000)}",
        "escalate": "Escalated in Opsgenie",
    }[kind]
    moment_type = {"create": "detection", "acknowledge": "escalation", "close": "mitigation"}
    event.moments.append(Moment(uid, at, said, who, moment_type.get(kind, "")))
    if who and "@" in who and kind in ("acknowledge", "close", "addnote"):
        event.people.append(Person(tool_id=text(alert.get("userId"), "alert.userId"), email=who))
    return event
