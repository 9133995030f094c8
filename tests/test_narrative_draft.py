"""The generated draft: every key event in time order with whose account it is, factors under
their split, learnings by votes, every action; private notes never; no blame wording of its own."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from learnloop.actions.models import ActionKind
from learnloop.actions.services import add_action
from learnloop.analysis.models import Interview, KeyEvent, Precision
from learnloop.analysis.services import save_report
from learnloop.cli import main
from learnloop.incidents.models import Incident, ResponseRole
from learnloop.incidents.services import record_incident
from learnloop.lib.language import check
from learnloop.narratives.draft import generate_draft, one_line
from learnloop.narratives.models import Narrative
from learnloop.reviews.models import (
    ContextNote,
    ContributingFactor,
    FactorKind,
    Learning,
    LearningVote,
    Review,
)
from learnloop.reviews.timeline import is_timed, sort_time
from tests.conftest import World, utc


def section(text: str, heading: str) -> str:
    """The text under a heading, up to the next heading of the same or a higher level."""
    level = heading.split(" ")[0]
    start = text.index(heading + "\n") + len(heading) + 1
    ends = [text.find(f"\n{'#' * n} ", start) for n in range(1, len(level) + 1)]
    ends = [end for end in ends if end != -1]
    return text[start : min(ends)] if ends else text[start:]


def story_order(text: str, events: list[KeyEvent]) -> list[KeyEvent]:
    """The events in the order the story tells them; each must be told exactly once."""
    story = section(text, "### Timeline").splitlines()
    placed = []
    for event in events:
        lines = [
            i
            for i, line in enumerate(story)
            if f": {one_line(event.description)} *Account:" in line
        ]
        assert len(lines) == 1, f"told {len(lines)} times: {event.description[:60]}"
        placed.append((lines[0], event))
    return [event for _, event in sorted(placed, key=lambda pair: pair[0])]


def assert_prose_tells_each_event_once_in_order(draft: str, count: int) -> None:
    """The story in prose names every key event of the appendix's timeline once, in its order."""
    told = [int(n) for n in re.findall(r"\(event (\d+)\)", section(draft, "## What happened"))]
    assert told == list(range(1, count + 1))


def assert_in_time_order(told: list[KeyEvent]) -> None:
    timed = [event for event in told if is_timed(event)]
    starts = [sort_time(event) for event in timed]
    assert starts == sorted(starts)
    assert told[len(timed) :] == [event for event in told if not is_timed(event)]  # untimed last


def source_texts(incident: Incident) -> list[str]:
    texts = [incident.title, incident.summary, incident.impact_summary]
    texts += [e.description for e in incident.key_events.all()]
    texts += [e.actor_role for e in incident.key_events.all()]
    texts += [f.description for f in incident.contributing_factors.all()]
    texts += [f.category for f in incident.contributing_factors.all()]
    texts += [a.title for a in incident.improvement_actions.all()]
    texts += [t.name for t in incident.themes.all()]
    texts += [learning.text for learning in incident.learnings.all()]
    for assignment in incident.assignments.all():
        report = getattr(assignment, "report", None)
        texts += [report.body] if report else []
        texts += [i.notes for i in assignment.interviews.filter(shared_with_review=True)]
    facts = incident.report_facts or {}
    texts += [str((facts.get("detection") or {}).get("method") or "")]
    texts += [str(s.get(k) or "") for s in facts.get("sources", []) for k in ("title", "author")]
    texts += [str(m.get(k)) for m in facts.get("impact_metrics", []) for k in ("name", "value")]
    for review in incident.reviews.all():
        texts += [n.text for n in review.context_notes.all()]
    return [t for t in texts if t.strip()]


def assert_no_blame_wording_of_its_own(draft: str, incident: Incident, people=()) -> None:
    sources = source_texts(incident)
    found = {f.phrase.lower() for f in check(draft, people)}
    quoted = {f.phrase.lower() for text in sources for f in check(text, people)}
    assert found - quoted == set()
    # Stronger: with every quoted text taken out, what is left (the generator's own words)
    # has nothing to flag at all.
    own = draft
    pieces = {one_line(t) for t in sources} | {
        line.strip() for t in sources for line in t.splitlines() if line.strip()
    }
    for piece in sorted(pieces, key=len, reverse=True):
        own = own.replace(piece, "\n")
    assert check(own, people) == []


@pytest.fixture
def imported(db, shared_incidents, capsys) -> list[tuple[dict, Incident]]:
    assert main(["import", str(shared_incidents)]) == 0
    capsys.readouterr()
    docs = [json.loads(p.read_text()) for p in sorted(Path(shared_incidents).glob("*.json"))]
    assert len(docs) == 5
    return [(doc, Incident.objects.get(key=doc["id"])) for doc in docs]


def test_the_draft_of_each_real_report_tells_everything_in_order(imported):
    for doc, incident in imported:
        version = generate_draft(incident, None)
        draft = version.body
        assert draft.startswith("## What happened\n"), (
            "the title is the narrative's, not the body's"
        )
        for heading in (
            "## What happened",
            "## What made sense at the time",
            "## Where the accounts differ",
            "## What we learned",
            "## What will change",
            "## Appendix: the facts",
            "### Summary",
            "### Impact",
            "### Timeline",
            "### Contributing factors",
            "### Learnings",
            "### Improvement actions",
        ):
            assert f"\n{heading}\n" in f"\n{draft}", f"{doc['id']}: {heading} missing"

        events = list(incident.key_events.all())
        assert len(events) == len(doc["timeline"])
        told = story_order(draft, events)
        assert len(told) == len(events)
        assert_in_time_order(told)
        assert "*Account: Imported report.*" in draft
        assert_prose_tells_each_event_once_in_order(draft, len(events))
        assert "the incident report records:" in section(draft, "## What happened")

        human = section(draft, "#### Human / organisational")
        technical = section(draft, "#### Technical")
        for text in doc["contributing_factors"]["human_organisational"]:
            assert f". {one_line(text)} *(Category:" in human
            assert one_line(text) not in technical
        for text in doc["contributing_factors"]["technical"]:
            assert f". {one_line(text)} *(Category:" in technical
            assert one_line(text) not in human

        changes = section(draft, "### Improvement actions")
        will_change = section(draft, "## What will change")
        for number, action in enumerate(doc["improvement_actions"], start=1):
            assert f"{number}. {one_line(action['action'])} *(" in changes
            assert f"action {number})" in will_change

        assert_no_blame_wording_of_its_own(draft, incident)


def test_generating_creates_the_narrative_once_and_keeps_earlier_versions(imported):
    _, incident = imported[0]
    first = generate_draft(incident, None)
    second = generate_draft(incident, None)
    narrative = Narrative.objects.get(incident=incident)
    assert narrative.title == incident.title and narrative.status == "draft"
    assert (first.number, second.number) == (1, 2)
    assert narrative.versions.count() == 2


@pytest.fixture
def reviewed(world: World) -> Incident:
    incident = record_incident(
        world.org,
        world.payments_pm,
        title="Checkout down",
        summary="Card payments stopped for most customers.",
        impact_summary="About 40% of payments declined for an hour.",
        team=world.payments,
        service=world.checkout,
        severity=1,
        started_at=utc(2026, 11, 1, 9),
        resolved_at=utc(2026, 11, 1, 10, 30),
        customer_facing=True,
        responders=[(world.alice, ResponseRole.ON_CALL), (world.bob, ResponseRole.OPERATIONS)],
    )
    alice = incident.assignments.get(analyst=world.alice)
    bob = incident.assignments.get(analyst=world.bob)

    def event(assignment, at, description, position, precision=Precision.MINUTE):
        return KeyEvent.objects.create(
            incident=incident,
            assignment=assignment,
            occurred_at=at,
            precision=precision,
            description=description,
            position=position,
            event_type="diagnosis",
        )

    deploy = event(alice, utc(2026, 11, 1, 8, 55), "Config change to the payment gateway pool", 0)
    event(alice, utc(2026, 11, 1, 9, 2), "Pager fired for checkout latency on payments", 1)
    event(alice, None, "Team chat discussed rollback options", 2, Precision.UNKNOWN)
    event(bob, utc(2026, 11, 1, 9, 3), "Pager fired, checkout latency alert for payments", 0)
    event(bob, utc(2026, 11, 1, 9), "Around then the gateway queue filled", 1, Precision.HOUR)
    save_report(alice, "My view: the pool size was tuned for last year's traffic.", submit=True)
    save_report(bob, "Draft that is not submitted yet: SECRET-DRAFT", submit=False)
    shared = Interview.objects.create(
        assignment=alice,
        interviewee=world.bob,
        held_at=utc(2026, 11, 2, 10),
        notes="SHARED-NOTE: the runbook was two years old.",
        shared_with_review=True,
    )
    private = Interview.objects.create(
        assignment=bob,
        interviewee=world.carol,
        held_at=utc(2026, 11, 2, 11),
        notes="PRIVATE-NOTE: I was exhausted that night.",
    )
    review = Review.objects.create(
        incident=incident,
        starts_at=utc(2026, 11, 5, 14),
        ends_at=utc(2026, 11, 5, 16),
        facilitator=world.payments_pm,
    )
    ContextNote.objects.create(
        review=review, key_event=deploy, text="Config changes skip the staged rollout by design."
    )
    human = ContributingFactor.objects.create(
        incident=incident,
        review=review,
        kind=FactorKind.HUMAN,
        category="Runbooks",
        description="The runbook described an older pool layout",
        position=0,
    )
    human.key_events.add(deploy)
    human.interviews.add(shared, private)
    ContributingFactor.objects.create(
        incident=incident,
        review=review,
        kind=FactorKind.TECHNICAL,
        category="Capacity",
        description="Gateway pool had no headroom",
        position=1,
    )
    few = Learning.objects.create(incident=incident, review=review, text="Runbooks age", position=0)
    many = Learning.objects.create(
        incident=incident, review=review, text="Config is code", position=1
    )
    for voter in (world.alice, world.bob):
        LearningVote.objects.create(learning=many, voter=voter)
    LearningVote.objects.create(learning=few, voter=world.payments_pm)
    add_action(
        incident,
        world.payments_pm,
        title="Stage config changes like code",
        kind=ActionKind.PROCESS,
        learning=many,
    )
    add_action(
        incident, world.payments_pm, title="Alert on pool headroom", kind=ActionKind.MONITORING
    )
    return incident


def test_the_draft_of_a_reviewed_incident(world: World, reviewed: Incident):
    draft = generate_draft(reviewed, world.payments_pm).body
    events = list(reviewed.key_events.all())
    told = story_order(draft, events)
    assert_in_time_order(told)
    story = section(draft, "### Timeline")
    assert "*Account: Alice Analyst.*" in story and "*Account: Bob Builder.*" in story
    assert "**1 Nov 2026, about 09:00**" in story and "**time unknown**" in story
    # The two pagers are the same moment told differently: an open question, not a merge.
    assert "#### Open questions" in story and "See open question 1." in story
    assert "Alice Analyst and Bob Builder tell this moment differently" in story
    assert "*Context from the facilitator:* Config changes skip the staged rollout" in story

    happened = section(draft, "## What happened")
    assert "Alice Analyst tells:" in happened and "Bob Builder tells:" in happened
    assert "At a time nobody recorded" in happened
    assert "Config changes skip the staged rollout" in happened
    assert_prose_tells_each_event_once_in_order(draft, len(events))
    differ = section(draft, "## Where the accounts differ")
    assert "Alice Analyst and Bob Builder tell this moment differently (events" in differ
    assert "open question 1 in the appendix" in differ

    perspectives = section(draft, "## What made sense at the time")
    assert "### Alice Analyst (Responder)" in perspectives
    assert "> My view: the pool size was tuned" in perspectives
    assert "SHARED-NOTE" in perspectives
    assert "The analysis report is not submitted yet." in perspectives
    assert "PRIVATE" not in draft and "SECRET-DRAFT" not in draft
    assert "Carol" not in draft

    human = section(draft, "#### Human / organisational")
    assert "1. The runbook described an older pool layout *(Category: Runbooks." in human
    assert "Evidence: event 1 and interview with Bob Builder.)*" in human
    technical = section(draft, "#### Technical")
    assert "2. Gateway pool had no headroom *(Category: Capacity." in technical

    learned = section(draft, "### Learnings")
    assert learned.index("1. Config is code *(2 votes)*") < learned.index(
        "2. Runbooks age *(1 vote)*"
    )
    in_prose = section(draft, "## What we learned")
    assert "1. Config is code (2 votes)." in in_prose and "(factor 1)" in in_prose
    changes = section(draft, "### Improvement actions")
    assert "1. Stage config changes like code *(Process (human); owner: Payments)*" in changes
    assert "Alert on pool headroom *(Monitoring (technical); owner: Payments" in changes
    assert "status" not in changes  # readers see the current state beside the narrative
    assert "(Payments; action 1)" in section(draft, "## What will change")
    names = ("Alice Analyst", "Alice", "Bob Builder", "Bob")
    assert_no_blame_wording_of_its_own(draft, reviewed, names)
