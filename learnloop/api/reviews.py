"""API: the post-incident review: scheduling and invitees, reminders, the merged timeline,
context notes, contributing factors with evidence, learnings with votes, actions from learnings."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Router
from ninja.responses import Status

from learnloop.accounts.models import Membership, Team
from learnloop.accounts.rights import (
    can_run_review,
    can_schedule_review,
    can_take_part_in_review,
    can_view_review,
)
from learnloop.actions.models import ActionKind
from learnloop.analysis.models import Interview, KeyEvent
from learnloop.api.actions import ActionOut
from learnloop.api.common import Schema, member
from learnloop.api.common import incident as incident_for
from learnloop.lib.moments import Moment
from learnloop.reviews import services
from learnloop.reviews.models import (
    ContextNote,
    ContributingFactor,
    FactorKind,
    InviteeKind,
    Learning,
    Review,
    ReviewStatus,
)
from learnloop.reviews.timeline import merged_timeline_for

router = Router(tags=["reviews"])


def review_for(membership: Membership, uid: UUID) -> Review:
    found = (
        Review.objects.select_related("incident__team", "facilitator")
        .filter(uid=uid, incident__organisation_id=membership.organisation_id)
        .first()
    )
    if found is None or not can_view_review(membership, found):
        raise Http404("No such review.")
    return found


def _taking_part(request: HttpRequest, uid: UUID) -> Review:
    membership = member(request)
    review = review_for(membership, uid)
    if not can_take_part_in_review(membership, review):
        raise PermissionDenied("Only invitees and whoever runs the review may do this.")
    return review


def _running(request: HttpRequest, uid: UUID) -> Review:
    membership = member(request)
    review = review_for(membership, uid)
    if not can_run_review(membership, review):
        raise PermissionDenied("Only the incident's managers and the facilitator may do this.")
    return review


def _people(membership: Membership, emails: list[str], field: str) -> list[User]:
    found = {
        u.email.lower(): u
        for u in User.objects.filter(
            memberships__organisation_id=membership.organisation_id,
            email__in=emails,
        )
    }
    people = []
    for index, email in enumerate(emails):
        person = found.get(email.lower())
        if person is None:
            raise ValidationError({f"{field}.{index}": f"No member '{email}'."})
        people.append(person)
    return people


def _person(membership: Membership, email: str, field: str) -> User:
    return _people(membership, [email], field)[0]


def _user(user: Any) -> User:
    person: User = user
    return person


class InviteeOut(Schema):
    email: str
    name: str
    kind: InviteeKind


class MissingReportOut(Schema):
    analyst: str
    due_at: datetime


class ReviewOut(Schema):
    uid: UUID
    incident: str
    starts_at: datetime
    ends_at: datetime
    location: str
    facilitator: str | None
    status: ReviewStatus
    votes_per_attendee: int
    sequence: int
    missing_reports_reason: str
    missing_reports: list[MissingReportOut]
    invitees: list[InviteeOut]
    changed_at: datetime

    @staticmethod
    def of(review: Review) -> ReviewOut:
        return ReviewOut(
            uid=review.uid,
            incident=review.incident.key,
            starts_at=review.starts_at,
            ends_at=review.ends_at,
            location=review.location,
            facilitator=review.facilitator.email if review.facilitator else None,
            status=ReviewStatus(review.status),
            votes_per_attendee=review.votes_per_attendee,
            sequence=review.sequence,
            missing_reports_reason=review.missing_reports_reason,
            missing_reports=[
                MissingReportOut(analyst=a.analyst.email, due_at=a.due_at)
                for a in services.missing_reports(review.incident)
            ],
            invitees=[
                InviteeOut(
                    email=i.user.email,
                    name=i.user.get_full_name(),
                    kind=InviteeKind(i.kind),
                )
                for i in review.invitees.select_related("user")
            ],
            changed_at=review.changed_at,
        )


class ScheduleIn(Schema):
    starts_at: Moment
    ends_at: Moment
    location: str = ""
    facilitator: str | None = None
    votes_per_attendee: int = Field(3, ge=0, le=1000)
    stakeholders: list[str] = []
    missing_reports_reason: str = ""


class InviteeIn(Schema):
    email: str
    kind: InviteeKind = InviteeKind.STAKEHOLDER


@router.post(
    "/incidents/{key}/review",
    response={200: ReviewOut, 201: ReviewOut},
    summary="Schedule the incident's review, or move the one scheduled",
)
def schedule_review(request: HttpRequest, key: str, payload: ScheduleIn) -> Status[ReviewOut]:
    membership = member(request)
    incident = incident_for(membership, key)
    if not can_schedule_review(membership, incident):
        raise PermissionDenied("Only the incident's product or problem manager schedules it.")
    existed = services.current_review(incident) is not None
    review = services.schedule(
        incident,
        _user(request.user),
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        location=payload.location,
        facilitator=_person(membership, payload.facilitator, "facilitator")
        if payload.facilitator
        else None,
        votes_per_attendee=payload.votes_per_attendee,
        stakeholders=_people(membership, payload.stakeholders, "stakeholders"),
        missing_reports_reason=payload.missing_reports_reason,
    )
    return Status(200 if existed else 201, ReviewOut.of(review))


@router.get("/incidents/{key}/review", response=ReviewOut, summary="The incident's current review")
def incident_review(request: HttpRequest, key: str) -> ReviewOut:
    membership = member(request)
    review = services.current_review(incident_for(membership, key))
    if review is None or not can_view_review(membership, review):
        raise Http404("No review scheduled.")
    return ReviewOut.of(review)


@router.get(
    "/reviews/{uid}", response=ReviewOut, summary="A review with invitees and missing reports"
)
def read_review(request: HttpRequest, uid: UUID) -> ReviewOut:
    return ReviewOut.of(review_for(member(request), uid))


@router.post("/reviews/{uid}/invitees", response={201: ReviewOut}, summary="Invite someone")
def add_invitee(request: HttpRequest, uid: UUID, payload: InviteeIn) -> Status[ReviewOut]:
    review = _running(request, uid)
    person = _person(member(request), payload.email, "email")
    services.add_invitee(review, person, payload.kind)
    return Status(201, ReviewOut.of(review))


@router.delete(
    "/reviews/{uid}/invitees/{email}", response=ReviewOut, summary="Withdraw an invitation"
)
def remove_invitee(request: HttpRequest, uid: UUID, email: str) -> ReviewOut:
    review = _running(request, uid)
    services.remove_invitee(review, _person(member(request), email, "email"))
    return ReviewOut.of(review)


class RemindedOut(Schema):
    reminded: list[str]


@router.post(
    "/reviews/{uid}/reminders",
    response={202: RemindedOut},
    summary="Email analysts whose reports are still open",
)
def remind(request: HttpRequest, uid: UUID) -> Status[RemindedOut]:
    review = _running(request, uid)
    return Status(202, RemindedOut(reminded=[a.analyst.email for a in services.remind(review)]))


# The merged timeline and context notes


class TimelineEntryOut(Schema):
    key_event: UUID
    source: str
    analyst: str | None
    occurred_at: datetime | None
    precision: str
    when: str
    event_type: str
    description: str
    group: int | None


class TimelineGroupOut(Schema):
    number: int
    kind: str
    reason: str
    key_events: list[UUID]


class TimelineOut(Schema):
    entries: list[TimelineEntryOut]
    groups: list[TimelineGroupOut]


@router.get(
    "/reviews/{uid}/timeline",
    response=TimelineOut,
    summary="The merged timeline: every analyst's key events in time order, disagreements grouped",
)
def timeline(request: HttpRequest, uid: UUID) -> TimelineOut:
    merged = merged_timeline_for(review_for(member(request), uid).incident)
    return TimelineOut(
        entries=[
            TimelineEntryOut(
                key_event=e.event.uid,
                source=e.source,
                analyst=e.event.assignment.analyst.email if e.event.assignment else None,
                occurred_at=e.event.occurred_at,
                precision=e.event.precision,
                when=e.when,
                event_type=e.event.event_type,
                description=e.event.description,
                group=e.group,
            )
            for e in merged.entries
        ],
        groups=[
            TimelineGroupOut(
                number=g.number,
                kind=g.kind,
                reason=g.reason,
                key_events=[e.event.uid for e in g.entries],
            )
            for g in merged.groups
        ],
    )


class ContextNoteOut(Schema):
    uid: UUID
    key_event: UUID | None
    text: str
    author: str | None
    created_at: datetime

    @staticmethod
    def of(note: ContextNote) -> ContextNoteOut:
        return ContextNoteOut(
            uid=note.uid,
            key_event=note.key_event.uid if note.key_event else None,
            text=note.text,
            author=note.author.email if note.author else None,
            created_at=note.created_at,
        )


class ContextNoteIn(Schema):
    text: str
    key_event: UUID | None = None


def _key_events(review: Review, uids: list[UUID], field: str) -> list[KeyEvent]:
    found = {e.uid: e for e in KeyEvent.objects.filter(incident=review.incident, uid__in=uids)}
    for index, uid in enumerate(uids):
        if uid not in found:
            raise ValidationError({f"{field}.{index}": "No key event of this incident."})
    return [found[uid] for uid in uids]


@router.get("/reviews/{uid}/context-notes", response=list[ContextNoteOut], summary="Context notes")
def list_notes(request: HttpRequest, uid: UUID) -> list[ContextNoteOut]:
    review = review_for(member(request), uid)
    notes = review.context_notes.select_related("key_event", "author")
    return [ContextNoteOut.of(n) for n in notes]


@router.post(
    "/reviews/{uid}/context-notes",
    response={201: ContextNoteOut},
    summary="Add organisational context beside a key event",
)
def add_note(request: HttpRequest, uid: UUID, payload: ContextNoteIn) -> Status[ContextNoteOut]:
    review = _running(request, uid)
    event = _key_events(review, [payload.key_event], "key_event")[0] if payload.key_event else None
    note = services.add_context_note(review, _user(request.user), payload.text, event)
    return Status(201, ContextNoteOut.of(note))


@router.delete(
    "/reviews/{uid}/context-notes/{note_uid}", response={204: None}, summary="Remove a context note"
)
def remove_note(request: HttpRequest, uid: UUID, note_uid: UUID) -> Status[None]:
    review = _running(request, uid)
    note = review.context_notes.filter(uid=note_uid).first()
    if note is None:
        raise Http404("No such context note.")
    services.remove_context_note(note)
    return Status(204, None)


# Contributing factors


class FactorOut(Schema):
    uid: UUID
    kind: FactorKind
    category: str
    description: str
    key_events: list[UUID]
    interviews: list[UUID]

    @staticmethod
    def of(factor: ContributingFactor) -> FactorOut:
        return FactorOut(
            uid=factor.uid,
            kind=FactorKind(factor.kind),
            category=factor.category,
            description=factor.description,
            key_events=[e.uid for e in factor.key_events.all()],
            interviews=[i.uid for i in factor.interviews.all()],
        )


class FactorIn(Schema):
    kind: FactorKind
    description: str
    category: str = ""
    key_events: list[UUID] = []
    interviews: list[UUID] = []


def _evidence(review: Review, payload: FactorIn) -> dict[str, Any]:
    shared = {
        i.uid: i
        for i in services.shared_interviews(review.incident).filter(uid__in=payload.interviews)
    }
    for index, uid in enumerate(payload.interviews):
        if uid not in shared:
            raise ValidationError(
                {f"interviews.{index}": "No interview of this incident shared with the review."}
            )
    interviews: list[Interview] = [shared[uid] for uid in payload.interviews]
    return {
        "kind": payload.kind,
        "description": payload.description,
        "category": payload.category,
        "key_events": _key_events(review, payload.key_events, "key_events"),
        "interviews": interviews,
    }


def _factor(review: Review, factor_uid: UUID) -> ContributingFactor:
    factor = ContributingFactor.objects.filter(incident=review.incident, uid=factor_uid).first()
    if factor is None:
        raise Http404("No such contributing factor.")
    return factor


@router.get(
    "/reviews/{uid}/factors",
    response=list[FactorOut],
    summary="The incident's contributing factors",
)
def list_factors(request: HttpRequest, uid: UUID) -> list[FactorOut]:
    review = review_for(member(request), uid)
    factors = ContributingFactor.objects.filter(incident=review.incident).prefetch_related(
        "key_events", "interviews"
    )
    return [FactorOut.of(f) for f in factors]


@router.post(
    "/reviews/{uid}/factors",
    response={201: FactorOut},
    summary="Record a contributing factor with its evidence",
)
def add_factor(request: HttpRequest, uid: UUID, payload: FactorIn) -> Status[FactorOut]:
    review = _taking_part(request, uid)
    factor = services.add_factor(review, _user(request.user), **_evidence(review, payload))
    return Status(201, FactorOut.of(factor))


@router.put(
    "/reviews/{uid}/factors/{factor_uid}",
    response=FactorOut,
    summary="Change a contributing factor",
)
def change_factor(
    request: HttpRequest, uid: UUID, factor_uid: UUID, payload: FactorIn
) -> FactorOut:
    review = _taking_part(request, uid)
    factor = services.change_factor(
        _factor(review, factor_uid), review, **_evidence(review, payload)
    )
    return FactorOut.of(factor)


@router.delete(
    "/reviews/{uid}/factors/{factor_uid}",
    response={204: None},
    summary="Remove a contributing factor",
)
def remove_factor(request: HttpRequest, uid: UUID, factor_uid: UUID) -> Status[None]:
    review = _taking_part(request, uid)
    services.remove_factor(_factor(review, factor_uid), review)
    return Status(204, None)


# Learnings and votes


class LearningOut(Schema):
    uid: UUID
    rank: int
    text: str
    proposed_by: str | None
    votes: int
    voted_by_me: bool
    actions: list[UUID]


class LearningsOut(Schema):
    votes_per_attendee: int
    votes_left: int
    learnings: list[LearningOut]


class LearningIn(Schema):
    text: str


class DraftActionIn(Schema):
    title: str
    kind: ActionKind
    description: str = ""
    owner_team: str | None = None


def _ranked(review: Review, membership: Membership) -> LearningsOut:
    mine = set(
        review.learnings.filter(votes__voter_id=membership.user_id).values_list("pk", flat=True)
    )
    ranked = services.ranked_learnings(review).prefetch_related("actions")
    return LearningsOut(
        votes_per_attendee=review.votes_per_attendee,
        votes_left=services.votes_left(review, membership.user_id),
        learnings=[
            LearningOut(
                uid=learning.uid,
                rank=rank,
                text=learning.text,
                proposed_by=learning.proposed_by.email if learning.proposed_by else None,
                votes=learning.n_votes,  # type: ignore[attr-defined]
                voted_by_me=learning.pk in mine,
                actions=[a.uid for a in learning.actions.all()],
            )
            for rank, learning in enumerate(ranked, start=1)
        ],
    )


def _learning(review: Review, learning_uid: UUID) -> Learning:
    learning = review.learnings.filter(uid=learning_uid).first()
    if learning is None:
        raise Http404("No such learning.")
    return learning


@router.get(
    "/reviews/{uid}/learnings",
    response=LearningsOut,
    summary="Learnings ranked by votes, with the caller's votes left",
)
def list_learnings(request: HttpRequest, uid: UUID) -> LearningsOut:
    membership = member(request)
    return _ranked(review_for(membership, uid), membership)


@router.post("/reviews/{uid}/learnings", response={201: LearningsOut}, summary="Propose a learning")
def propose(request: HttpRequest, uid: UUID, payload: LearningIn) -> Status[LearningsOut]:
    review = _taking_part(request, uid)
    services.propose_learning(review, _user(request.user), payload.text)
    return Status(201, _ranked(review, member(request)))


@router.post(
    "/reviews/{uid}/learnings/{learning_uid}/vote",
    response=LearningsOut,
    summary="Vote for a learning (within the review's votes per attendee)",
)
def vote(request: HttpRequest, uid: UUID, learning_uid: UUID) -> LearningsOut:
    review = _taking_part(request, uid)
    services.vote(_learning(review, learning_uid), review, _user(request.user))
    return _ranked(review, member(request))


@router.delete(
    "/reviews/{uid}/learnings/{learning_uid}/vote",
    response=LearningsOut,
    summary="Take a vote back",
)
def unvote(request: HttpRequest, uid: UUID, learning_uid: UUID) -> LearningsOut:
    review = _taking_part(request, uid)
    services.unvote(_learning(review, learning_uid), review, _user(request.user))
    return _ranked(review, member(request))


@router.post(
    "/reviews/{uid}/learnings/{learning_uid}/actions",
    response={201: ActionOut},
    summary="Draft an improvement action from a learning",
)
def draft_action(
    request: HttpRequest, uid: UUID, learning_uid: UUID, payload: DraftActionIn
) -> Status[ActionOut]:
    review = _taking_part(request, uid)
    membership = member(request)
    team = None
    if payload.owner_team:
        team = Team.objects.filter(
            organisation_id=membership.organisation_id, slug=payload.owner_team
        ).first()
        if team is None:
            raise ValidationError({"owner_team": f"No team '{payload.owner_team}'."})
    action = services.draft_action(
        _learning(review, learning_uid),
        review,
        _user(request.user),
        title=payload.title,
        kind=payload.kind,
        description=payload.description,
        owner_team=team,
    )
    return Status(201, ActionOut.of(action))
