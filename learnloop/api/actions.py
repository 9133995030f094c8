"""Improvement actions, their lifecycle, and the team backlog ranked by CD3."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router
from ninja.responses import Status

from learnloop.accounts.models import Membership, Team
from learnloop.accounts.rights import can_change_action, can_edit_incident, can_rank_backlog
from learnloop.accounts.setup import team_of
from learnloop.actions import backlog, services
from learnloop.actions.models import ActionKind, ActionStatus, ImprovementAction, PlannedFeature
from learnloop.actions.similarity import similar_actions
from learnloop.api.common import Number, RowId, Schema, member
from learnloop.incidents.views import incident_or_404
from learnloop.lib.cost_of_delay import cd3

router = Router(tags=["improvement actions"])


def action_for(membership: Membership, uid: UUID) -> ImprovementAction:
    found = (
        ImprovementAction.objects.select_related("incident", "owner_team")
        .filter(uid=uid, incident__organisation_id=membership.organisation_id)
        .first()
    )
    if found is None:
        raise Http404("No such improvement action.")
    return found


def changeable_action(request: HttpRequest, uid: UUID) -> tuple[Membership, ImprovementAction]:
    """The caller's membership and the action they may change (404 unseen, 403 not theirs)."""
    membership = member(request)
    action = action_for(membership, uid)
    if not can_change_action(membership, action):
        raise PermissionDenied
    return membership, action


class ActionOut(Schema):
    uid: UUID
    incident: str
    title: str
    description: str
    kind: ActionKind
    status: ActionStatus
    owner_team: str | None
    estimate_weeks: Decimal | None
    cost_of_delay_per_week: Decimal | None
    cd3: Decimal | None
    accrued_cost_of_delay: Decimal
    idea_at: datetime
    in_practice_at: datetime | None
    evidence: str
    wont_do_reason: str
    tracker_url: str

    @staticmethod
    def of(action: ImprovementAction) -> ActionOut:
        return ActionOut(
            uid=action.uid,
            incident=action.incident.key,
            title=action.title,
            description=action.description,
            kind=ActionKind(action.kind),
            status=ActionStatus(action.status),
            owner_team=action.owner_team.slug if action.owner_team else None,
            estimate_weeks=action.estimate_weeks,
            cost_of_delay_per_week=action.cost_of_delay_per_week,
            cd3=cd3(action.cost_of_delay_per_week, action.estimate_weeks),
            accrued_cost_of_delay=services.accrued_cost_of_delay(action),
            idea_at=action.idea_at,
            in_practice_at=action.in_practice_at,
            evidence=action.evidence,
            wont_do_reason=action.wont_do_reason,
            tracker_url=action.tracker_url,
        )


class ActionIn(Schema):
    title: str = Field(..., min_length=1, max_length=300)
    description: str = ""
    kind: ActionKind
    owner_team: str | None = None
    estimate_weeks: Decimal | None = Field(None, gt=0, max_digits=6, decimal_places=2)
    cost_of_delay_per_week: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)


class ActionPatch(Schema):
    """Only the fields sent change; null clears an estimate or a cost of delay."""

    title: str | None = Field(None, min_length=1, max_length=300)
    description: str | None = None
    kind: ActionKind | None = None
    owner_team: str | None = None
    estimate_weeks: Decimal | None = Field(None, gt=0, max_digits=6, decimal_places=2)
    cost_of_delay_per_week: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)


class TransitionIn(Schema):
    status: ActionStatus
    evidence: str = ""
    reason: str = ""


class BacklogEntryOut(Schema):
    rank: int
    kind: str
    id: int
    title: str
    cd3: Decimal | None
    cost_of_delay_per_week: Decimal | None
    accrued_cost_of_delay: Decimal
    age_days: int
    overdue: bool
    placed: bool


class PlacementIn(Schema):
    kind: str
    id: RowId
    rank: Number
    reason: str = ""


class FeatureIn(Schema):
    title: str = Field(..., min_length=1, max_length=300)
    cost_of_delay_per_week: Decimal = Field(..., ge=0, max_digits=14, decimal_places=2)
    estimate_weeks: Decimal = Field(..., gt=0, max_digits=6, decimal_places=2)


class SimilarOut(Schema):
    uid: UUID
    incident: str
    title: str
    status: ActionStatus
    score: float


@router.get("/actions", response=list[ActionOut], summary="List improvement actions")
def list_actions(
    request: HttpRequest, team: str | None = None, status: ActionStatus | None = None
) -> list[ActionOut]:
    membership = member(request)
    actions = ImprovementAction.objects.filter(
        incident__organisation_id=membership.organisation_id
    ).select_related("incident", "owner_team")
    if team:
        actions = actions.filter(owner_team__slug=team)
    if status:
        actions = actions.filter(status=status)
    return [ActionOut.of(a) for a in actions.order_by("idea_at", "id")[:500]]


@router.post(
    "/incidents/{key}/actions",
    response={201: ActionOut},
    summary="Record an improvement action for an incident",
)
def create_action(request: HttpRequest, key: str, payload: ActionIn) -> Status[ActionOut]:
    membership = member(request)
    incident = incident_or_404(membership, key)
    if not can_edit_incident(membership, incident):
        raise PermissionDenied
    data = payload.dict()
    team_slug = data.pop("owner_team")
    if team_slug:
        data["owner_team"] = get_object_or_404(
            Team, organisation_id=membership.organisation_id, slug=team_slug
        )
    action = services.add_action(incident, request.user, **data)  # type: ignore[arg-type]
    return Status(201, ActionOut.of(action))


@router.get("/actions/{uid}", response=ActionOut, summary="Read an improvement action")
def read_action(request: HttpRequest, uid: UUID) -> ActionOut:
    return ActionOut.of(action_for(member(request), uid))


@router.patch(
    "/actions/{uid}",
    response=ActionOut,
    summary="Change an action: title, description, kind, owner team, estimate, cost of delay",
)
def update_action(request: HttpRequest, uid: UUID, payload: ActionPatch) -> ActionOut:
    membership, action = changeable_action(request, uid)
    data = payload.dict(exclude_unset=True)
    for name in ("title", "kind"):
        if name in data and data[name] is None:
            raise ValidationError({name: "This cannot be empty."})
    if "owner_team" in data:
        data["owner_team"] = team_of(membership.organisation, data["owner_team"], "owner_team")
    services.update_action(action, request.user, **data)  # type: ignore[arg-type]
    return ActionOut.of(action)


@router.post(
    "/actions/{uid}/transitions",
    response=ActionOut,
    summary="Move an action through its lifecycle (evidence or reason where required)",
)
def transition_action(request: HttpRequest, uid: UUID, payload: TransitionIn) -> ActionOut:
    _, action = changeable_action(request, uid)
    services.transition(
        action,
        payload.status,
        request.user,  # type: ignore[arg-type]
        evidence=payload.evidence,
        reason=payload.reason,
    )
    return ActionOut.of(action)


@router.get(
    "/actions/{uid}/similar",
    response=list[SimilarOut],
    summary="Similar actions from other incidents",
)
def similar(request: HttpRequest, uid: UUID) -> list[SimilarOut]:
    membership = member(request)
    action = action_for(membership, uid)
    pool = ImprovementAction.objects.filter(incident__organisation_id=membership.organisation_id)
    return [
        SimilarOut(
            uid=s.action.uid,
            incident=s.action.incident.key,
            title=s.action.title,
            status=ActionStatus(s.action.status),
            score=round(s.score, 3),
        )
        for s in similar_actions(action.title, pool, exclude_incident_id=action.incident_id)
    ]


def _team(membership: Membership, slug: str) -> Team:
    return get_object_or_404(Team, organisation_id=membership.organisation_id, slug=slug)


@router.get(
    "/teams/{slug}/backlog",
    response=list[BacklogEntryOut],
    summary="The team's backlog: actions and features ranked by CD3",
)
def team_backlog(request: HttpRequest, slug: str) -> list[BacklogEntryOut]:
    team = _team(member(request), slug)
    return [
        BacklogEntryOut(
            rank=rank,
            kind=e.kind,
            id=e.item.pk,
            title=e.title,
            cd3=e.cd3,
            cost_of_delay_per_week=e.cost_of_delay_per_week,
            accrued_cost_of_delay=e.accrued,
            age_days=e.age_days,
            overdue=e.overdue,
            placed=e.placed_rank is not None,
        )
        for rank, e in enumerate(backlog.ranked(team), start=1)
    ]


@router.post(
    "/teams/{slug}/backlog/placements",
    response={201: dict},
    summary="Place an item at a rank (a recorded manager's decision)",
)
def place(request: HttpRequest, slug: str, payload: PlacementIn) -> Status[dict[str, int]]:
    membership = member(request)
    team = _team(membership, slug)
    if not can_rank_backlog(membership, team):
        raise PermissionDenied
    if payload.rank < 1:
        raise ValidationError({"rank": "Ranks start at 1."})
    item: ImprovementAction | PlannedFeature
    if payload.kind == "action":
        item = get_object_or_404(ImprovementAction, pk=payload.id, owner_team=team)
    else:
        item = get_object_or_404(PlannedFeature, pk=payload.id, team=team)
    placement = backlog.place(
        team,
        item,
        payload.rank,
        request.user,  # type: ignore[arg-type]
        payload.reason,
    )
    return Status(201, {"id": placement.pk, "rank": placement.rank})


@router.post("/teams/{slug}/features", response={201: dict}, summary="Add a planned feature")
def add_feature(request: HttpRequest, slug: str, payload: FeatureIn) -> Status[dict[str, int]]:
    membership = member(request)
    team = _team(membership, slug)
    if not can_rank_backlog(membership, team):
        raise PermissionDenied
    if payload.estimate_weeks <= 0:
        raise ValidationError({"estimate_weeks": "An estimate is more than zero weeks."})
    feature = PlannedFeature.objects.create(team=team, **payload.dict())
    return Status(201, {"id": feature.pk})
