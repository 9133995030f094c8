"""Prometheus Alertmanager's webhook, version 4: one notification per alert group, carrying the
group's state (firing or resolved) and its alerts. The group key names the incident."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from learnloop.intake.events import (
    Event,
    Moment,
    Unreadable,
    instant,
    items,
    mapping,
    text,
)
from learnloop.lib.storable import storable


def _labels(value: Any, where: str) -> dict[str, str]:
    return {
        storable(str(k))[:200]: text(v, f"{where}.{k}", 500)
        for k, v in mapping(value, where).items()
    }


def read(payload: dict[str, Any]) -> Event:
    version = text(payload.get("version"), "version")
    if version != "4":
        raise Unreadable(f'version: expected "4" (Alertmanager\'s webhook), got {version!r}')
    group_key = text(payload.get("groupKey"), "groupKey", 10_000)
    status = text(payload.get("status"), "status")
    if not group_key or status not in ("firing", "resolved"):
        raise Unreadable("groupKey and status (firing or resolved) are required")
    common = _labels(payload.get("commonLabels"), "commonLabels")
    group = _labels(payload.get("groupLabels"), "groupLabels")
    annotations = _labels(payload.get("commonAnnotations"), "commonAnnotations")
    moments, starts, ends = [], [], []
    alerts = items(payload.get("alerts"), "alerts")
    for index, alert in enumerate(alerts):
        where = f"alerts[{index}]"
        alert = mapping(alert, where)
        labels = _labels(alert.get("labels"), f"{where}.labels")
        notes = _labels(alert.get("annotations"), f"{where}.annotations")
        started = instant(alert.get("startsAt"), f"{where}.startsAt")
        ended = instant(alert.get("endsAt"), f"{where}.endsAt")
        fingerprint = text(alert.get("fingerprint"), f"{where}.fingerprint", 100)
        name = labels.get("alertname", "alert")
        on = labels.get("instance") or labels.get("job") or ""
        what = f"{name}" + (f" on {on}" if on else "")
        summary = notes.get("summary") or notes.get("description") or ""
        link = text(alert.get("generatorURL"), f"{where}.generatorURL", 1000)
        identity = f"alertmanager:{fingerprint or what}:{started.isoformat() if started else ''}"
        if started:
            starts.append(started)
            said = f"Alert fired: {what}" + (f": {summary}" if summary else "")
            moments.append(Moment(identity + ":firing", started, said, "", "detection", link))
        if text(alert.get("status"), f"{where}.status") == "resolved" and ended:
            ends.append(ended)
            said = f"Alert resolved: {what}"
            moments.append(Moment(identity + ":resolved", ended, said, "", "mitigation", link))
    known = starts + ends
    if not known:
        raise Unreadable("alerts: no alert with a start time")
    at: datetime = max(known)
    title = annotations.get("summary") or ", ".join(f"{k}={v}" for k, v in group.items())
    facts: dict[str, Any] = {
        "title": (title or "Alertmanager alert group")[:300],
        "started_at": min(starts) if starts else min(known),
        "detected_at": min(starts) if starts else min(known),
        "status": "resolved" if status == "resolved" else "investigating",
        "resolved_at": max(ends) if status == "resolved" and ends else None,
        "external_ref": text(payload.get("externalURL"), "externalURL", 200),
    }
    if common.get("severity"):
        facts["severity_key"] = common["severity"]
    if common.get("service"):
        facts["service_name"] = common["service"]
    labels = {**common, **group, "receiver": text(payload.get("receiver"), "receiver")}
    return Event(ref=group_key, type=status, at=at, facts=facts, labels=labels, moments=moments)
