"""Analysis assignments, interviews (private by default), key events, themes, time and reports."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Router
from ninja.responses import Status

from learnloop.accounts.models import Membership, Role
from learnloop.accounts.rights import (
    can_manage_incident,
    can_read_interview,
    can_view_assignment,
    can_work_assignment,
    readable_interviews,
)
from learnloop.analysis import calendar, services
from learnloop.analysis.models import (
    AnalysisAssignment,
    AssignmentRole,
    EventType,
    Interview,
    KeyEvent,
    LearningTheme,
    Precision,
    hours_spent,
)
from learnloop.api.common import RowId, Schema, assignment, incident, member, require
from learnloop.lib.markdown import render
from learnloop.lib.moments import Moment

router = Router(tags=["analysis"])


class AssignmentOut(Schema):
    id: int
    incident: str
    analyst: str
    role: AssignmentRole
    hours_allocated: Decimal
    window_start: datetime
    window_end: datetime
    due_at: datetime
    overdue: bool
    report_submitted: bool

    @staticmethod
    def of(work: AnalysisAssignment) -> AssignmentOut:
        return AssignmentOut(
            id=work.pk,
            incident=work.incident.key,
            analyst=work.analyst.email,
            role=AssignmentRole(work.role),
            hours_allocated=work.hours_allocated,
            window_start=work.window_start,
            window_end=work.window_end,
            due_at=work.due_at,
            overdue=work.is_overdue,
            report_submitted=work.is_submitted,
        )


class AssignmentIn(Schema):
    analyst: str = Field(..., description="Email of the person")
    role: AssignmentRole = AssignmentRole.FACILITATOR
    hours_allocated: Decimal | None = Field(None, gt=0, max_digits=6, decimal_places=2)


class SchedulePatch(Schema):
    analyst: str | None = None
    hours_allocated: Decimal | None = Field(None, gt=0, max_digits=6, decimal_places=2)
    window_start: Moment | None = None
    window_end: Moment | None = None
    due_at: Moment | None = None


class InterviewOut(Schema):
    id: int
    assignment: int
    interviewee: str
    held_at: datetime
    notes: str
    notes_html: str
    shared_with_review: bool
    themes: list[str]

    @staticmethod
    def of(interview: Interview) -> InterviewOut:
        who = interview.interviewee.email if interview.interviewee else interview.interviewee_name
        return InterviewOut(
            id=interview.pk,
            assignment=interview.assignment_id,
            interviewee=who,
            held_at=interview.held_at,
            notes=interview.notes,
            notes_html=render(interview.notes),
            shared_with_review=interview.shared_with_review,
            themes=[t.slug for t in interview.themes.all()],
        )


class InterviewIn(Schema):
    interviewee: str = Field(..., min_length=1, description="An email of a member, or a name")
    held_at: Moment
    notes: str = ""
    themes: list[str] = []


class InterviewPatch(Schema):
    notes: str | None = None
    shared_with_review: bool | None = None
    themes: list[str] | None = None


class KeyEventOut(Schema):
    uid: str
    assignment: int | None
    analyst: str | None
    occurred_at: datetime | None
    precision: Precision
    actor_role: str
    event_type: str
    description: str
    evidence_url: str
    themes: list[str]

    @staticmethod
    def of(event: KeyEvent) -> KeyEventOut:
        return KeyEventOut(
            uid=str(event.uid),
            assignment=event.assignment_id,
            analyst=event.assignment.analyst.email if event.assignment else None,
            occurred_at=event.occurred_at,
            precision=Precision(event.precision),
            actor_role=event.actor_role,
            event_type=event.event_type,
            description=event.description,
            evidence_url=event.evidence_url,
            themes=[t.slug for t in event.themes.all()],
        )


class KeyEventIn(Schema):
    occurred_at: Moment | None = None
    precision: Precision = Precision.MINUTE
    actor_role: str = Field("", max_length=200)
    event_type: EventType | None = None
    description: str = Field(..., min_length=1)
    evidence_url: str = Field("", max_length=1000, pattern=r"^(https?://\S+)?$")
    themes: list[str] = []


class ThemeOut(Schema):
    slug: str
    name: str
    description: str


class ThemeIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    description: str = ""


class TimeIn(Schema):
    hours: Decimal = Field(..., gt=0, le=24, max_digits=6, decimal_places=2)
    spent_on: date
    note: str = Field("", max_length=300)


class TimeOut(Schema):
    hours: Decimal
    spent_on: date
    note: str
    total_hours: Decimal


class ReportIn(Schema):
    body: str
    submit: bool = False


class ReportOut(Schema):
    assignment: int
    body: str
    body_html: str
    status: str
    submitted_at: datetime | None


def _person(membership: Membership, email: str, field: str) -> User:
    user = User.objects.filter(
        email=email.lower(), memberships__organisation_id=membership.organisation_id
    ).first()
    if user is None:
        raise ValidationError({field: f"No member '{email}'."})
    return user


def _themes(membership: Membership, slugs: list[str], field: str = "themes") -> list[LearningTheme]:
    found = list(
        LearningTheme.objects.filter(organisation_id=membership.organisation_id, slug__in=slugs)
    )
    unknown = sorted(set(slugs) - {t.slug for t in found})
    if unknown:
        raise ValidationError({field: f"Unknown themes: {', '.join(unknown)}."})
    return found


@router.get(
    "/incidents/{key}/assignments",
    response=list[AssignmentOut],
    summary="The incident's analysis assignments",
)
def list_assignments(request: HttpRequest, key: str) -> list[AssignmentOut]:
    found = incident(member(request), key)
    return [
        AssignmentOut.of(a)
        for a in found.assignments.select_related("incident", "analyst", "report")
    ]


@router.post(
    "/incidents/{key}/assignments",
    response={201: AssignmentOut},
    summary="Add an analyst, e.g. a neutral facilitator (manager)",
)
def add_assignment(request: HttpRequest, key: str, payload: AssignmentIn) -> Status[AssignmentOut]:
    membership = member(request)
    found = incident(membership, key)
    require(can_manage_incident(membership, found))
    analyst = _person(membership, payload.analyst, "analyst")
    work = services.add_analyst(found, analyst, payload.role, payload.hours_allocated)
    return Status(201, AssignmentOut.of(work))


@router.get("/assignments/{pk}", response=AssignmentOut, summary="Read an analysis assignment")
def read_assignment(request: HttpRequest, pk: RowId) -> AssignmentOut:
    return AssignmentOut.of(assignment(member(request), pk))


@router.patch(
    "/assignments/{pk}",
    response=AssignmentOut,
    summary="Move, extend or reassign an analysis period (manager)",
)
def schedule_assignment(request: HttpRequest, pk: RowId, payload: SchedulePatch) -> AssignmentOut:
    membership = member(request)
    work = assignment(membership, pk)
    require(can_manage_incident(membership, work.incident))
    analyst = _person(membership, payload.analyst, "analyst") if payload.analyst else None
    services.schedule(
        work,
        window_start=payload.window_start or work.window_start,
        window_end=payload.window_end or work.window_end,
        due_at=payload.due_at or work.due_at,
        hours_allocated=payload.hours_allocated or work.hours_allocated,
        analyst=analyst,
    )
    return AssignmentOut.of(assignment(membership, pk))


@router.get(
    "/assignments/{pk}/invitation.ics",
    summary="The period's calendar invitation",
    response={200: str},
)
def invitation(request: HttpRequest, pk: RowId) -> HttpResponse:
    work = assignment(member(request), pk)
    return HttpResponse(calendar.invitation(work), content_type="text/calendar; charset=utf-8")


@router.get(
    "/assignments/{pk}/interviews",
    response=list[InterviewOut],
    summary="Interviews the caller may read (private notes only to analyst and interviewee)",
)
def list_interviews(request: HttpRequest, pk: RowId) -> list[InterviewOut]:
    membership = member(request)
    work = assignment(membership, pk)
    readable = readable_interviews(membership, work.interviews.select_related("interviewee"))
    return [InterviewOut.of(i) for i in readable.prefetch_related("themes")]


@router.post(
    "/assignments/{pk}/interviews",
    response={201: InterviewOut},
    summary="Record an interview (the analyst)",
)
def add_interview(request: HttpRequest, pk: RowId, payload: InterviewIn) -> Status[InterviewOut]:
    membership = member(request)
    work = assignment(membership, pk)
    require(can_work_assignment(membership, work))
    themes = _themes(membership, payload.themes)
    person = None
    if "@" in payload.interviewee:
        person = _person(membership, payload.interviewee, "interviewee")
    interview = services.add_interview(
        work,
        interviewee=person,
        interviewee_name=payload.interviewee,
        held_at=payload.held_at,
        notes=payload.notes,
        themes=themes,
    )
    return Status(201, InterviewOut.of(interview))


def _interview(membership: Membership, pk: RowId) -> Interview:
    found = (
        Interview.objects.select_related("assignment__incident", "interviewee")
        .filter(pk=pk, assignment__incident__organisation_id=membership.organisation_id)
        .first()
    )
    if found is None or not can_read_interview(membership, found):
        raise Http404("No such interview.")
    return found


@router.get("/interviews/{pk}", response=InterviewOut, summary="Read an interview")
def read_interview(request: HttpRequest, pk: RowId) -> InterviewOut:
    return InterviewOut.of(_interview(member(request), pk))


@router.patch(
    "/interviews/{pk}",
    response=InterviewOut,
    summary="Change notes, themes, or share with the review (the analyst)",
)
def change_interview(request: HttpRequest, pk: RowId, payload: InterviewPatch) -> InterviewOut:
    membership = member(request)
    interview = _interview(membership, pk)
    if not can_work_assignment(membership, interview.assignment):
        raise Http404("No such interview.")  # the interviewee reads, but does not edit
    themes = _themes(membership, payload.themes) if payload.themes is not None else None
    services.change_interview(
        interview,
        notes=payload.notes,
        shared_with_review=payload.shared_with_review,
        themes=themes,
    )
    return InterviewOut.of(interview)


@router.get(
    "/assignments/{pk}/key-events", response=list[KeyEventOut], summary="An analyst's key events"
)
def list_key_events(request: HttpRequest, pk: RowId) -> list[KeyEventOut]:
    work = assignment(member(request), pk)
    return [
        KeyEventOut.of(e)
        for e in work.key_events.select_related("assignment__analyst").prefetch_related("themes")
    ]


@router.post(
    "/assignments/{pk}/key-events",
    response={201: KeyEventOut},
    summary="Record a key event (the analyst)",
)
def add_key_event(request: HttpRequest, pk: RowId, payload: KeyEventIn) -> Status[KeyEventOut]:
    membership = member(request)
    work = assignment(membership, pk)
    require(can_work_assignment(membership, work))
    event = services.add_key_event(
        work,
        themes=_themes(membership, payload.themes),
        occurred_at=payload.occurred_at,
        precision=payload.precision,
        actor_role=payload.actor_role,
        event_type=payload.event_type or "",
        description=payload.description,
        evidence_url=payload.evidence_url,
    )
    return Status(201, KeyEventOut.of(event))


@router.get(
    "/incidents/{key}/key-events",
    response=list[KeyEventOut],
    summary="The incident's timeline: the imported report's events, and analysts' "
    "events from assignments the caller may see",
)
def incident_key_events(request: HttpRequest, key: str) -> list[KeyEventOut]:
    membership = member(request)
    found = incident(membership, key)
    events = found.key_events.select_related("assignment__analyst", "assignment__incident")
    visible = [
        e
        for e in events.prefetch_related("themes")
        if e.assignment is None or can_view_assignment(membership, e.assignment)
    ]
    return [KeyEventOut.of(e) for e in visible]


@router.get("/themes", response=list[ThemeOut], summary="The organisation's learning themes")
def list_themes(request: HttpRequest) -> list[ThemeOut]:
    membership = member(request)
    return [
        ThemeOut(slug=t.slug, name=t.name, description=t.description)
        for t in LearningTheme.objects.filter(organisation_id=membership.organisation_id)
    ]


@router.post("/themes", response={201: ThemeOut}, summary="Add a theme to the catalogue")
def add_theme(request: HttpRequest, payload: ThemeIn) -> Status[ThemeOut]:
    membership = member(request)
    require(membership.role != Role.MEMBER)
    theme = services.add_theme(membership.organisation, payload.name, payload.description)
    return Status(201, ThemeOut(slug=theme.slug, name=theme.name, description=theme.description))


@router.post("/assignments/{pk}/time", response={201: TimeOut}, summary="Log time spent")
def log_time(request: HttpRequest, pk: RowId, payload: TimeIn) -> Status[TimeOut]:
    membership = member(request)
    work = assignment(membership, pk)
    require(can_work_assignment(membership, work))
    entry = services.log_time(work, payload.hours, payload.spent_on, payload.note)
    return Status(
        201,
        TimeOut(
            hours=entry.hours,
            spent_on=entry.spent_on,
            note=entry.note,
            total_hours=hours_spent(work),
        ),
    )


def _report_out(work: AnalysisAssignment) -> ReportOut:
    report = services.report_of(work)
    return ReportOut(
        assignment=work.pk,
        body=report.body,
        body_html=render(report.body),
        status=report.status,
        submitted_at=report.submitted_at,
    )


@router.get("/assignments/{pk}/report", response=ReportOut, summary="Read the analysis report")
def read_report(request: HttpRequest, pk: RowId) -> ReportOut:
    return _report_out(assignment(member(request), pk))


@router.put(
    "/assignments/{pk}/report",
    response=ReportOut,
    summary="Save the report as a draft, or submit it (final)",
)
def save_report(request: HttpRequest, pk: RowId, payload: ReportIn) -> ReportOut:
    membership = member(request)
    work = assignment(membership, pk)
    require(can_work_assignment(membership, work))
    services.save_report(work, payload.body, submit=payload.submit)
    return _report_out(work)
