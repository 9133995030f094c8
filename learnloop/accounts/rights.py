"""Who may see and do what. Views and API endpoints ask here, never decide for themselves."""

from __future__ import annotations

from collections.abc import Hashable
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


def remember_membership(user: Any, membership: Membership | None) -> None:
    """Keeps a membership read with the user (API tokens read both in one query) for
    membership_of. None is not kept: membership_of then looks for one itself."""
    if membership is not None:
        user._learnloop_membership = membership


def incidents_for(membership: Membership) -> QuerySet[Incident]:
    """Every member of an organisation reads its incidents: learning is organisation-wide."""
    return Incident.objects.filter(organisation_id=membership.organisation_id)


def incidents_key(membership: Membership) -> Hashable:
    """Everything incidents_for's SQL depends on: the incident list API keeps statements
    compiled from it under this key (lib/statements.py), so whatever incidents_for comes to
    read of the membership must be named here too."""
    return ("organisation", membership.organisation_id)


def can_record_incident(membership: Membership) -> bool:
    return membership.role != Role.MEMBER


def can_pick_people(membership: Membership) -> bool:
    """Who fills the forms that name people of the organisation (responders, analysts,
    invitees, walkthrough invitations), and so may look them up by name and address: everyone
    but a member of no team, who fills none of them."""
    return can_record_incident(membership) or membership.team_id is not None


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


def can_see_chat(membership: Membership, incident: Incident) -> bool:
    """Chat history imported as evidence: the incident's analysts and whoever manages the
    incident, nobody else."""
    if incident.organisation_id != membership.organisation_id:
        return False
    return (
        can_manage_incident(membership, incident)
        or incident.assignments.filter(analyst_id=membership.user_id).exists()
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
    Once shared with the review: also the incident's analysts, whoever manages the incident, and
    the people invited to its review (the perspectives step is theirs too)."""
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
        or incident.reviews.filter(invitees__user_id=membership.user_id).exists()
    )


def managed_incidents(membership: Membership, prefix: str = "") -> Q:
    """The incidents this person manages, as a condition (prefix: the path to the incident)."""
    if membership.role in (Role.PROBLEM_MANAGER, Role.ADMIN):
        return Q(**{f"{prefix}organisation_id": membership.organisation_id})
    if membership.role == Role.PRODUCT_MANAGER and membership.team_id:
        # The organisation too: the incident indexes all lead with it.
        return Q(
            **{
                f"{prefix}organisation_id": membership.organisation_id,
                f"{prefix}team_id": membership.team_id,
            }
        )
    return Q(pk__in=[])


def readable_interviews(
    membership: Membership, interviews: QuerySet[Interview]
) -> QuerySet[Interview]:
    """The same rule as can_read_interview, as a query (for lists)."""
    mine = Q(assignment__analyst_id=membership.user_id) | Q(interviewee_id=membership.user_id)
    shared = Q(shared_with_review=True) & (
        Q(assignment__incident__assignments__analyst_id=membership.user_id)
        | Q(assignment__incident__reviews__invitees__user_id=membership.user_id)
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


def can_manage_channel(membership: Membership, channel: Any) -> bool:
    """Publishing channels: organisation-wide ones are the admins'; a team's are its product
    manager's (and, as for every team, problem managers' and admins')."""
    if channel.organisation_id != membership.organisation_id:
        return False
    if channel.team_id is None:
        return membership.is_admin
    return membership.manages_team(channel.team_id)


def can_see_deliveries(membership: Membership, narrative: Any) -> bool:
    """Where a published narrative went and how each attempt ended: the owning team (its
    members, responders and product manager) and whoever manages the incident."""
    incident = narrative.incident
    if incident.organisation_id != membership.organisation_id:
        return False
    on_team = membership.team_id is not None and membership.team_id == incident.team_id
    return on_team or can_manage_incident(membership, incident)


def can_resend_delivery(membership: Membership, narrative: Any) -> bool:
    """Send a failed or in-doubt delivery again: the team's people, not read-only members."""
    return can_see_deliveries(membership, narrative) and membership.role != Role.MEMBER


def people_of_team(team: Team) -> QuerySet[Any]:
    from django.contrib.auth.models import User

    return User.objects.filter(memberships__team=team).order_by("first_name", "email")


# Published narratives (the portal). Every member reads them; who read them and scheduling their
# walkthroughs belong to the people close to the incident.


def _close_to_incident(membership: Membership, incident: Incident) -> bool:
    """The incident's team, its responders and analysts, and whoever manages it."""
    if incident.organisation_id != membership.organisation_id:
        return False
    if incident.team_id is not None and membership.team_id == incident.team_id:
        return True
    if membership.manages_team(incident.team_id):
        return True
    user_id = membership.user_id
    return (
        incident.responders.filter(user_id=user_id).exists()
        or incident.assignments.filter(analyst_id=user_id).exists()
    )


def can_see_readership(membership: Membership, narrative: Any) -> bool:
    """Unique readers and who they are: those close to the incident and the narrative's authors,
    not every reader."""
    if narrative.organisation_id != membership.organisation_id:
        return False
    return (
        _close_to_incident(membership, narrative.incident)
        or narrative.versions.filter(author_id=membership.user_id).exists()
    )


def can_schedule_walkthrough(membership: Membership, narrative: Any) -> bool:
    """Walkthroughs and cross-team playbacks: the incident's team and its managers."""
    incident = narrative.incident
    if narrative.organisation_id != membership.organisation_id:
        return False
    return membership.manages_team(incident.team_id) or (
        incident.team_id is not None and membership.team_id == incident.team_id
    )


def can_get_walkthrough_invitation(
    membership: Membership, walkthrough: Any, attendee_id: int
) -> bool:
    """An invitee downloads their own invitation; whoever may schedule downloads anyone's."""
    return attendee_id == membership.user_id or can_schedule_walkthrough(
        membership, walkthrough.narrative
    )


# The narrative while it is written: drafts and versions stay with the people close to the
# incident until a revision is published.


def _facilitates_review(membership: Membership, incident: Incident) -> bool:
    from learnloop.reviews.models import Review

    return Review.objects.filter(incident=incident, facilitator_id=membership.user_id).exists()


def can_edit_narrative(membership: Membership, incident: Incident) -> bool:
    """The incident's team, its responders and analysts, its managers and its review's
    facilitator write the narrative; nobody from another organisation."""
    if incident.organisation_id != membership.organisation_id:
        return False
    return _close_to_incident(membership, incident) or _facilitates_review(membership, incident)


def can_see_narrative_drafts(membership: Membership, incident: Incident) -> bool:
    """Drafts, versions and differences: the same people who write it (not every member)."""
    return can_edit_narrative(membership, incident)


def can_publish_narrative(membership: Membership, incident: Incident) -> bool:
    """Publishing speaks for the team to the organisation: the incident's managers, or whoever
    facilitates its review."""
    return can_manage_incident(membership, incident) or (
        incident.organisation_id == membership.organisation_id
        and _facilitates_review(membership, incident)
    )


# The post-incident review. Its workspace holds what analysts chose to share with it, so it is
# seen by the people in the room: invitees, the incident's analysts and whoever manages it.


def can_schedule_review(membership: Membership, incident: Incident) -> bool:
    return can_manage_incident(membership, incident)


def can_run_review(membership: Membership, review: Any) -> bool:
    """Context notes, invitees, reminders: the incident's managers and the review's facilitator."""
    incident = review.incident
    if incident.organisation_id != membership.organisation_id:
        return False
    return review.facilitator_id == membership.user_id or can_manage_incident(membership, incident)


def can_take_part_in_review(membership: Membership, review: Any) -> bool:
    """Propose learnings, vote, record contributing factors: invitees and whoever runs it."""
    if review.incident.organisation_id != membership.organisation_id:
        return False
    return (
        can_run_review(membership, review)
        or review.invitees.filter(user_id=membership.user_id).exists()
    )


def can_view_review(membership: Membership, review: Any) -> bool:
    if review.incident.organisation_id != membership.organisation_id:
        return False
    return (
        can_take_part_in_review(membership, review)
        or review.incident.assignments.filter(analyst_id=membership.user_id).exists()
    )
