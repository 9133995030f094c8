"""Importing a channel's history from the workspace, and deciding on its messages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from learnloop.accounts.decorators import forbid_unless, member_required
from learnloop.accounts.models import Membership
from learnloop.accounts.rights import can_see_chat, can_work_assignment
from learnloop.analysis.models import AnalysisAssignment
from learnloop.analysis.views import _workspace, assignment_or_404
from learnloop.chat import services
from learnloop.chat.forms import ChatImportForm
from learnloop.chat.models import TimelineCandidate
from learnloop.chat.slack import BadExport


def _back(request: HttpRequest, pk: int) -> HttpResponse:
    query = request.POST.get("query", "")
    target = reverse("assignment", args=[pk]) + (f"?{query}" if query else "") + "#chat"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        target = reverse("assignment", args=[pk])
    return redirect(target)


@require_POST
@member_required
def chat_import(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    work = assignment_or_404(membership, pk)
    forbid_unless(can_see_chat(membership, work.incident))
    form = ChatImportForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            record = services.import_chat(
                work.incident,
                data["file"],
                data["channel"],
                since=data["since"],
                until=data["until"],
                by=membership.user,
                file_name=data["file"].name,
                workspace_url=data["workspace_url"],
            )
        except BadExport as error:
            form.add_error("file", f"Not imported, nothing was written: {error}")
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.info(request, services.describe(record))
            return redirect(reverse("assignment", args=[pk]) + "#chat")
    return _workspace(request, membership, work, chat_import_form=form)


def _candidate(
    membership: Membership, pk: int, uid: str
) -> tuple[AnalysisAssignment, TimelineCandidate]:
    work = assignment_or_404(membership, pk)
    forbid_unless(can_work_assignment(membership, work))
    candidate = TimelineCandidate.objects.filter(uid=uid, incident_id=work.incident_id).first()
    if candidate is None:
        raise Http404("No such message.")
    return work, candidate


@require_POST
@member_required
def promote(request: HttpRequest, membership: Membership, pk: int, uid: str) -> HttpResponse:
    work, candidate = _candidate(membership, pk, uid)
    try:
        services.promote(work, candidate)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.info(request, f"Key event added from {candidate.author}'s message.")
    return _back(request, pk)


@require_POST
@member_required
def dismiss(request: HttpRequest, membership: Membership, pk: int, uid: str) -> HttpResponse:
    work, candidate = _candidate(membership, pk, uid)
    try:
        services.dismiss(work, candidate)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return _back(request, pk)
