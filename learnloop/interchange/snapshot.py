"""learnloop's own document: an organisation and its incidents with everything learned from them,
in natural keys (emails, slugs, incident keys, uids) so that it imports into any database."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import Prefetch, QuerySet

from learnloop import __version__
from learnloop.accounts.models import Membership, Organisation
from learnloop.actions.models import ImprovementAction, PlannedFeature
from learnloop.analysis.models import AnalysisAssignment, Interview, KeyEvent
from learnloop.incidents.models import ConsequencePolicy, Incident
from learnloop.interchange.narrative_part import narrative_part, narrative_prefetches
from learnloop.interchange.values import dump, fields_of
from learnloop.reviews.models import ContextNote, ContributingFactor, Learning, Review

# Version 2 added the review's invitees, context notes, factor evidence from interviews, votes,
# and the narrative's revisions, reads and walkthroughs. Version 1 documents still import.
FORMAT, VERSION = "learnloop", 2

INCIDENT = [
    "key",
    "external_ref",
    "title",
    "summary",
    "severity",
    "status",
    "started_at",
    "detected_at",
    "mitigated_at",
    "resolved_at",
    "customer_facing",
    "data_loss",
    "estimated_loss",
    "impact_summary",
    "of_consequence",
    "report_facts",
    "created_at",
    "updated_at",
]
POLICY = list(ConsequencePolicy.SETTINGS)
ASSIGNMENT = [
    "uid",
    "role",
    "hours_allocated",
    "window_start",
    "window_end",
    "due_at",
    "created_at",
    "sequence",
]
INTERVIEW = ["uid", "interviewee_name", "held_at", "notes", "shared_with_review"]
KEY_EVENT = [
    "uid",
    "occurred_at",
    "precision",
    "actor_role",
    "event_type",
    "description",
    "evidence_url",
    "source",
    "note",
    "position",
]
TIME_ENTRY = ["uid", "hours", "spent_on", "note", "created_at"]
REVIEW = [
    "uid",
    "starts_at",
    "ends_at",
    "location",
    "status",
    "votes_per_attendee",
    "missing_reports_reason",
    "preparation_hours",
    "sequence",
    "created_at",
    "changed_at",
]
CONTEXT_NOTE = ["uid", "text", "created_at"]
FACTOR = ["uid", "kind", "category", "description", "position"]
LEARNING = ["uid", "text", "position", "created_at"]
ACTION = [
    "uid",
    "title",
    "description",
    "kind",
    "report_category",
    "estimate_weeks",
    "cost_of_delay_per_week",
    "status",
    "evidence",
    "wont_do_reason",
    "reference",
    "position",
    "created_at",
    "in_practice_at",
    "idea_at",
    "closed_at",
    "recurrence_chance_per_week",
    "exposure_per_hour",
    "typical_duration_hours",
    "toil_hours_per_week",
    "toil_hourly_rate",
    "tracker_kind",
    "tracker_key",
    "tracker_url",
]
FEATURE = [
    "uid",
    "title",
    "cost_of_delay_per_week",
    "estimate_weeks",
    "tracker_key",
    "done",
    "created_at",
]


def _email(user: User | None) -> str | None:
    return user.email if user else None


def _slug(obj: Any) -> str | None:
    return obj.slug if obj is not None else None


def organisation_part(org: Organisation) -> dict[str, Any]:
    policy, _ = ConsequencePolicy.objects.get_or_create(organisation=org)
    memberships = Membership.objects.filter(organisation=org).select_related("user", "team")
    return {
        "name": org.name,
        "slug": org.slug,
        "currency": org.currency,
        "consequence_policy": fields_of(policy, POLICY),
        "teams": [{"slug": t.slug, "name": t.name} for t in org.teams.order_by("slug")],
        "services": [
            {"slug": s.slug, "name": s.name, "team": _slug(s.team)}
            for s in org.services.select_related("team").order_by("slug")
        ],
        "people": sorted(
            (
                {
                    "email": m.user.email,
                    "first_name": m.user.first_name,
                    "last_name": m.user.last_name,
                    "role": m.role,
                    "team": _slug(m.team),
                    "time_zone": m.time_zone,
                }
                for m in memberships
            ),
            key=lambda p: p["email"],
        ),
        "themes": [
            {"slug": t.slug, "name": t.name, "description": t.description}
            for t in org.themes.order_by("slug")
        ],
        "planned_features": [
            {**fields_of(f, FEATURE), "team": f.team.slug}
            for f in PlannedFeature.objects.filter(team__organisation=org)
            .select_related("team")
            .order_by("uid")
        ],
    }


def incidents_query(org: Organisation) -> QuerySet[Incident]:
    themes = Prefetch("themes")
    return (
        Incident.objects.filter(organisation=org)
        .select_related("team", "service")
        .prefetch_related(
            themes,
            "responders__user",
            "consequence_decisions__decided_by",
            Prefetch(
                "assignments",
                AnalysisAssignment.objects.select_related("analyst", "report").prefetch_related(
                    Prefetch(
                        "interviews",
                        Interview.objects.select_related("interviewee").prefetch_related("themes"),
                    ),
                    "time_entries",
                ),
            ),
            Prefetch(
                "key_events",
                KeyEvent.objects.select_related("assignment").prefetch_related("themes"),
            ),
            Prefetch(
                "reviews",
                Review.objects.select_related("facilitator", "scheduled_by").prefetch_related(
                    "invitees__user",
                    Prefetch(
                        "context_notes",
                        ContextNote.objects.select_related("key_event", "author"),
                    ),
                ),
            ),
            Prefetch(
                "contributing_factors",
                ContributingFactor.objects.select_related("review", "created_by").prefetch_related(
                    "key_events", "interviews"
                ),
            ),
            Prefetch(
                "learnings",
                Learning.objects.select_related("review", "proposed_by").prefetch_related(
                    "votes__voter"
                ),
            ),
            Prefetch(
                "improvement_actions",
                ImprovementAction.objects.select_related(
                    "learning", "owner_team", "duplicate_of"
                ).prefetch_related("themes", "changes__by"),
            ),
            *narrative_prefetches(),
        )
        .order_by("key")
    )


def incident_part(incident: Incident) -> dict[str, Any]:
    return {
        **fields_of(incident, INCIDENT),
        "team": _slug(incident.team),
        "service": _slug(incident.service),
        "themes": sorted(t.slug for t in incident.themes.all()),
        "responders": sorted(
            (
                {"email": r.user.email, "response_role": r.response_role}
                for r in incident.responders.all()
            ),
            key=lambda r: r["email"],
        ),
        "consequence_decisions": [
            {
                "of_consequence": d.of_consequence,
                "by_policy": d.by_policy,
                "decided_by": _email(d.decided_by),
                "reason": d.reason,
                "created_at": dump(d.created_at),
            }
            for d in incident.consequence_decisions.all()
        ],
        "assignments": [
            _assignment(a) for a in sorted(incident.assignments.all(), key=lambda a: str(a.uid))
        ],
        "key_events": [
            {
                **fields_of(e, KEY_EVENT),
                "assignment": str(e.assignment.uid) if e.assignment else None,
                "themes": sorted(t.slug for t in e.themes.all()),
            }
            for e in sorted(incident.key_events.all(), key=lambda e: (e.position, str(e.uid)))
        ],
        "reviews": [_review(r) for r in sorted(incident.reviews.all(), key=lambda r: str(r.uid))],
        "contributing_factors": [
            {
                **fields_of(f, FACTOR),
                "review": str(f.review.uid) if f.review else None,
                "key_events": sorted(str(e.uid) for e in f.key_events.all()),
                "interviews": sorted(str(i.uid) for i in f.interviews.all()),
                "created_by": _email(f.created_by),
            }
            for f in sorted(
                incident.contributing_factors.all(), key=lambda f: (f.position, str(f.uid))
            )
        ],
        "learnings": [
            {
                **fields_of(le, LEARNING),
                "review": str(le.review.uid) if le.review else None,
                "proposed_by": _email(le.proposed_by),
                "votes": sorted(
                    (
                        {"voter": v.voter.email, "created_at": dump(v.created_at)}
                        for v in le.votes.all()
                    ),
                    key=lambda v: v["voter"],
                ),
            }
            for le in sorted(incident.learnings.all(), key=lambda x: (x.position, str(x.uid)))
        ],
        "improvement_actions": [
            _action(a)
            for a in sorted(
                incident.improvement_actions.all(), key=lambda a: (a.position, str(a.uid))
            )
        ],
        "narrative": narrative_part(incident),
    }


def _assignment(work: AnalysisAssignment) -> dict[str, Any]:
    report = getattr(work, "report", None)
    return {
        **fields_of(work, ASSIGNMENT),
        "analyst": work.analyst.email,
        "interviews": [
            {
                **fields_of(i, INTERVIEW),
                "interviewee": _email(i.interviewee),
                "themes": sorted(t.slug for t in i.themes.all()),
            }
            for i in sorted(work.interviews.all(), key=lambda i: str(i.uid))
        ],
        "time_entries": [
            fields_of(t, TIME_ENTRY)
            for t in sorted(work.time_entries.all(), key=lambda t: str(t.uid))
        ],
        "report": None
        if report is None
        else {
            "body": report.body,
            "status": report.status,
            "submitted_at": dump(report.submitted_at),
        },
    }


def _review(review: Review) -> dict[str, Any]:
    return {
        **fields_of(review, REVIEW),
        "facilitator": _email(review.facilitator),
        "scheduled_by": _email(review.scheduled_by),
        "invitees": sorted(
            (
                {"email": i.user.email, "kind": i.kind, "attended": i.attended}
                for i in review.invitees.all()
            ),
            key=lambda i: str(i["email"]),
        ),
        "context_notes": [
            {
                **fields_of(n, CONTEXT_NOTE),
                "key_event": str(n.key_event.uid) if n.key_event else None,
                "author": _email(n.author),
            }
            for n in sorted(review.context_notes.all(), key=lambda n: (n.created_at, str(n.uid)))
        ],
    }


def _action(action: ImprovementAction) -> dict[str, Any]:
    return {
        **fields_of(action, ACTION),
        "learning": str(action.learning.uid) if action.learning else None,
        "owner_team": _slug(action.owner_team),
        "duplicate_of": str(action.duplicate_of.uid) if action.duplicate_of else None,
        "themes": sorted(t.slug for t in action.themes.all()),
        "changes": [
            {
                "from_status": c.from_status,
                "to_status": c.to_status,
                "note": c.note,
                "by": _email(c.by),
                "source": c.source,
                "created_at": dump(c.created_at),
            }
            for c in action.changes.all()
        ],
    }


def export(org: Organisation, keys: list[str] | None = None) -> dict[str, Any]:
    from django.utils import timezone

    incidents = incidents_query(org)
    if keys:
        incidents = incidents.filter(key__in=keys)
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": dump(timezone.now()),
        "generator": f"learnloop {__version__}",
        "organisation": organisation_part(org),
        "incidents": [incident_part(i) for i in incidents],
    }
