"""The review, facilitated: the six steps one at a time with the minutes planned for each, the
session started (in progress) and finished (held, with who attended), and what it produced."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from learnloop.actions.models import ImprovementAction
from learnloop.reviews import services
from learnloop.reviews.models import (
    ContributingFactor,
    FactorKind,
    Learning,
    Review,
    ReviewStatus,
)

# The six steps, and each one's share of the session's time.
PLAN = (
    ("reports", "Reports", 1),
    ("understanding", "Shared understanding", 3),
    ("perspectives", "Perspectives", 2),
    ("factors", "Contributing factors", 3),
    ("learnings", "Learnings", 2),
    ("narrative", "Narrative", 1),
)


@dataclass(frozen=True)
class Step:
    number: int
    name: str
    title: str
    minutes: int


def steps(review: Review) -> list[Step]:
    total = max(int((review.ends_at - review.starts_at).total_seconds() // 60), len(PLAN))
    weight = sum(share for _, _, share in PLAN)
    return [
        Step(n, name, title, max(1, round(total * share / weight)))
        for n, (name, title, share) in enumerate(PLAN, start=1)
    ]


def current(review: Review) -> Step | None:
    if review.status != ReviewStatus.IN_PROGRESS or not 1 <= review.current_step <= len(PLAN):
        return None
    return steps(review)[review.current_step - 1]


def step_ends_at(review: Review) -> datetime | None:
    step = current(review)
    if step is None or review.step_started_at is None:
        return None
    return review.step_started_at + timedelta(minutes=step.minutes)


def live(review: Review) -> dict[str, Any]:
    """What every page about the review shows of the session: the plan, the room's step and
    when it is planned to end."""
    return {"steps": steps(review), "step": current(review), "ends_at": step_ends_at(review)}


@transaction.atomic
def start(review: Review) -> Review:
    if review.status != ReviewStatus.SCHEDULED:
        raise ValidationError(
            {"status": f"A review that is {review.get_status_display().lower()} cannot start."}
        )
    now = timezone.now()
    review.status = ReviewStatus.IN_PROGRESS
    review.started_at = review.step_started_at = now
    review.current_step = 1
    review.changed_at = now
    review.save(
        update_fields=["status", "started_at", "step_started_at", "current_step", "changed_at"]
    )
    return review


@transaction.atomic
def go_to(review: Review, number: int) -> Review:
    if review.status != ReviewStatus.IN_PROGRESS:
        raise ValidationError({"status": "Start the review first."})
    if not 1 <= number <= len(PLAN):
        raise ValidationError({"step": f"There are {len(PLAN)} steps."})
    if number != review.current_step:
        review.current_step = number
        review.step_started_at = review.changed_at = timezone.now()
        review.save(update_fields=["current_step", "step_started_at", "changed_at"])
    return review


def finish(review: Review, attended: list[int]) -> Review:
    if review.status != ReviewStatus.IN_PROGRESS:
        raise ValidationError({"status": "Only a review in progress can be finished."})
    if not attended:
        raise ValidationError({"attended": "Tick who attended: the review's cost counts them."})
    invited = set(review.invitees.values_list("user_id", flat=True))
    if not set(attended) <= invited:
        raise ValidationError({"attended": "Only invitees can be recorded as attending."})
    with transaction.atomic():
        review.current_step = 0
        review.save(update_fields=["current_step"])
        return services.hold(review, attended)


def outcome(review: Review) -> dict[str, Any]:
    """What the session produced: factors, learnings by votes, actions drafted from them."""
    incident = review.incident
    factors = list(ContributingFactor.objects.filter(incident=incident).order_by("kind", "id"))
    learnings = list(
        Learning.objects.filter(review=review)
        .annotate(vote_count=Count("votes"))
        .order_by("-vote_count", "position", "id")
    )
    actions = list(
        ImprovementAction.objects.filter(incident=incident, learning__review=review)
        .select_related("owner_team")
        .order_by("id")
    )
    return {
        "human_factors": [f for f in factors if f.kind == FactorKind.HUMAN],
        "technical_factors": [f for f in factors if f.kind == FactorKind.TECHNICAL],
        "voted_learnings": learnings,
        "drafted_actions": actions,
        "attendees": [i.user for i in review.invitees.select_related("user") if i.attended],
    }
