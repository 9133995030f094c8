"""What a tool's delivery says, in learnloop's words: one event about one of the tool's incidents.
Each vendor module reads its payload into an Event; the services apply Events the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from learnloop.lib.storable import storable


class Unreadable(ValueError):  # noqa: N818 - reads as the verdict
    """The payload is not what this tool sends; the message says what and where."""


@dataclass(frozen=True)
class Person:
    """Someone the tool names: matched to a learnloop person by the source's people map (tool id
    or name), then by email, then by a unique full name."""

    tool_id: str = ""
    name: str = ""
    email: str = ""


@dataclass(frozen=True)
class Moment:
    """Becomes an incident-level key event, once: `uid` is unique within the source."""

    uid: str
    at: datetime | None
    description: str
    actor: str = ""
    event_type: str = ""
    evidence_url: str = ""


@dataclass
class Event:
    ref: str  # the tool's incident: PagerDuty incident id, Alertmanager group key, Opsgenie alert
    type: str
    at: datetime  # when it happened at the tool: later events win where they disagree
    event_id: str = ""  # the tool's id for the delivery, where it gives one
    known: bool = True  # False: recorded only
    # Incident fields as of `at`: title, severity_key, status, started_at, detected_at,
    # resolved_at, external_ref, service_name. None clears a field (a reopened incident).
    facts: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, Any] = field(default_factory=dict)  # what the source's rules match
    moments: list[Moment] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)


def text(value: Any, where: str, limit: int = 1000) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Unreadable(f"{where}: expected text, got {type(value).__name__}")
    return storable(str(value))[:limit]


def mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Unreadable(f"{where}: expected an object, got {type(value).__name__}")
    return value


def items(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Unreadable(f"{where}: expected a list, got {type(value).__name__}")
    return value


def instant(value: Any, where: str) -> datetime | None:
    """An ISO 8601 time; Go's zero time (an alert still firing) is no time at all."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise Unreadable(f"{where}: expected an ISO 8601 time, got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise Unreadable(f"{where}: {value!r} is not an ISO 8601 time") from error
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return None if parsed.year <= 1 else parsed


def from_epoch(value: Any, where: str, per_second: int) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unreadable(f"{where}: expected a number, got {type(value).__name__}")
    try:
        return datetime.fromtimestamp(value / per_second, tz=UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise Unreadable(f"{where}: {value} is not a time") from error
