"""What each step of the review workspace shows, for one viewer. Each step reads what it needs in
a bounded number of queries, so the whole page and every poll stay cheap."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import mark_safe

from learnloop.accounts.models import Membership
from learnloop.accounts.rights import (
    can_run_review,
    can_take_part_in_review,
    readable_interviews,
)
from learnloop.analysis.models import AnalysisAssignment, Interview, KeyEvent, ReportStatus
from learnloop.incidents.models import Incident
from learnloop.lib.markdown import render as markdown
from learnloop.mail.outbox import undelivered
from learnloop.reviews import services
from learnloop.reviews.drawing import draw
from learnloop.reviews.models import (
    ContextNote,
    ContributingFactor,
    FactorKind,
    LearningVote,
    Review,
)
from learnloop.reviews.timeline import merged_timeline_for
from learnloop.reviews.timeline_rows import flagged_groups, table_rows


@dataclass(frozen=True)
class Perspective:
    assignment: AnalysisAssignment
    report_html: str
    interviews: list[tuple[Interview, str]]


def _base(review: Review, membership: Membership, name: str) -> dict[str, Any]:
    return {
        "review": review,
        "incident": review.incident,
        "token": services.change_token(review),
        "step_url": reverse(f"review_{name}", args=[review.pk]),
        "runs": can_run_review(membership, review),
        "takes_part": can_take_part_in_review(membership, review),
    }


def _assignments(review: Review) -> list[AnalysisAssignment]:
    return list(
        review.incident.assignments.select_related("analyst", "report").order_by(
            "window_start", "id"
        )
    )


def reports(review: Review, membership: Membership) -> dict[str, Any]:
    rows = []
    for a in _assignments(review):
        report = getattr(a, "report", None)
        submitted = report is not None and report.status == ReportStatus.SUBMITTED
        rows.append((a, markdown(report.body) if submitted and report else None))
    return {"reports": rows}


def understanding(review: Review, membership: Membership) -> dict[str, Any]:
    timeline = merged_timeline_for(review.incident)
    notes = ContextNote.objects.filter(review=review).select_related("author")
    beside: dict[int | None, list[ContextNote]] = defaultdict(list)
    for note in notes:
        beside[note.key_event_id].append(note)
    runs = can_run_review(membership, review)
    notes_of = {
        event: render_to_string(
            "reviews/steps/_event_notes.html", {"notes": told, "review": review, "runs": runs}
        )
        for event, told in beside.items()
        if event is not None
    }
    drawing = draw(
        timeline, chat_times(review.incident), title=f"Timeline of {review.incident.key}"
    )
    return {
        "timeline": timeline,
        "rows": table_rows(timeline.entries, notes_of, linked=True),
        "flagged": flagged_groups(timeline.groups),
        "opening_notes": beside.get(None, []),
        "drawing": mark_safe(drawing),
    }


def chat_times(incident: Incident) -> list[datetime]:
    """When the incident's chat messages were posted, for the timeline's chat lane."""
    from learnloop.chat.models import TimelineCandidate

    found = TimelineCandidate.objects.filter(incident=incident).order_by("posted_at")
    return list(found.values_list("posted_at", flat=True)[:5000])


def perspectives(review: Review, membership: Membership) -> dict[str, Any]:
    # Only notes shared with the review, and of those only what this viewer may read: a
    # viewer's own private notes stay out of the room as well.
    shared = readable_interviews(
        membership, services.shared_interviews(review.incident).select_related("interviewee")
    ).order_by("held_at", "id")
    by_assignment: dict[int, list[tuple[Interview, str]]] = defaultdict(list)
    for interview in shared:
        by_assignment[interview.assignment_id].append((interview, markdown(interview.notes)))
    views = []
    for a in _assignments(review):
        report = getattr(a, "report", None)
        submitted = report is not None and report.status == ReportStatus.SUBMITTED
        views.append(
            Perspective(
                a, markdown(report.body) if submitted and report else "", by_assignment[a.pk]
            )
        )
    analysts = {a.assignment.analyst_id for a in views}
    responders = [
        r for r in review.incident.responders.select_related("user") if r.user_id not in analysts
    ]
    return {"perspectives": views, "responders_without_analysis": responders}


def factors(review: Review, membership: Membership) -> dict[str, Any]:
    found = list(
        ContributingFactor.objects.filter(incident=review.incident).prefetch_related(
            Prefetch("key_events", queryset=KeyEvent.objects.order_by("occurred_at", "id")),
            Prefetch("interviews", queryset=Interview.objects.select_related("interviewee")),
        )
    )
    return {
        "human_factors": [f for f in found if f.kind == FactorKind.HUMAN],
        "technical_factors": [f for f in found if f.kind == FactorKind.TECHNICAL],
    }


def learnings(review: Review, membership: Membership) -> dict[str, Any]:
    ranked = list(services.ranked_learnings(review).prefetch_related("actions"))
    mine = set(
        LearningVote.objects.filter(
            learning__review=review, voter_id=membership.user_id
        ).values_list("learning_id", flat=True)
    )
    return {
        "learnings": ranked,
        "my_votes": mine,
        "votes_left": max(0, review.votes_per_attendee - len(mine)),
    }


def narrative_url(review: Review) -> str:
    # The narrative app may not be installed in every build; the review page renders anyway.
    try:
        return reverse("narrative_generate", kwargs={"key": review.incident.key})
    except NoReverseMatch:
        return f"/incidents/{review.incident.key}/narrative/generate/"


def narrative(review: Review, membership: Membership) -> dict[str, Any]:
    return {"narrative_url": narrative_url(review)}


STEPS = {
    "reports": reports,
    "understanding": understanding,
    "perspectives": perspectives,
    "factors": factors,
    "learnings": learnings,
    "narrative": narrative,
}


def step(name: str, review: Review, membership: Membership) -> dict[str, Any]:
    context = _base(review, membership, name)
    context.update(STEPS[name](review, membership))
    return context


def everything(review: Review, membership: Membership) -> dict[str, Any]:
    """The whole page: every step, plus who is invited and which reports are missing."""
    context = _base(review, membership, "reports")
    for build in STEPS.values():
        context.update(build(review, membership))
    context["invitees"] = list(review.invitees.select_related("user"))
    context["undelivered"] = undelivered(f"review:{review.pk}") if context["runs"] else []
    context["missing"] = [a for a, html in context["reports"] if html is None]
    context["step_urls"] = {name: reverse(f"review_{name}", args=[review.pk]) for name in STEPS}
    return context
