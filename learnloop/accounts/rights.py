"""Who may see and do what. Views and API endpoints ask here, never decide for themselves."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from learnloop.accounts.models import Membership, Role, Team
from learnloop.actions.models import ImprovementAction
from learnloop.analysis.models import AnalysisAssignment, Interview
from learnloop.incidents.models import Incident

AnyUser = AbstractBaseUser | AnonymousUser


def membership_of(user: AnyUser) -> Membership | None:
    """The person's membership; learnloop serves one organisation per person."""
    if not user.is_authenticated:
        return None
    cached: Membership | None = getattr(user, "_learnloop_membership", None)
    if cached is None:
        cached = (
            Membership.objects.select_related("organisation", "team")
            .filter(user_id=user.pk)
            .order_by("id")
            .first()
        )
        user._learnloop_membership = cached  # type: ignore[attr-defined]
    return cached


def incidents_for(membership: Membership) -> QuerySet[Incident]:
    """Every member of an organisation reads its incidents: learning is organisation-wide."""
    return Incident.objects.filter(organisation_id=membership.organisation_id)


def can_record_incident(membership: Membership) -> bool:
    return membership.role != Role.MEMBER


def can_edit_incident(membership: Membership, incident: Incident) -> bool:
    if incident.organisation_id != membership.organisation_id:
        return False
    if membership.manages_team(incident.team_id):
        return True
    return (
        membership.role == Role.RESPONDER
        and incident.responders.filter(user_id=membership.user_id).exists()
    )


def can_manage_incident(membership: Membership, incident: Incident) -> bool:
    """Decide consequence and schedule analysis: the owning team's product manager,
    any problem manager, or an admin."""
    return incident.organisation_id == membership.organisation_id and membership.manages_team(
        incident.team_id
    )


def can_work_assignment(membership: Membership, assignment: AnalysisAssignment) -> bool:
    return assignment.analyst_id == membership.user_id


def can_view_assignment(membership: Membership, assignment: AnalysisAssignment) -> bool:
    """The analyst and whoever manages the incident see the workspace (never private notes)."""
    return can_work_assignment(membership, assignment) or can_manage_incident(
        membership, assignment.incident
    )


def can_read_interview(membership: Membership, interview: Interview) -> bool:
    """Private notes: the analyst and the interviewee, nobody else, whatever their role.
    Once shared with the review: also the incident's analysts and whoever runs its review."""
    if interview.is_private_to(membership.user_id):
        return True
    if not interview.shared_with_review:
        return False
    incident = interview.assignment.incident
    if incident.organisation_id != membership.organisation_id:
        return False
    return (
        can_manage_incident(membership, incident)
        or incident.assignments.filter(analyst_id=membership.user_id).exists()
    )


def managed_incidents(membership: Membership, prefix: str = "") -> Q:
    """The incidents this person manages, as a condition (prefix: the path to the incident)."""
    if membership.role in (Role.PROBLEM_MANAGER, Role.ADMIN):
        return Q(**{f"{prefix}organisation_id": membership.organisation_id})
    if membership.role == Role.PRODUCT_MANAGER and membership.team_id:
        return Q(**{f"{prefix}team_id": membership.team_id})
    return Q(pk__in=[])


def readable_interviews(
    membership: Membership, interviews: QuerySet[Interview]
) -> QuerySet[Interview]:
    """The same rule as can_read_interview, as a query (for lists)."""
    mine = Q(assignment__analyst_id=membership.user_id) | Q(interviewee_id=membership.user_id)
    shared = Q(shared_with_review=True) & (
        Q(assignment__incident__assignments__analyst_id=membership.user_id)
        | managed_incidents(membership, "assignment__incident__")
    )
    return interviews.filter(mine | shared).distinct()


def can_change_action(membership: Membership, action: ImprovementAction) -> bool:
    """The owner team's product manager, problem managers and admins, and the owner team's own
    engineers (they put it into practice)."""
    if action.incident.organisation_id != membership.organisation_id:
        return False
    team_id = action.owner_team_id or action.incident.team_id
    if membership.manages_team(team_id):
        return True
    return (
        membership.role == Role.RESPONDER
        and team_id is not None
        and (membership.team_id == team_id)
    )


def can_rank_backlog(membership: Membership, team: Team) -> bool:
    return team.organisation_id == membership.organisation_id and membership.manages_team(team.pk)


def people_of_team(team: Team) -> QuerySet[Any]:
    from django.contrib.auth.models import User

    return User.objects.filter(memberships__team=team).order_by("first_name", "email")
