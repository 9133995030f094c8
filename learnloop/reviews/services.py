"""The review's workflows: scheduling and inviting, reminders, and what the people in the room
record together (context notes, contributing factors, learnings and their votes, actions drafted
from learnings). Every change bumps Review.changed_at so that open workspaces refresh."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from learnloop.accounts.models import Membership, Team
from learnloop.actions.models import ActionKind, ImprovementAction
from learnloop.actions.services import add_action
from learnloop.analysis.models import AnalysisAssignment, Interview, KeyEvent
from learnloop.incidents.models import Incident
from learnloop.mail.models import MailPurpose
from learnloop.mail.outbox import undelivered
from learnloop.reviews.models import (
    ContextNote,
    ContributingFactor,
    FactorKind,
    InviteeKind,
    Learning,
    LearningVote,
    Review,
    ReviewInvitee,
    ReviewStatus,
)
from learnloop.webhooks.models import EventType
from learnloop.webhooks.outbox import emit, when

# Offered as suggestions; any other category may be typed.
FACTOR_CATEGORIES: dict[str, tuple[str, ...]] = {
    FactorKind.HUMAN: (
        "Communication",
        "Coordination and handover",
        "Workload and fatigue",
        "Knowledge and training",
        "Procedures and runbooks",
        "Goal conflicts and pressure",
        "Ownership",
    ),
    FactorKind.TECHNICAL: (
        "Change and deployment",
        "Configuration",
        "Capacity and scaling",
        "Dependency",
        "Monitoring and alerting",
        "Data",
        "Software defect",
    ),
}

# The action kinds the review drafts from a learning, by the side of the split they belong to.
HUMAN_ACTION_KINDS = (ActionKind.ACCOUNTABILITY, ActionKind.PROCESS, ActionKind.TRAINING)
TECHNICAL_ACTION_KINDS = (ActionKind.CODE_FIX, ActionKind.CONFIGURATION, ActionKind.MONITORING)
DRAFTABLE_KINDS = HUMAN_ACTION_KINDS + TECHNICAL_ACTION_KINDS


def current_review(incident: Incident) -> Review | None:
    """The review that counts: the latest one not cancelled."""
    return (
        Review.objects.filter(incident=incident)
        .exclude(status=ReviewStatus.CANCELLED)
        .order_by("-created_at", "-id")
        .first()
    )


def touch(review: Review) -> None:
    """Tell open workspaces that something changed."""
    review.changed_at = timezone.now()
    Review.objects.filter(pk=review.pk).update(changed_at=review.changed_at)


def change_token(review: Review) -> str:
    return str(int(review.changed_at.timestamp() * 1_000_000))


@dataclass(frozen=True)
class ReportState:
    assignment: AnalysisAssignment
    submitted: bool


def report_states(incident: Incident) -> list[ReportState]:
    assignments = incident.assignments.select_related("analyst", "report").order_by(
        "window_start", "id"
    )
    return [ReportState(a, a.is_submitted) for a in assignments]


def missing_reports(incident: Incident) -> list[AnalysisAssignment]:
    return [state.assignment for state in report_states(incident) if not state.submitted]


def _check_times(starts_at: datetime, ends_at: datetime, votes_per_attendee: int) -> None:
    errors = {}
    if ends_at <= starts_at:
        errors["ends_at"] = "The review must end after it starts."
    if not 1 <= votes_per_attendee <= 20:
        errors["votes_per_attendee"] = "Give each attendee between 1 and 20 votes."
    if errors:
        raise ValidationError(errors)


def _members(incident: Incident, users: Iterable[User]) -> list[User]:
    people = list(users)
    ids = {p.pk for p in people}
    inside = set(
        Membership.objects.filter(
            organisation_id=incident.organisation_id, user_id__in=ids
        ).values_list("user_id", flat=True)
    )
    if ids - inside:
        raise ValidationError({"stakeholders": "Invite members of the organisation only."})
    return people


def _invite_people_of_incident(review: Review) -> list[ReviewInvitee]:
    """Analysts and responders, once each (an analyst who responded is invited as analyst)."""
    incident = review.incident
    have = set(review.invitees.values_list("user_id", flat=True))
    wanted: dict[int, str] = {}
    for user_id in incident.responders.values_list("user_id", flat=True):
        wanted[user_id] = InviteeKind.RESPONDER
    for user_id in incident.assignments.values_list("analyst_id", flat=True):
        wanted[user_id] = InviteeKind.ANALYST
    return [
        ReviewInvitee.objects.create(review=review, user_id=user_id, kind=kind)
        for user_id, kind in wanted.items()
        if user_id not in have
    ]


def _send_invitations(review: Review, user_ids: Sequence[int]) -> None:
    from learnloop.reviews.tasks import send_invitations

    # The queue is a table of this database: the task commits with the review, or neither does.
    if user_ids:
        send_invitations.enqueue(review.pk, list(user_ids))


@transaction.atomic
def schedule(
    incident: Incident,
    by: User | None,
    *,
    starts_at: datetime,
    ends_at: datetime,
    location: str = "",
    facilitator: User | None = None,
    votes_per_attendee: int = 3,
    stakeholders: Iterable[User] = (),
    missing_reports_reason: str = "",
) -> Review:
    """Schedules the incident's review, or moves the one already scheduled (the invitation's
    SEQUENCE goes up, so calendars update it in place). With reports still open the manager
    must say why the review goes ahead anyway."""
    _check_times(starts_at, ends_at, votes_per_attendee)
    missing = missing_reports(incident)
    reason = missing_reports_reason.strip()
    if missing and not reason:
        names = ", ".join(a.analyst.get_full_name() or a.analyst.email for a in missing)
        raise ValidationError(
            {"missing_reports_reason": f"Reports still open ({names}): say why the review "
             "goes ahead without them, or wait until they are submitted."}
        )  # fmt: skip
    people = _members(incident, [*stakeholders, *([facilitator] if facilitator else [])])
    review = current_review(incident)
    if review is None:
        review = Review(incident=incident, scheduled_by=by)
    else:
        review.sequence += 1
    review.starts_at, review.ends_at = starts_at, ends_at
    review.location = location.strip()
    review.facilitator = facilitator
    review.votes_per_attendee = votes_per_attendee
    review.missing_reports_reason = reason if missing else ""
    review.changed_at = timezone.now()
    review.full_clean()
    review.save()
    _invite_people_of_incident(review)
    have = set(review.invitees.values_list("user_id", flat=True))
    for person in people:
        if person.pk not in have:
            ReviewInvitee.objects.create(review=review, user=person, kind=InviteeKind.STAKEHOLDER)
            have.add(person.pk)
    _send_invitations(review, sorted(have))
    emit(incident.organisation_id, EventType.REVIEW_SCHEDULED, incident.key, _review_data(review))
    return review


def _review_data(review: Review) -> dict[str, Any]:
    return {
        "incident": review.incident.key,
        "review": review.pk,
        "status": review.status,
        "starts_at": when(review.starts_at),
        "ends_at": when(review.ends_at),
        "sequence": review.sequence,
        "url": f"{settings.BASE_URL}/reviews/{review.pk}/",
    }


@transaction.atomic
def hold(review: Review, attended: Iterable[int] | None = None) -> Review:
    """The review took place: it is held from now on (and says so to subscribers once).
    `attended`: the ids of the invitees who were there (the others are recorded as absent)."""
    if review.status == ReviewStatus.CANCELLED:
        raise ValidationError({"status": "A cancelled review cannot be held."})
    if attended is not None:
        present = set(attended)
        for invitee in review.invitees.all():
            invitee.attended = invitee.user_id in present
            invitee.save(update_fields=["attended"])
    if review.status != ReviewStatus.HELD:
        review.status = ReviewStatus.HELD
        review.held_at = review.changed_at = timezone.now()
        review.save(update_fields=["status", "changed_at", "held_at"])
        incident = review.incident
        emit(incident.organisation_id, EventType.REVIEW_HELD, incident.key, _review_data(review))
    return review


@transaction.atomic
def add_invitee(review: Review, user: User, kind: str = InviteeKind.STAKEHOLDER) -> ReviewInvitee:
    _members(review.incident, [user])
    if kind not in InviteeKind.values:
        raise ValidationError({"kind": f"'{kind}' is not a kind of invitee."})
    if review.invitees.filter(user=user).exists():
        raise ValidationError({"user": "This person is already invited."})
    invitee = ReviewInvitee.objects.create(review=review, user=user, kind=kind)
    touch(review)
    _send_invitations(review, [user.pk])
    return invitee


@transaction.atomic
def remove_invitee(review: Review, user: User) -> None:
    from learnloop.reviews.tasks import send_cancellation

    deleted, _ = review.invitees.filter(user=user).delete()
    if not deleted:
        raise ValidationError({"user": "This person is not invited."})
    touch(review)
    send_cancellation.enqueue(review.pk, user.pk)


def remind(review: Review) -> list[AnalysisAssignment]:
    """Emails every analyst whose report is still open (through the task queue, whose row
    commits with this transaction)."""
    from learnloop.reviews.tasks import send_reminders

    still_open = missing_reports(review.incident)
    ids = [a.pk for a in still_open]
    if ids:
        send_reminders.enqueue(review.pk, ids)
    return still_open


@transaction.atomic
def send_again(review: Review) -> list[str]:
    """Queues again every invitation, reminder and cancellation about the review that the mail
    server did not take; returns to whom."""
    from learnloop.reviews.tasks import (
        about,
        send_cancellation,
        send_invitations,
        send_reminders,
    )

    failed = undelivered(about(review))
    by_purpose: dict[str, list[int]] = {}
    for mail in failed:
        if mail.user_id is not None:
            by_purpose.setdefault(mail.purpose, []).append(mail.user_id)
    if by_purpose.get(MailPurpose.INVITATION):
        send_invitations.enqueue(review.pk, by_purpose[MailPurpose.INVITATION])
    if by_purpose.get(MailPurpose.REMINDER):
        ids = list(
            review.incident.assignments.filter(
                analyst_id__in=by_purpose[MailPurpose.REMINDER]
            ).values_list("pk", flat=True)
        )
        send_reminders.enqueue(review.pk, ids)
    for user_id in by_purpose.get(MailPurpose.CANCELLATION, []):
        send_cancellation.enqueue(review.pk, user_id)
    return [mail.recipient for mail in failed]


# The workspace.


@transaction.atomic
def add_context_note(
    review: Review, by: User | None, text: str, key_event: KeyEvent | None = None
) -> ContextNote:
    if not text.strip():
        raise ValidationError({"text": "Write the context note."})
    if key_event is not None and key_event.incident_id != review.incident_id:
        raise ValidationError({"key_event": "Choose a key event of this incident."})
    note = ContextNote.objects.create(
        review=review, key_event=key_event, text=text.strip(), author=by
    )
    touch(review)
    return note


@transaction.atomic
def remove_context_note(note: ContextNote) -> None:
    review = note.review
    note.delete()
    touch(review)


def shared_interviews(incident: Incident) -> QuerySet[Interview]:
    """Interviews that may be evidence in the room: this incident's, shared with the review."""
    return Interview.objects.filter(assignment__incident=incident, shared_with_review=True)


def _evidence(
    review: Review, key_events: Iterable[KeyEvent], interviews: Iterable[Interview]
) -> tuple[list[KeyEvent], list[Interview]]:
    events, talks = list(key_events), list(interviews)
    errors = {}
    if any(e.incident_id != review.incident_id for e in events):
        errors["key_events"] = "Choose key events of this incident only."
    shared = set(shared_interviews(review.incident).values_list("pk", flat=True))
    if any(i.pk not in shared for i in talks):
        errors["interviews"] = "Choose interviews of this incident that are shared with the review."
    if errors:
        raise ValidationError(errors)
    return events, talks


def _check_factor(kind: str, category: str, description: str) -> None:
    errors = {}
    if kind not in FactorKind.values:
        errors["kind"] = "Say whether the factor is human or technical."
    if not description.strip():
        errors["description"] = "Describe the contributing factor."
    if len(category) > 100:
        errors["category"] = "Keep the category under 100 characters."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def add_factor(
    review: Review,
    by: User | None,
    *,
    kind: str,
    description: str,
    category: str = "",
    key_events: Iterable[KeyEvent] = (),
    interviews: Iterable[Interview] = (),
) -> ContributingFactor:
    _check_factor(kind, category, description)
    events, talks = _evidence(review, key_events, interviews)
    factor = ContributingFactor.objects.create(
        incident=review.incident,
        review=review,
        kind=kind,
        category=category.strip(),
        description=description.strip(),
        position=review.incident.contributing_factors.count(),
        created_by=by,
    )
    factor.key_events.set(events)
    factor.interviews.set(talks)
    touch(review)
    return factor


@transaction.atomic
def change_factor(
    factor: ContributingFactor,
    review: Review,
    *,
    kind: str,
    description: str,
    category: str = "",
    key_events: Iterable[KeyEvent] = (),
    interviews: Iterable[Interview] = (),
) -> ContributingFactor:
    _check_factor(kind, category, description)
    events, talks = _evidence(review, key_events, interviews)
    factor.kind, factor.category = kind, category.strip()
    factor.description = description.strip()
    factor.save()
    factor.key_events.set(events)
    factor.interviews.set(talks)
    touch(review)
    return factor


@transaction.atomic
def remove_factor(factor: ContributingFactor, review: Review) -> None:
    factor.delete()
    touch(review)


@transaction.atomic
def propose_learning(review: Review, by: User | None, text: str) -> Learning:
    if not text.strip():
        raise ValidationError({"text": "Write the learning."})
    learning = Learning.objects.create(
        incident=review.incident,
        review=review,
        text=text.strip(),
        proposed_by=by,
        position=review.incident.learnings.count(),
    )
    touch(review)
    return learning


def votes_left(review: Review, voter_id: int) -> int:
    used = LearningVote.objects.filter(learning__review=review, voter_id=voter_id).count()
    return max(0, review.votes_per_attendee - used)


@transaction.atomic
def vote(learning: Learning, review: Review, voter: User) -> LearningVote:
    """One vote per learning per person, within the review's allowance. The review row is locked
    so that two quick clicks cannot both take the last vote."""
    Review.objects.select_for_update().filter(pk=review.pk).first()
    if learning.review_id != review.pk:
        raise ValidationError({"learning": "This learning belongs to another review."})
    if LearningVote.objects.filter(learning=learning, voter=voter).exists():
        raise ValidationError({"learning": "You already voted for this learning."})
    if votes_left(review, voter.pk) == 0:
        raise ValidationError(
            {"learning": f"You have used all {review.votes_per_attendee} of your votes; "
             "take one back to vote for this learning."}
        )  # fmt: skip
    cast = LearningVote.objects.create(learning=learning, voter=voter)
    touch(review)
    return cast


@transaction.atomic
def unvote(learning: Learning, review: Review, voter: User) -> None:
    deleted, _ = LearningVote.objects.filter(learning=learning, voter=voter).delete()
    if not deleted:
        raise ValidationError({"learning": "You have not voted for this learning."})
    touch(review)


def ranked_learnings(review: Review) -> QuerySet[Learning]:
    """Most votes first; ties in the order they were proposed."""
    return (
        Learning.objects.filter(review=review)
        .select_related("proposed_by")
        .annotate(n_votes=Count("votes"))
        .order_by("-n_votes", "position", "id")
    )


@transaction.atomic
def draft_action(
    learning: Learning,
    review: Review,
    by: User | None,
    *,
    title: str,
    kind: str,
    description: str = "",
    owner_team: Team | None = None,
) -> ImprovementAction:
    """An improvement action in the team's backlog as an idea, tied to the learning."""
    errors = {}
    if not title.strip():
        errors["title"] = "Give the action a title."
    if kind not in DRAFTABLE_KINDS:
        allowed = ", ".join(k.value for k in DRAFTABLE_KINDS)
        errors["kind"] = f"Choose one of: {allowed}."
    if owner_team is not None and owner_team.organisation_id != review.incident.organisation_id:
        errors["owner_team"] = "Choose a team of this organisation."
    if errors:
        raise ValidationError(errors)
    action = add_action(
        review.incident,
        by,
        title=title.strip(),
        description=description.strip(),
        kind=kind,
        owner_team=owner_team or review.incident.team,
        learning=learning,
    )
    touch(review)
    return action
