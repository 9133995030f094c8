"""The analyst's workspace, and the manager's scheduling of analysis periods."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from learnloop.accounts.decorators import forbid_unless, member_required
from learnloop.accounts.models import Membership
from learnloop.accounts.rights import (
    can_manage_incident,
    can_read_interview,
    can_view_assignment,
    can_work_assignment,
    readable_interviews,
)
from learnloop.analysis import calendar, services
from learnloop.analysis.forms import (
    AddAnalystForm,
    InterviewForm,
    KeyEventForm,
    ReportForm,
    ScheduleForm,
    ThemeForm,
    TimeEntryForm,
)
from learnloop.analysis.models import AnalysisAssignment, Interview, LearningTheme, ReportStatus
from learnloop.chat import panel as chat_panel
from learnloop.chat.forms import ChatImportForm
from learnloop.incidents.views import incident_or_404
from learnloop.lib.markdown import render as markdown


def assignment_or_404(membership: Membership, pk: int) -> AnalysisAssignment:
    found = (
        AnalysisAssignment.objects.select_related("incident", "analyst")
        .filter(pk=pk, incident__organisation_id=membership.organisation_id)
        .first()
    )
    if found is None or not can_view_assignment(membership, found):
        raise Http404("No such analysis period.")
    return found


@member_required
def my_assignments(request: HttpRequest, membership: Membership) -> HttpResponse:
    mine = (
        AnalysisAssignment.objects.filter(analyst_id=membership.user_id)
        .select_related("incident", "analyst", "report")
        .order_by("due_at")
    )
    return render(request, "analysis/mine.html", {"assignments": mine, "membership": membership})


def _workspace(
    request: HttpRequest, membership: Membership, assignment: AnalysisAssignment, **forms: object
) -> HttpResponse:
    works = can_work_assignment(membership, assignment)
    report = services.report_of(assignment) if works else getattr(assignment, "report", None)
    interviews = readable_interviews(
        membership, assignment.interviews.select_related("interviewee")
    ).prefetch_related("themes")
    hidden = assignment.interviews.count() - len(interviews)
    spent = assignment.time_entries.aggregate(total=Sum("hours"))["total"] or 0
    context = {
        "assignment": assignment,
        "incident": assignment.incident,
        "works": works,
        "interviews": [(i, markdown(i.notes)) for i in interviews],
        "hidden_interviews": hidden,
        "key_events": assignment.key_events.prefetch_related("themes"),
        "time_entries": assignment.time_entries.all(),
        "hours_spent": spent,
        "report": report,
        "report_html": markdown(report.body) if report else "",
        "interview_form": forms.get("interview_form") or InterviewForm(membership=membership),
        "key_event_form": forms.get("key_event_form") or KeyEventForm(membership=membership),
        "time_form": forms.get("time_form") or TimeEntryForm(),
        "report_form": forms.get("report_form")
        or ReportForm(initial={"body": report.body if report else ""}),
    }
    chat_form = forms.get("chat_import_form")
    chat_form = chat_form if isinstance(chat_form, ChatImportForm) else None
    context.update(chat_panel.context(request, membership, assignment, chat_form))
    return render(request, "analysis/workspace.html", context)


@member_required
def assignment(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    return _workspace(request, membership, assignment_or_404(membership, pk))


def _workable(membership: Membership, pk: int) -> AnalysisAssignment:
    found = assignment_or_404(membership, pk)
    forbid_unless(can_work_assignment(membership, found))
    return found


@require_POST
@member_required
def interview_add(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    work = _workable(membership, pk)
    form = InterviewForm(request.POST, membership=membership)
    if not form.is_valid():
        return _workspace(request, membership, work, interview_form=form)
    try:
        services.add_interview(work, **form.cleaned_data)
    except ValidationError as error:
        form.add_error(None, error)
        return _workspace(request, membership, work, interview_form=form)
    messages.info(request, "Interview recorded. Its notes are private until you share them.")
    return redirect("assignment", pk=work.pk)


@require_POST
@member_required
def key_event_add(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    work = _workable(membership, pk)
    form = KeyEventForm(request.POST, membership=membership)
    if not form.is_valid():
        return _workspace(request, membership, work, key_event_form=form)
    data = dict(form.cleaned_data)
    services.add_key_event(work, themes=data.pop("themes"), **data)
    messages.info(request, "Key event recorded.")
    return redirect("assignment", pk=work.pk)


@require_POST
@member_required
def time_add(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    work = _workable(membership, pk)
    form = TimeEntryForm(request.POST)
    if not form.is_valid():
        return _workspace(request, membership, work, time_form=form)
    try:
        entry = services.log_time(work, **form.cleaned_data)
    except ValidationError as error:
        form.add_error(None, error)
        return _workspace(request, membership, work, time_form=form)
    messages.info(request, f"Logged {entry.hours} hours.")
    return redirect("assignment", pk=work.pk)


@require_POST
@member_required
def report_save(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    work = _workable(membership, pk)
    form = ReportForm(request.POST)
    submit = request.POST.get("action") == "submit"
    if form.is_valid():
        try:
            services.save_report(work, form.cleaned_data["body"], submit=submit)
        except ValidationError as error:
            form.add_error("body", error.message_dict.get("body", error.messages))
        else:
            messages.info(request, "Report submitted." if submit else "Draft saved.")
            return redirect("assignment", pk=work.pk)
    return _workspace(request, membership, work, report_form=form)


@member_required
def interview_detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    interview = get_object_or_404(
        Interview.objects.select_related("assignment__incident", "interviewee"), pk=pk
    )
    if not can_read_interview(membership, interview):
        raise Http404("No such interview.")
    return render(
        request,
        "analysis/interview.html",
        {
            "interview": interview,
            "notes_html": markdown(interview.notes),
            "works": can_work_assignment(membership, interview.assignment),
        },
    )


@require_POST
@member_required
def interview_share(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    interview = get_object_or_404(Interview.objects.select_related("assignment"), pk=pk)
    if not can_work_assignment(membership, interview.assignment):
        raise Http404("No such interview.")
    services.change_interview(interview, shared_with_review=request.POST.get("shared") == "yes")
    messages.info(
        request,
        "Shared with the review."
        if interview.shared_with_review
        else "The notes are private again.",
    )
    return redirect("assignment", pk=interview.assignment_id)


@member_required
def assignment_schedule(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    work = assignment_or_404(membership, pk)
    forbid_unless(can_manage_incident(membership, work.incident))
    form = ScheduleForm(
        request.POST or None, instance=AnalysisAssignment.objects.get(pk=pk), membership=membership
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.schedule(
                work,
                window_start=data["window_start"],
                window_end=data["window_end"],
                due_at=data["due_at"],
                hours_allocated=data["hours_allocated"],
                analyst=data["analyst"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.info(request, "Analysis period rescheduled; the invitation is updated.")
            return redirect("incident_detail", key=work.incident.key)
    return render(request, "analysis/schedule.html", {"form": form, "assignment": work})


@member_required
def assignment_add(request: HttpRequest, membership: Membership, key: str) -> HttpResponse:
    incident = incident_or_404(membership, key)
    forbid_unless(can_manage_incident(membership, incident))
    form = AddAnalystForm(request.POST or None, membership=membership)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_analyst(
                incident,
                form.cleaned_data["analyst"],
                form.cleaned_data["role"],
                form.cleaned_data["hours_allocated"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.info(request, "Analyst added.")
            return redirect("incident_detail", key=incident.key)
    return render(request, "analysis/add_analyst.html", {"form": form, "incident": incident})


@member_required
def assignment_ics(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    work = assignment_or_404(membership, pk)
    response = HttpResponse(calendar.invitation(work), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="analysis-{work.incident.key}.ics"'
    return response


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A private URL a calendar application subscribes to; the token is the only credential."""
    holder = Membership.objects.select_related("user").filter(calendar_token=token).first()
    if holder is None or not holder.user.is_active:
        raise Http404("No such calendar.")
    assignments = AnalysisAssignment.objects.filter(analyst_id=holder.user_id).select_related(
        "incident", "analyst"
    )
    return HttpResponse(
        calendar.feed(assignments, "learnloop", calendar.sessions_of(holder.user)),
        content_type="text/calendar; charset=utf-8",
    )


@member_required
def theme_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = ThemeForm(request.POST or None)
    if request.method == "POST":
        forbid_unless(membership.role != "member")
        if form.is_valid():
            try:
                theme = services.add_theme(membership.organisation, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.info(request, f"Theme “{theme.name}” added to the catalogue.")
                return redirect("theme_list")
    themes = LearningTheme.objects.filter(organisation_id=membership.organisation_id).annotate(
        n_incidents=Count("incidents", distinct=True), n_events=Count("key_events", distinct=True)
    )
    return render(
        request,
        "analysis/themes.html",
        {"themes": themes, "form": form, "report_status": ReportStatus},
    )
