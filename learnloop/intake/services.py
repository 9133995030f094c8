"""Receiving a tool's deliveries: keep the payload (committed before the tool is answered), then
apply it to the incident it names. Later events win where two disagree, by the tool's own event
times, so the same events in any order, or repeated, end in the same incident."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q, Value
from django.db.models.functions import Concat

from learnloop.accounts.models import Service, Team
from learnloop.analysis.models import KeyEvent, Precision
from learnloop.audit.models import AuditAction
from learnloop.audit.trail import record
from learnloop.incidents.models import Incident, ResponseRole
from learnloop.incidents.services import add_responder, record_incident, update_incident
from learnloop.insights.signals import reindex_later
from learnloop.intake import alertmanager, opsgenie, pagerduty
from learnloop.intake.events import Event, Person, Unreadable
from learnloop.intake.models import (
    SETTLED,
    IntakeDelivery,
    IntakeKind,
    IntakeRef,
    IntakeSource,
    Verdict,
)
from learnloop.lib.storable import storable

READERS: dict[str, Callable[[dict[str, Any]], Event]] = {
    IntakeKind.PAGERDUTY: pagerduty.read,
    IntakeKind.ALERTMANAGER: alertmanager.read,
    IntakeKind.OPSGENIE: opsgenie.read,
}
TIMES = ("started_at", "detected_at", "resolved_at")
EARLIEST = ("started_at", "detected_at")  # the earliest any event says, not the latest


def digest(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def keep(source: IntakeSource, body: bytes, address: str = "") -> IntakeDelivery:
    """The payload, committed on its own before anything is applied, so nothing is lost."""
    return IntakeDelivery.objects.create(
        source=source,
        body=storable(body.decode("utf-8", errors="replace")),
        digest=digest(body),
        address=address[:64],
    )


def refuse(source: IntakeSource, reason: str, address: str = "") -> IntakeDelivery:
    """Only the refusal is recorded: not the payload of someone who could not sign it."""
    return IntakeDelivery.objects.create(
        source=source, verdict=Verdict.REFUSED, detail=reason, address=address[:64]
    )


def _settle(delivery: IntakeDelivery, verdict: str, detail: str = "") -> IntakeDelivery:
    delivery.verdict, delivery.detail = verdict, detail
    delivery.save(update_fields=["verdict", "detail", "event_type", "event_id", "incident"])
    return delivery


def _read(delivery: IntakeDelivery) -> Event:
    try:
        payload = json.loads(delivery.body)
    except json.JSONDecodeError as error:
        raise Unreadable(f"invalid JSON at line {error.lineno} column {error.colno}") from error
    if not isinstance(payload, dict):
        raise Unreadable("the payload is not a JSON object")
    return READERS[delivery.source.kind](payload)


def _seen(delivery: IntakeDelivery) -> IntakeDelivery | None:
    same = Q(digest=delivery.digest)
    if delivery.event_id:
        same |= Q(event_id=delivery.event_id)
    earlier = IntakeDelivery.objects.filter(source_id=delivery.source_id, verdict__in=SETTLED)
    return earlier.filter(same).exclude(pk=delivery.pk).order_by("id").first()


def process(delivery: IntakeDelivery, replay: bool = False) -> IntakeDelivery:
    try:
        event = _read(delivery)
    except Unreadable as error:
        return _settle(delivery, Verdict.INVALID, str(error))
    delivery.event_type, delivery.event_id = event.type[:100], event.event_id[:200]
    try:
        with transaction.atomic():
            # One delivery of a source at a time: two events of one incident arriving together
            # must not both create it.
            source = IntakeSource.objects.select_for_update().get(pk=delivery.source_id)
            earlier = None if replay else _seen(delivery)
            if earlier is not None:
                delivery.incident_id = earlier.incident_id
                return _settle(delivery, Verdict.DUPLICATE, f"Same as delivery {earlier.pk}.")
            if not event.known:
                return _settle(delivery, Verdict.UNKNOWN, f"{event.type} is not handled.")
            incident, said = apply(source, event)
            # Settled before the lock is released: the next delivery of the same event must
            # find this one applied.
            delivery.incident = incident
            return _settle(delivery, Verdict.APPLIED if incident else Verdict.IGNORED, said)
    except ValidationError as error:
        delivery.incident = None
        return _settle(delivery, Verdict.FAILED, _sentence(error))
    except Exception as error:
        delivery.incident = None
        _settle(delivery, Verdict.FAILED, f"Internal error: {type(error).__name__}. Replay it.")
        raise


def replay(delivery: IntakeDelivery) -> IntakeDelivery:
    if delivery.verdict == Verdict.REFUSED:
        raise ValueError("A refused delivery kept no payload: there is nothing to replay.")
    record(
        AuditAction.INTAKE_REPLAYED,
        organisation_id=delivery.source.organisation_id,
        target=f"delivery {delivery.pk} of intake source '{delivery.source.name}'",
        before={"verdict": delivery.verdict},
    )
    IntakeDelivery.objects.filter(pk=delivery.pk).update(replays=delivery.replays + 1)
    delivery.replays += 1
    return process(delivery, replay=True)


def _sentence(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
    return " ".join(error.messages)


# --- applying an event ----------------------------------------------------------------------


def _stored(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def merge(facts: dict[str, Any], event: Event) -> set[str]:
    """Each fact keeps the value of the latest event that stated it (ties broken by event id
    and value, so any order gives one answer); start and detection keep the earliest."""
    changed = set()
    for name, value in event.facts.items():
        stamp = [event.at.timestamp(), event.event_id, json.dumps(_stored(value))]
        held = facts.get(name)
        if held is not None:
            if name in EARLIEST and value is not None and held["value"] is not None:
                later = datetime.fromisoformat(held["value"]) <= value
            else:
                later = held["stamp"] >= stamp
            if later:
                continue
        facts[name] = {"value": _stored(value), "stamp": stamp}
        changed.add(name)
    return changed


def _fields(source: IntakeSource, facts: dict[str, Any], names: set[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in names:
        value = facts[name]["value"]
        if name in TIMES:
            fields[name] = datetime.fromisoformat(value) if value else None
        elif name == "severity_key":
            severity = source.severity_for(value)
            if severity is not None:
                fields["severity"] = severity
        elif name in ("title", "status", "external_ref"):
            fields[name] = value
    return fields


def _matches(when: dict[str, Any], labels: dict[str, Any]) -> bool:
    for name, wanted in when.items():
        have = labels.get(name)
        values = have if isinstance(have, list) else [have]
        if str(wanted).lower() not in {str(v).lower() for v in values if v is not None}:
            return False
    return True


def route(source: IntakeSource, labels: dict[str, Any]) -> tuple[Team, Service | None] | None:
    """The first rule that matches names the team and service; no rules: the source's team.
    With rules, what none matches opens no incident."""
    if not source.rules:
        return source.team, None
    for rule in source.rules:
        if _matches(rule.get("when") or {}, labels):
            organisation = source.organisation_id
            team = Team.objects.filter(organisation_id=organisation, slug=rule.get("team")).first()
            service = Service.objects.filter(
                organisation_id=organisation, slug=rule.get("service") or ""
            ).first()
            return team or source.team, service
    return None


def _service_named(source: IntakeSource, name: str) -> Service | None:
    if not name:
        return None
    services = Service.objects.filter(organisation_id=source.organisation_id)
    return services.filter(Q(name__iexact=name) | Q(slug__iexact=name)).first()


def person(source: IntakeSource, someone: Person) -> User | None:
    members = User.objects.filter(
        memberships__organisation_id=source.organisation_id, is_active=True
    )
    email = source.people.get(someone.tool_id) or source.people.get(someone.name) or someone.email
    if email:
        return members.filter(email__iexact=email).first()
    if someone.name:
        named = members.annotate(full=Concat("first_name", Value(" "), "last_name"))
        found = list(named.filter(full__iexact=someone.name.strip())[:2])
        return found[0] if len(found) == 1 else None
    return None


def apply(source: IntakeSource, event: Event) -> tuple[Incident | None, str]:
    ref_digest = digest(event.ref)
    ref = IntakeRef.objects.filter(source=source, digest=ref_digest).first()
    said = []
    if ref is None:
        routed = route(source, event.labels)
        if routed is None:
            return None, "No rule of the source matches it."
        team, service = routed
        facts: dict[str, Any] = {}
        fields = _fields(source, facts, merge(facts, event))
        fields.setdefault("title", f"{source.get_kind_display()} incident {event.ref}"[:300])
        named = facts["service_name"]["value"] if "service_name" in facts else ""
        fields["service"] = service or _service_named(source, named)
        incident = record_incident(source.organisation, None, team=team, **fields)
        ref = IntakeRef.objects.create(
            source=source, digest=ref_digest, ref=event.ref, incident=incident, facts=facts
        )
        said.append(f"Recorded {incident.key}.")
    else:
        incident = ref.incident
        changed = merge(ref.facts, event)
        if changed:
            ref.save(update_fields=["facts"])
            fields = _fields(source, ref.facts, changed)
            if incident.service_id is None and "service_name" in changed:
                fields["service"] = _service_named(source, ref.facts["service_name"]["value"])
            update_incident(incident, **fields)
            said.append(f"Updated {incident.key}: {', '.join(sorted(fields)) or 'nothing'}.")
        else:
            said.append(f"{incident.key} already says so.")
    said += _add_people(source, incident, event)
    said += _add_moments(incident, event)
    return incident, " ".join(said)


def _add_people(source: IntakeSource, incident: Incident, event: Event) -> list[str]:
    said = []
    for someone in event.people:
        user = person(source, someone)
        if user is None:
            said.append(f"No person matches {someone.name or someone.email or someone.tool_id}.")
        elif not incident.responders.filter(user=user).exists():
            add_responder(incident, user, ResponseRole.ON_CALL)
            said.append(f"{user.email} added as a responder.")
    return said


def _web(url: str) -> bool:
    return url.startswith(("https://", "http://"))


def _add_moments(incident: Incident, event: Event) -> list[str]:
    own = KeyEvent.objects.filter(incident=incident, assignment=None)
    told = set(
        own.filter(source__in=[m.uid for m in event.moments]).values_list("source", flat=True)
    )
    # Once each, also when a payload names the same moment twice.
    fresh = list({m.uid: m for m in event.moments if m.uid not in told}.values())
    if not fresh:
        return []
    last = own.aggregate(m=Max("position"))["m"] or 0
    KeyEvent.objects.bulk_create(
        KeyEvent(
            incident=incident,
            occurred_at=moment.at,
            precision=Precision.MINUTE if moment.at else Precision.UNKNOWN,
            actor_role=moment.actor[:200],
            event_type=moment.event_type,
            description=moment.description,
            evidence_url=moment.evidence_url[:1000] if _web(moment.evidence_url) else "",
            source=moment.uid,
            position=last + n,
        )
        for n, moment in enumerate(fresh, start=1)
    )
    reindex_later(incident.pk)  # written in bulk, which sends no signals
    return [f"{len(fresh)} key event{'s' if len(fresh) != 1 else ''} added."]
