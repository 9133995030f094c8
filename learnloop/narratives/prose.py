"""The narrative's story, written as prose from the incident's material: what happened in the
order people experienced it, what made sense to them at the time, where the accounts differ,
what was learned and what will change. Every claim names the numbered key event, factor or action
of the appendix it comes from. The generator's own words stay clear of what the blame-aware
language check flags; what it quotes (descriptions, reports, notes) is the tellers' own."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.contrib.auth.models import User

from learnloop.actions.models import ImprovementAction
from learnloop.analysis.models import AnalysisAssignment, Interview, ReportStatus
from learnloop.incidents.models import Incident
from learnloop.reviews.models import ContributingFactor, FactorKind, Learning
from learnloop.reviews.timeline import (
    IMPORTED_SOURCE,
    MergedTimeline,
    TimelineEntry,
    clock,
    day_of,
)

PARAGRAPH_GAP = timedelta(minutes=30)  # a longer quiet starts a new paragraph
PARAGRAPH_LENGTH = 5


def one_line(text: str) -> str:
    """Quoted text on one line, so that it stays inside its list item or sentence."""
    return " ".join(text.split())


def quoted(text: str) -> str:
    """Quoted text as a Markdown block quote, line breaks kept."""
    return "\n".join(f"> {line}".rstrip() for line in text.strip().splitlines())


def moment(at: datetime | None) -> str:
    return f"{day_of(at)} {at.astimezone(UTC):%H:%M} UTC" if at else "not recorded"


def listed(items: Iterable[str]) -> str:
    items = list(items)
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def name_of(user: User) -> str:
    return user.get_full_name() or user.email


def sentence(text: str) -> str:
    text = one_line(text)
    return text if text.endswith((".", "!", "?", "…", ":")) else text + "."


def _when(entry: TimelineEntry, previous: datetime | None) -> str:
    """The time as precisely as it was told, with the day when it changes."""
    at = entry.event.occurred_at
    told = clock(at, entry.event.precision)
    if told is None or at is None:
        return "At a time nobody recorded"
    if not told:
        return f"On {day_of(at)}"
    new_day = previous is None or previous.astimezone(UTC).date() != at.astimezone(UTC).date()
    return f"At {told}" + (f" on {day_of(at)}" if new_day else "")


def _whose(entry: TimelineEntry) -> str:
    if entry.source == IMPORTED_SOURCE:
        return "the incident report records"
    return f"{entry.source} tells"


def _paragraphs(entries: list[TimelineEntry]) -> list[list[TimelineEntry]]:
    found: list[list[TimelineEntry]] = []
    last: datetime | None = None
    for entry in entries:
        at = entry.event.occurred_at
        quiet = at is not None and last is not None and at - last > PARAGRAPH_GAP
        if not found or quiet or len(found[-1]) >= PARAGRAPH_LENGTH:
            found.append([])
        found[-1].append(entry)
        last = at or last
    return found


def _opening(incident: Incident) -> str:
    said = [sentence(incident.title)]
    if incident.started_at:
        where = ""
        if incident.service:
            where = f" in {incident.service.name}"
        elif incident.team:
            where = f" in the {incident.team.name} team's systems"
        said.append(
            f"It began{where} on {day_of(incident.started_at)} at "
            f"{incident.started_at.astimezone(UTC):%H:%M} UTC."
        )
    if incident.started_at and incident.detected_at and incident.detected_at > incident.started_at:
        minutes = int((incident.detected_at - incident.started_at).total_seconds() // 60)
        said.append(f"It came to light {minutes} minute{'s' if minutes != 1 else ''} later.")
    if incident.duration is not None:
        minutes = int(incident.duration.total_seconds() // 60)
        hours, rest = divmod(minutes, 60)
        span = f"{hours} h {rest} min" if hours else f"{rest} minutes"
        said.append(f"Service was back to normal after {span}.")
    if incident.customer_facing:
        said.append("Customers noticed it.")
    return " ".join(said)


def what_happened(
    incident: Incident,
    timeline: MergedTimeline,
    numbers: dict[int, int],
    notes: dict[int | None, list[str]],
) -> str:
    lines = ["## What happened", "", _opening(incident)]
    if incident.impact_summary.strip():
        lines += ["", "What it meant for the people it touched, in the report's words:", ""]
        lines.append(quoted(incident.impact_summary))
    if not timeline.entries:
        lines += ["", "No key events are recorded yet: the story grows as the analyses add them."]
        return "\n".join(lines)
    lines += [
        "",
        "Here is the incident in the order people experienced it, each moment as one person "
        "told it (the numbers are the key events of the timeline in the appendix).",
    ]
    lines += ["", *notes.get(None, [])] if notes.get(None) else []
    previous: datetime | None = None
    for paragraph in _paragraphs(list(timeline.entries)):
        said = []
        after = []
        for entry in paragraph:
            number = numbers[entry.event.pk]
            text = sentence(entry.event.description).rstrip(".")
            said.append(f"{_when(entry, previous)}, {_whose(entry)}: {text} (event {number}).")
            previous = entry.event.occurred_at or previous
            after += notes.get(entry.event.pk, [])
        lines += ["", " ".join(said)]
        lines += ["", *after] if after else []
    return "\n".join(lines)


def _shared_interviews(incident: Incident) -> dict[int, list[Interview]]:
    # Only notes shared with the review: the draft is read by the whole team, and later by the
    # organisation; private notes stay with the analyst and the interviewee.
    found: dict[int, list[Interview]] = {}
    for interview in Interview.objects.filter(
        assignment__incident=incident, shared_with_review=True
    ).select_related("interviewee"):
        found.setdefault(interview.assignment_id, []).append(interview)
    return found


def made_sense(incident: Incident) -> str:
    """Each analyst's account, and the interviews shared with the review, in their words."""
    lines = ["## What made sense at the time", ""]
    assignments = (
        AnalysisAssignment.objects.filter(incident=incident)
        .select_related("analyst", "report")
        .order_by("window_start", "id")
    )
    shared = _shared_interviews(incident)
    if not assignments:
        lines.append(
            "No analysis in learnloop yet: what people knew and expected at each moment comes "
            "from their analyses, once they are written."
        )
        return "\n".join(lines)
    lines += [
        "Each person saw the incident from where they stood. In their own words:",
        "",
    ]
    for assignment in assignments:
        who = name_of(assignment.analyst)
        role = assignment.get_role_display().lower()
        report = getattr(assignment, "report", None)
        if report is not None and report.status == ReportStatus.SUBMITTED and report.body.strip():
            lines += [f"### {who} ({assignment.get_role_display()})", ""]
            lines += [f"{who}, {role}, looked back on it like this:", "", quoted(report.body), ""]
        else:
            lines += [f"### {who} ({assignment.get_role_display()})", ""]
            lines += ["The analysis report is not submitted yet.", ""]
        for interview in shared.get(assignment.pk, []):
            lines += [
                f"{interview.interviewee_label} said in an interview on "
                f"{day_of(interview.held_at)}, shared with the review:",
                "",
                quoted(interview.notes) if interview.notes.strip() else "> (no notes)",
                "",
            ]
    return "\n".join(lines)


def accounts_differ(timeline: MergedTimeline, numbers: dict[int, int]) -> str:
    lines = ["## Where the accounts differ", ""]
    if not timeline.groups:
        lines.append(
            "The accounts agree on what happened and when, as far as the timeline shows. "
            "Agreement is worth checking too: people who were in the same place may share the "
            "same blind spot."
        )
        return "\n".join(lines)
    lines.append(
        "Some moments are told differently. The difference is kept, not settled: it shows what "
        "each person could see from where they were."
    )
    for group in timeline.groups:
        events = listed(str(numbers[entry.event.pk]) for entry in group.entries)
        lines += [
            "",
            f"{sentence(group.reason).rstrip('.')} (events {events}; open question "
            f"{group.number} in the appendix). What did each person see at that moment, and what "
            "made their accounts differ?",
        ]
    return "\n".join(lines)


def learned(learnings: list[Learning], factors: list[ContributingFactor]) -> str:
    lines = ["## What we learned", ""]
    if learnings:
        ranked = []
        for index, learning in enumerate(learnings, start=1):
            votes = getattr(learning, "vote_count", 0)
            support = f"{votes} vote{'' if votes == 1 else 's'}"
            ranked.append(f"{index}. {sentence(learning.text).rstrip('.')} ({support}).")
        lines += ["The review agreed on these learnings, the most supported first:", "", *ranked]
    else:
        lines.append("No learnings are recorded yet: the review proposes and ranks them.")
    if factors:
        numbered = {f.pk: n for n, f in enumerate(factors, start=1)}
        kinds = (
            (FactorKind.HUMAN, "human and organisational"),
            (FactorKind.TECHNICAL, "technical"),
        )
        for kind, label in kinds:
            chosen = [f for f in factors if f.kind == kind]
            if chosen:
                said = listed(
                    f"{sentence(f.description).rstrip('.')} (factor {numbered[f.pk]})"
                    for f in chosen
                )
                lines += ["", f"Among the {label} conditions that contributed: {said}."]
    return "\n".join(lines)


def will_change(actions: list[ImprovementAction]) -> str:
    lines = ["## What will change", ""]
    if not actions:
        lines.append("No improvement actions are recorded yet: the review drafts them.")
        return "\n".join(lines)
    said = []
    for number, action in enumerate(actions, start=1):
        owner = action.owner_team.name if action.owner_team else "a team still to be chosen"
        said.append(f"{sentence(action.title).rstrip('.')} ({owner}; action {number})")
    lines.append(
        f"{len(actions)} improvement action{'s follow' if len(actions) != 1 else ' follows'} "
        f"from it: {listed(said)}. Where each one stands now is shown beside the narrative."
    )
    return "\n".join(lines)
