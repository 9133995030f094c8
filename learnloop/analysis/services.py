"""Analysis periods: opened for every responder when an incident is of consequence, then
scheduled by the product or problem manager; and the analyst's own steps."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from learnloop.accounts.models import Organisation
from learnloop.analysis.models import (
    AnalysisAssignment,
    AnalysisReport,
    AssignmentRole,
    Interview,
    KeyEvent,
    LearningTheme,
    Precision,
    ReportStatus,
    TimeEntry,
)
from learnloop.incidents.models import ConsequencePolicy, Incident
from learnloop.webhooks.models import EventType
from learnloop.webhooks.outbox import emit, when


def _policy(incident: Incident) -> ConsequencePolicy:
    policy, _ = ConsequencePolicy.objects.get_or_create(organisation_id=incident.organisation_id)
    return policy


def default_window(
    incident: Incident, policy: ConsequencePolicy | None = None
) -> tuple[datetime, datetime]:
    """From the next whole hour, for the policy's number of days; due at its end."""
    start = (timezone.now() + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    days = (policy or _policy(incident)).analysis_window_days
    return start, start + timedelta(days=days)


def open_learning(incident: Incident) -> list[AnalysisAssignment]:
    """One assignment per responder who has none yet; running it again adds nothing."""
    responders = list(incident.responders.all())
    if not responders:
        return []
    have = set(incident.assignments.values_list("analyst_id", flat=True))
    policy = _policy(incident)
    start, end = default_window(incident, policy)
    created = []
    for responder in (r for r in responders if r.user_id not in have):
        created.append(
            AnalysisAssignment.objects.create(
                incident=incident,
                analyst_id=responder.user_id,
                role=AssignmentRole.RESPONDER,
                hours_allocated=policy.hours_for(incident.severity),
                window_start=start,
                window_end=end,
                due_at=end,
            )
        )
    return created


def check_window(start: datetime, end: datetime, due: datetime) -> None:
    errors = {}
    if end <= start:
        errors["window_end"] = "The window must end after it starts."
    if due < start:
        errors["due_at"] = "The due date cannot come before the window starts."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def schedule(
    assignment: AnalysisAssignment,
    *,
    window_start: datetime,
    window_end: datetime,
    due_at: datetime,
    hours_allocated: Decimal,
    analyst: User | None = None,
) -> AnalysisAssignment:
    """Move, extend or reassign one analysis period."""
    check_window(window_start, window_end, due_at)
    if hours_allocated <= 0:
        raise ValidationError({"hours_allocated": "Allocate more than zero hours."})
    if analyst is not None and analyst.pk != assignment.analyst_id:
        if assignment.incident.assignments.filter(analyst_id=analyst.pk).exists():
            raise ValidationError({"analyst": "This person already has an assignment here."})
        assignment.analyst_id = analyst.pk
    assignment.window_start = window_start
    assignment.window_end = window_end
    assignment.due_at = due_at
    assignment.hours_allocated = hours_allocated
    assignment.sequence += 1
    assignment.save()
    return assignment


@transaction.atomic
def add_analyst(
    incident: Incident,
    analyst: User,
    role: str = AssignmentRole.FACILITATOR,
    hours_allocated: Decimal | None = None,
    window: tuple[datetime, datetime] | None = None,
) -> AnalysisAssignment:
    if incident.assignments.filter(analyst_id=analyst.pk).exists():
        raise ValidationError({"analyst": "This person already has an assignment here."})
    start, end = window or default_window(incident)
    check_window(start, end, end)
    return AnalysisAssignment.objects.create(
        incident=incident,
        analyst_id=analyst.pk,
        role=role,
        hours_allocated=hours_allocated or _policy(incident).hours_for(incident.severity),
        window_start=start,
        window_end=end,
        due_at=end,
    )


def report_of(assignment: AnalysisAssignment) -> AnalysisReport:
    report, _ = AnalysisReport.objects.get_or_create(assignment=assignment)
    return report


@transaction.atomic
def save_report(assignment: AnalysisAssignment, body: str, submit: bool) -> AnalysisReport:
    report = report_of(assignment)
    if report.status == ReportStatus.SUBMITTED:
        raise ValidationError({"body": "This report is submitted and can no longer change."})
    report.body = body
    if submit:
        if not body.strip():
            raise ValidationError({"body": "Write the report before submitting it."})
        report.status = ReportStatus.SUBMITTED
        report.submitted_at = timezone.now()
    with transaction.atomic():
        report.save()
        if submit:
            AnalysisAssignment.objects.filter(pk=assignment.pk).update(
                submitted_at=report.submitted_at
            )
            assignment.submitted_at = report.submitted_at
            incident = assignment.incident
            data = {
                "incident": incident.key,
                "analyst": assignment.analyst.email,
                "submitted_at": when(report.submitted_at),
                "url": f"{settings.BASE_URL}/analysis/{assignment.pk}/",
            }
            emit(incident.organisation_id, EventType.ANALYSIS_SUBMITTED, incident.key, data)
    return report


def add_key_event(
    assignment: AnalysisAssignment, themes: Iterable[LearningTheme] = (), **fields: Any
) -> KeyEvent:
    """An analyst's key event, placed after their others. The analysis period's row is locked
    while the place is taken, so two saves at once do not share it."""
    if fields.get("occurred_at") is None and fields.get("precision") != Precision.UNKNOWN:
        raise ValidationError({"precision": "An event without a time has precision 'unknown'."})
    with transaction.atomic():
        AnalysisAssignment.objects.select_for_update().filter(pk=assignment.pk).values_list(
            "pk"
        ).get()
        last = assignment.key_events.aggregate(m=Max("position"))["m"]
        event = KeyEvent.objects.create(
            incident_id=assignment.incident_id,
            assignment=assignment,
            position=0 if last is None else last + 1,
            **fields,
        )
        event.themes.set(themes)
    return event


@transaction.atomic
def add_interview(
    work: AnalysisAssignment,
    *,
    interviewee: User | None,
    interviewee_name: str,
    held_at: datetime,
    notes: str,
    themes: Iterable[LearningTheme],
) -> Interview:
    """An interview the analyst held: private to them and the interviewee until shared."""
    if interviewee is None and not interviewee_name.strip():
        raise ValidationError({"interviewee": "Say who was interviewed."})
    interview = Interview(
        assignment=work,
        interviewee=interviewee,
        interviewee_name="" if interviewee else interviewee_name,
        held_at=held_at,
        notes=notes,
    )
    interview.full_clean(exclude=["themes"])
    interview.save()
    interview.themes.set(themes)
    return interview


@transaction.atomic
def change_interview(
    interview: Interview,
    *,
    notes: str | None = None,
    shared_with_review: bool | None = None,
    themes: Iterable[LearningTheme] | None = None,
) -> Interview:
    """What is given changes; what is None stays."""
    if notes is not None:
        interview.notes = notes
    if shared_with_review is not None:
        interview.shared_with_review = shared_with_review
    interview.save(update_fields=["notes", "shared_with_review"])
    if themes is not None:
        interview.themes.set(themes)
    return interview


def add_theme(organisation: Organisation, name: str, description: str = "") -> LearningTheme:
    """A theme in the organisation's catalogue, known by the slug of its name."""
    slug = slugify(name)[:200]
    if not slug:
        raise ValidationError({"name": "Use letters or digits in the name."})
    if LearningTheme.objects.filter(organisation=organisation, slug=slug).exists():
        raise ValidationError({"name": "This theme is already in the catalogue."})
    return LearningTheme.objects.create(
        organisation=organisation, slug=slug, name=name, description=description
    )


def log_time(work: AnalysisAssignment, hours: Decimal, spent_on: date, note: str = "") -> TimeEntry:
    """Hours an analyst spent on the analysis: what the learning costs is built from these."""
    if hours <= 0 or hours > 24:
        raise ValidationError({"hours": "Log between 0 and 24 hours."})
    return TimeEntry.objects.create(assignment=work, hours=hours, spent_on=spent_on, note=note)
