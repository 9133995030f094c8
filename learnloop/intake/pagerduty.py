"""PagerDuty Webhooks v3: an envelope {"event": {id, event_type, occurred_at, agent, data}}.
For most incident.* events `data` is the incident; for incident.annotated it is the note and for
incident.responder.added the responder, each with a reference to the incident."""

from __future__ import annotations

from typing import Any

from learnloop.intake.events import (
    Event,
    Moment,
    Person,
    Unreadable,
    instant,
    items,
    mapping,
    text,
)

STATUS = {
    "incident.triggered": "investigating",
    "incident.acknowledged": "investigating",
    "incident.unacknowledged": "investigating",
    "incident.reopened": "investigating",
    "incident.resolved": "resolved",
}
HANDLED = {*STATUS, "incident.priority_updated", "incident.responder.added", "incident.annotated"}


def _person(reference: Any, where: str) -> Person | None:
    reference = mapping(reference, where)
    if not reference:
        return None
    return Person(
        tool_id=text(reference.get("id"), f"{where}.id", 100),
        name=text(reference.get("summary") or reference.get("name"), f"{where}.summary", 200),
        email=text(reference.get("email"), f"{where}.email", 254),
    )


def _incident_facts(data: dict[str, Any], kind: str, at: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {"title": text(data.get("title"), "event.data.title", 300)}
    priority = mapping(data.get("priority"), "event.data.priority")
    key = text(priority.get("summary"), "event.data.priority.summary", 40)
    facts["severity_key"] = key or text(data.get("urgency"), "event.data.urgency", 20)
    created = instant(data.get("created_at"), "event.data.created_at")
    if created:
        facts["started_at"] = facts["detected_at"] = created
    service = mapping(data.get("service"), "event.data.service")
    facts["service_name"] = text(service.get("summary"), "event.data.service.summary", 200)
    facts["external_ref"] = text(data.get("html_url"), "event.data.html_url", 200)
    if kind in STATUS:
        facts["status"] = STATUS[kind]
        facts["resolved_at"] = at if kind == "incident.resolved" else None
    return {k: v for k, v in facts.items() if v != "" or k == "resolved_at"}


def _labels(data: dict[str, Any]) -> dict[str, Any]:
    service = mapping(data.get("service"), "event.data.service")
    priority = mapping(data.get("priority"), "event.data.priority")
    teams = items(data.get("teams"), "event.data.teams")
    return {
        "service": text(service.get("summary"), "event.data.service.summary"),
        "service_id": text(service.get("id"), "event.data.service.id"),
        "team": [text(mapping(t, "event.data.teams[]").get("summary"), "teams") for t in teams],
        "priority": text(priority.get("summary"), "event.data.priority.summary"),
        "urgency": text(data.get("urgency"), "event.data.urgency"),
    }


def read(payload: dict[str, Any]) -> Event:
    envelope = mapping(payload.get("event"), "event")
    if not envelope:
        raise Unreadable('event: missing; a PagerDuty v3 webhook carries {"event": {...}}')
    kind = text(envelope.get("event_type"), "event.event_type", 100)
    event_id = text(envelope.get("id"), "event.id", 200)
    at = instant(envelope.get("occurred_at"), "event.occurred_at")
    if not kind or at is None:
        raise Unreadable("event.event_type and event.occurred_at are required")
    data = mapping(envelope.get("data"), "event.data")
    if kind not in HANDLED or envelope.get("resource_type", "incident") != "incident":
        return Event(ref="", type=kind, at=at, event_id=event_id, known=False)
    agent = _person(envelope.get("agent"), "event.agent")
    if kind in ("incident.annotated", "incident.responder.added"):
        incident = mapping(data.get("incident"), "event.data.incident")
        ref = text(incident.get("id"), "event.data.incident.id", 200)
        facts = {"title": text(incident.get("summary"), "event.data.incident.summary", 300)}
        facts.update(external_ref=text(incident.get("html_url"), "event.data.incident.html_url"))
        facts = {k: v for k, v in facts.items() if v}
        labels: dict[str, Any] = {}
    else:
        ref = text(data.get("id"), "event.data.id", 200)
        facts, labels = _incident_facts(data, kind, at), _labels(data)
    if not ref:
        raise Unreadable("event.data: the incident's id is missing")
    event = Event(ref=ref, type=kind, at=at, event_id=event_id, facts=facts, labels=labels)
    who = agent.name if agent else ""
    link = text(facts.get("external_ref"), "html_url")
    if kind == "incident.annotated":
        note = text(data.get("content"), "event.data.content", 5000)
        event.moments.append(Moment(f"pagerduty:{event_id}", at, f"Note: {note}", who, "", link))
    elif kind == "incident.responder.added":
        person = _person(data.get("user"), "event.data.user")
        if person:
            event.people.append(person)
            said = f"{person.name or person.tool_id} added as a responder"
            event.moments.append(Moment(f"pagerduty:{event_id}", at, said, who, "escalation", link))
    elif kind in ("incident.acknowledged", "incident.resolved", "incident.reopened"):
        verb = kind.split(".", 1)[1]
        said = f"{verb.capitalize()} in PagerDuty" + (f" by {who}" if who else "")
        moment_type = {"acknowledged": "escalation", "resolved": "mitigation"}.get(verb, "")
        event.moments.append(Moment(f"pagerduty:{event_id}", at, said, who, moment_type, link))
        if agent and kind == "incident.acknowledged":
            event.people.append(agent)
    elif kind == "incident.triggered":
        said = f"Triggered in PagerDuty: {facts.get('title', '')}".rstrip(": ")
        event.moments.append(Moment(f"pagerduty:{event_id}", at, said, "", "detection", link))
    for index, assignee in enumerate(items(data.get("assignees"), "event.data.assignees")):
        person = _person(assignee, f"event.data.assignees[{index}]")
        if person and kind in ("incident.triggered", "incident.acknowledged"):
            event.people.append(person)
    return event
