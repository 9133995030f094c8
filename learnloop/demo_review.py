"""The demo's reviewed incident: three analysts' reports, a merged timeline with a disagreement,
a held review (factors with evidence, learnings with votes, an action drafted from the top one)
and a narrative published to the organisation and already read by a few people."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import User

from learnloop.accounts.models import Service, Team
from learnloop.actions.models import ActionKind
from learnloop.analysis.models import AssignmentRole, Interview, KeyEvent, LearningTheme
from learnloop.analysis.services import add_analyst, save_report
from learnloop.incidents.models import ResponseRole, Status
from learnloop.incidents.services import record_incident
from learnloop.narratives import services as narratives
from learnloop.narratives.draft import generate_draft
from learnloop.narratives.models import NarrativeRead
from learnloop.reviews import services as reviews
from learnloop.reviews.models import InviteeKind, Review, ReviewInvitee, ReviewStatus

# (analyst, minutes after the start, precision, event type, what happened). Chen and Dev place
# the failover ten minutes apart: the merged timeline flags it for the review.
TELLINGS = [
    ("chen", -90, "hour", "change", "Depot map data refreshed with the new road closures."),
    ("chen", 0, "minute", "trigger", "Optimiser run for the north depots starts timing out."),
    ("chen", 18, "minute", "detection", "Depot lead phones on-call: no routes on the scanners."),
    ("chen", 35, "minute", "mitigation", "Failover to yesterday's plans for the north depots."),
    ("dev", 20, "minute", "escalation", "On-call pages the routing team's second engineer."),
    ("dev", 45, "minute", "mitigation", "Failover to yesterday's plans for the north depots."),
    ("dev", None, "unknown", "context", "The closures file had grown tenfold since spring."),
    ("amara", 60, "minute", "recovery", "Fresh routes reach the scanners after a manual rerun."),
]


def seed_reviewed_incident(
    people: dict[str, User],
    routing: Team,
    service: Service,
    themes: dict[str, LearningTheme],
    now: datetime,
) -> None:
    day = now - timedelta(days=20)
    incident = record_incident(
        routing.organisation,
        people["pm.routing"],
        title="North depots started the day without routes",
        summary="A much larger road-closures file pushed the optimiser past its time limit.",
        team=routing,
        service=service,
        severity=2,
        status=Status.CLOSED,
        started_at=day,
        detected_at=day + timedelta(minutes=18),
        mitigated_at=day + timedelta(minutes=45),
        resolved_at=day + timedelta(minutes=60),
        customer_facing=True,
        estimated_loss=Decimal("26000.00"),
        impact_summary="Three depots left 55 minutes late; 2,300 deliveries moved to the next day.",
        responders=[
            (people["chen"], ResponseRole.ON_CALL),
            (people["dev"], ResponseRole.OPERATIONS),
        ],
    )
    add_analyst(incident, people["amara"], AssignmentRole.FACILITATOR)
    work = {a.analyst.email.split("@")[0]: a for a in incident.assignments.all()}
    events = {}
    for position, (who, minutes, precision, kind, text) in enumerate(TELLINGS):
        events[position] = KeyEvent.objects.create(
            incident=incident,
            assignment=work[who],
            occurred_at=None if minutes is None else day + timedelta(minutes=minutes),
            precision=precision,
            event_type=kind,
            actor_role="on-call engineer" if kind != "change" else "data pipeline",
            description=text,
            position=position,
        )
    events[6].themes.add(themes["Capacity planning"])
    talk = Interview.objects.create(
        assignment=work["amara"],
        interviewee=people["chen"],
        held_at=day + timedelta(days=2),
        notes="The time limit was set when the closures file was small; nobody owned it.",
        shared_with_review=True,
    )
    Interview.objects.create(
        assignment=work["amara"],
        interviewee=people["dev"],
        held_at=day + timedelta(days=2, hours=1),
        notes="Private: felt alone on the phone with the depot for the first twenty minutes.",
    )
    for who, text in (
        ("chen", "## What I saw\n\nTimeouts began right after the map refresh."),
        ("dev", "## What I saw\n\nThe fallback plans worked, but took us a while to trust."),
        ("amara", "## Facilitator's view\n\nThe time limit had no owner and no alert."),
    ):
        save_report(work[who], text, submit=True)
    incident.themes.add(themes["Capacity planning"])

    review = Review.objects.create(
        incident=incident,
        starts_at=day + timedelta(days=5, hours=3),
        ends_at=day + timedelta(days=5, hours=4, minutes=30),
        location="Route Planning room and video call",
        facilitator=people["amara"],
        scheduled_by=people["pm.routing"],
        status=ReviewStatus.HELD,
        preparation_hours=Decimal("1.5"),
    )
    for who, kind in (
        ("chen", InviteeKind.RESPONDER),
        ("dev", InviteeKind.RESPONDER),
        ("amara", InviteeKind.ANALYST),
        ("pm.routing", InviteeKind.STAKEHOLDER),
        ("pm.tracking", InviteeKind.STAKEHOLDER),
    ):
        ReviewInvitee.objects.create(review=review, user=people[who], kind=kind, attended=True)
    organiser = people["pm.routing"]
    reviews.add_context_note(
        review, organiser, "Road closures doubled this year with the city's works.", events[0]
    )
    reviews.add_factor(
        review,
        organiser,
        kind="technical",
        category="capacity",
        description="The optimiser's time limit was sized for a much smaller closures file.",
        key_events=[events[0], events[1], events[6]],
    )
    reviews.add_factor(
        review,
        organiser,
        kind="human",
        category="ownership",
        description="Nobody owned the time limit, so nobody saw the file growing.",
        interviews=[talk],
    )
    alert = reviews.propose_learning(
        review, people["chen"], "Limits that guard a daily deadline need an owner and an alert."
    )
    trust = reviews.propose_learning(
        review, people["dev"], "Fallback plans are safe to use; say so in the runbook."
    )
    for who in ("chen", "dev", "amara", "pm.routing"):
        reviews.vote(alert, review, people[who])
    reviews.vote(trust, review, people["dev"])
    reviews.draft_action(
        alert,
        review,
        organiser,
        title="Alert when an optimiser run nears its time limit",
        kind=ActionKind.MONITORING,
        owner_team=routing,
    )

    narrative = narratives.narrative_for(incident)
    first = generate_draft(incident, people["amara"])
    narratives.save_version(
        narrative,
        first.body.replace("## Summary", "## Summary\n\nA story of a quiet limit.", 1),
        people["pm.routing"],
        first.number,
        note="An opening line",
    )
    narratives.change_status(narrative, "in_review")
    narratives.publish(narrative, people["pm.routing"])
    for who in ("reader", "pm.tracking", "ben"):
        NarrativeRead.objects.create(narrative=narrative, reader=people[who])
