"""Workflows around an incident: recording it, deciding whether it is of consequence, and
opening the learning process when it is."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from learnloop.accounts.models import Organisation, organisation_param
from learnloop.analysis.services import open_learning
from learnloop.audit.models import AuditAction
from learnloop.audit.trail import record
from learnloop.incidents.models import (
    ConsequenceDecision,
    ConsequencePolicy,
    Incident,
    Responder,
    ResponseRole,
)
from learnloop.lib import statements
from learnloop.webhooks.models import EventType, Subscription
from learnloop.webhooks.outbox import emit, incident_data, listeners


def policy_for(organisation: Organisation) -> ConsequencePolicy:
    """The organisation's policy (made with the defaults on first use). Read by a statement
    compiled once: every create and every import reads it."""
    return policy_of(organisation.pk)


def policy_of(organisation_id: int) -> ConsequencePolicy:
    """As policy_for, by the organisation's id (for a row that holds only the id)."""
    given = {"organisation": organisation_id}
    found = statements.prepared("consequence policy", _policy).instances(ConsequencePolicy, given)
    if found:
        return found[0]
    policy, _ = ConsequencePolicy.objects.get_or_create(organisation_id=organisation_id)
    return policy


def _policy() -> QuerySet[Any, Any]:
    return statements.whole(ConsequencePolicy.objects.filter(organisation_id=organisation_param()))


def next_key(organisation: Organisation) -> str:
    """INC-n: the organisation's next n, skipping keys that imports already hold. Each n is
    taken from the organisation's KeyCounter by one statement, committed at once (when the
    caller is in no transaction), so two creates never take the same n and neither holds a lock
    while it writes; an n taken by a create that then fails is not given again. The counter
    starts after the organisation's newest incident's id (keys given before it existed were at
    most that). The statement also says whether an import holds INC-n already."""
    while True:
        number, held = _take_number(organisation.pk)
        if not held:
            return f"INC-{number}"


NEXT_NUMBER = "UPDATE incidents_keycounter SET last = last + 1 WHERE organisation_id = %s"
# The organisation's first: two at once both insert, and the second adds one to the first's.
FIRST_NUMBER = """
    INSERT INTO incidents_keycounter (organisation_id, last)
    SELECT %s, COALESCE(MAX(id), 0) + 1 FROM incidents_incident WHERE organisation_id = %s
    ON CONFLICT (organisation_id) DO UPDATE SET last = incidents_keycounter.last + 1"""
# Added to either: with the number taken, whether an incident of the organisation holds its key.
HELD = """
    RETURNING last, EXISTS (SELECT 1 FROM incidents_incident
        WHERE organisation_id = %s AND key = 'INC-' || last)"""


def _take_number(organisation_id: int) -> tuple[int, bool]:
    """The number and whether it is held, each by one statement and so in no transaction of
    ours: the first adds one to the counter, the second makes the counter, safely if another
    create makes it at the same moment."""
    with connection.cursor() as cursor:
        cursor.execute(NEXT_NUMBER + HELD, [organisation_id, organisation_id])
        row = cursor.fetchone()
        if row is None:
            cursor.execute(FIRST_NUMBER + HELD, [organisation_id] * 3)
            row = cursor.fetchone()
        return int(row[0]), bool(row[1])


def record_incident(organisation: Organisation, by: User | None, **fields: Any) -> Incident:
    """Records the incident and has the policy decide on it. Everything that only reads (the
    policy, who listens for events, the fields' validation) comes before the transaction: on
    SQLite a transaction holds the database's write lock until its commit, and other writers
    wait. The key is taken before it too (next_key), in a transaction of its own."""
    responders = fields.pop("responders", [])
    incident = Incident(organisation=organisation, **fields)
    reasons = policy_for(organisation).reasons(incident)
    incident.of_consequence = bool(reasons)
    listening = listeners(organisation.pk)
    chosen = bool(incident.key)
    # The organisation, team and service are rows the caller read: not looked up again.
    read = [name for name in ("team", "service") if getattr(incident, f"{name}_id") is not None]
    unset = [] if chosen else ["key"]  # taken below, free by construction
    incident.full_clean(exclude=["themes", "organisation", *read, *unset], validate_unique=chosen)
    if not chosen:
        incident.key = next_key(organisation)
    with transaction.atomic():
        incident.save()
        for user, role in responders:
            Responder.objects.create(incident=incident, user=user, response_role=role)
        data = incident_data(incident)
        emit(organisation.pk, EventType.INCIDENT_RECORDED, incident.key, data, among=listening)
        decision = policy_decision(incident, reasons)
        decision.save()
        if reasons:
            if responders:
                open_learning(incident)
            announce_consequence(decision, among=listening, data=data)
    return incident


@transaction.atomic
def update_incident(incident: Incident, **fields: Any) -> Incident:
    before = {"severity": incident.severity, "team": incident.team_id}
    for name, value in fields.items():
        setattr(incident, name, value)
    incident.updated_at = timezone.now()
    incident.full_clean(exclude=["themes"])
    incident.save()
    after = {"severity": incident.severity, "team": incident.team_id}
    children_follow(incident, [name for name in before if before[name] != after[name]])
    apply_policy(incident)
    return incident


def children_follow(incident: Incident, changed: Collection[str]) -> None:
    """What the incident's children keep of it follows its change (changed: its fields'
    names): its improvement actions' targets its severity, its analysis periods its team."""
    from learnloop.actions.targets import retarget

    if "severity" in changed:
        policy = policy_of(incident.organisation_id)
        retarget(incident.improvement_actions.all(), policy.target_days_for)
    if "team" in changed:
        incident.assignments.update(incident_team_id=incident.team_id)


def add_responder(incident: Incident, user: User, role: str) -> Responder:
    with transaction.atomic():
        responder, _ = Responder.objects.update_or_create(
            incident=incident, user=user, defaults={"response_role": role}
        )
        if incident.of_consequence:
            open_learning(incident)
    return responder


@transaction.atomic
def replace_responders(incident: Incident, responders: list[tuple[User, str | None]]) -> None:
    """The incident's responders become exactly these people. A role of None keeps the role a
    responder already has (on call for someone new)."""
    chosen = {user.pk for user, _ in responders}
    incident.responders.exclude(user_id__in=chosen).delete()
    existing = set(incident.responders.values_list("user_id", flat=True))
    for user, role in responders:
        if role is None and user.pk in existing:
            continue
        add_responder(incident, user, role or ResponseRole.ON_CALL)


def apply_policy(incident: Incident, policy: ConsequencePolicy | None = None) -> None:
    """The policy decides unless a person already has; a person's decision stands.
    (Callers deciding many incidents pass the policy in, to read it once.)"""
    undecided = incident.of_consequence is None
    if not undecided and incident.consequence_decisions.filter(by_policy=False).exists():
        if incident.of_consequence:
            open_learning(incident)
        return
    reasons = (policy or policy_for(incident.organisation)).reasons(incident)
    decided = bool(reasons)
    if incident.of_consequence is decided:
        if decided:
            open_learning(incident)
        return
    _decide(incident, decided, policy_reason(reasons), by=None)


def policy_reason(reasons: list[str]) -> str:
    return "Policy: " + "; ".join(reasons) if reasons else "Policy: no criterion met"


def policy_decision(incident: Incident, reasons: list[str]) -> ConsequenceDecision:
    """The policy's decision, not saved yet, for an incident inserted already decided (recorded,
    or imported in a batch)."""
    return ConsequenceDecision(
        incident=incident,
        of_consequence=bool(reasons),
        by_policy=True,
        reason=policy_reason(reasons),
    )


def announce_consequence(
    decision: ConsequenceDecision,
    among: list[Subscription] | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Subscribers hear that the incident is now of consequence, and why (`data`: the
    incident's, when the caller has it already)."""
    incident = decision.incident
    data = {
        **(data or incident_data(incident)),
        "reason": decision.reason,
        "by_policy": decision.by_policy,
    }
    emit(
        incident.organisation_id,
        EventType.INCIDENT_OF_CONSEQUENCE,
        incident.key,
        data,
        among=among,
    )


def decide_by_hand(
    incident: Incident, of_consequence: bool, reason: str, by: User
) -> ConsequenceDecision:
    reason = reason.strip()
    if not reason:
        raise ValueError("A reason is required when deciding by hand.")
    with transaction.atomic():
        before = incident.of_consequence
        decision = _decide(incident, of_consequence, reason, by=by)
        record(
            AuditAction.CONSEQUENCE_DECIDED,
            organisation_id=incident.organisation_id,
            target=incident.key,
            before={"of_consequence": before},
            after={"of_consequence": of_consequence, "reason": reason},
        )
        return decision


def _decide(
    incident: Incident, of_consequence: bool, reason: str, by: User | None
) -> ConsequenceDecision:
    decision = ConsequenceDecision.objects.create(
        incident=incident,
        of_consequence=of_consequence,
        decided_by=by,
        by_policy=by is None,
        reason=reason,
    )
    Incident.objects.filter(pk=incident.pk).update(of_consequence=of_consequence)
    was = incident.of_consequence
    incident.of_consequence = of_consequence
    if of_consequence:
        open_learning(incident)
        if not was:
            announce_consequence(decision)
    return decision
