"""Pushing actions to the team's tracker, and what happened to each push."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.responses import Status

from learnloop.accounts.models import Team
from learnloop.accounts.rights import can_rank_backlog
from learnloop.api.actions import changeable_action
from learnloop.api.common import Schema, member
from learnloop.trackers import services
from learnloop.trackers.models import TrackerConnection, TrackerPush

router = Router(tags=["trackers"])


class PushAttemptOut(Schema):
    started_at: datetime
    outcome: str
    detail: str


class PushOut(Schema):
    action: UUID
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    tracker_key: str
    tracker_url: str
    log: list[PushAttemptOut]

    @staticmethod
    def of(push: TrackerPush) -> PushOut:
        return PushOut(
            action=push.action.uid,
            state=push.state,
            attempts=push.attempts,
            next_attempt_at=push.next_attempt_at,
            last_error=push.last_error,
            tracker_key=push.action.tracker_key,
            tracker_url=push.action.tracker_url,
            log=[
                PushAttemptOut(started_at=a.started_at, outcome=a.outcome, detail=a.detail)
                for a in push.attempt_log.all()
            ],
        )


class TrackerOut(Schema):
    kind: str
    base_url: str
    project: str
    last_check: str
    last_check_ok: bool | None
    pushes: list[PushOut]


@router.post(
    "/actions/{uid}/push",
    response={202: PushOut},
    summary="Queue the action for filing in the owner team's tracker",
)
def push(request: HttpRequest, uid: UUID) -> Status[PushOut]:
    _, action = changeable_action(request, uid)
    try:
        queued = services.enqueue(action)
    except services.NoTracker as error:
        raise ValidationError({"owner_team": str(error)}) from error
    return Status(202, PushOut.of(queued))


@router.get(
    "/teams/{slug}/tracker",
    response=TrackerOut,
    summary="The team's tracker connection and its recent pushes (managers)",
)
def tracker(request: HttpRequest, slug: str) -> TrackerOut:
    membership = member(request)
    team = get_object_or_404(Team, organisation_id=membership.organisation_id, slug=slug)
    if not can_rank_backlog(membership, team):
        raise PermissionDenied
    connection = get_object_or_404(TrackerConnection, team=team)
    pushes = (
        connection.pushes.select_related("action")
        .prefetch_related("attempt_log")
        .order_by("-created_at")[:100]
    )
    return TrackerOut(
        kind=connection.kind,
        base_url=connection.base_url,
        project=connection.project,
        last_check=connection.last_check,
        last_check_ok=connection.last_check_ok,
        pushes=[PushOut.of(p) for p in pushes],
    )
