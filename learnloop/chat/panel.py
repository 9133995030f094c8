"""The chat messages beside an analyst's key events in the workspace."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest

from learnloop.accounts.models import Membership
from learnloop.accounts.rights import can_see_chat
from learnloop.analysis.models import AnalysisAssignment
from learnloop.chat import services
from learnloop.chat.forms import CandidateFilter, ChatImportForm
from learnloop.chat.models import ChatImport, TimelineCandidate


def context(
    request: HttpRequest,
    membership: Membership,
    assignment: AnalysisAssignment,
    import_form: ChatImportForm | None = None,
) -> dict[str, Any]:
    incident = assignment.incident
    if not can_see_chat(membership, incident):
        return {"chat": None}
    filters = CandidateFilter(request.GET or None)
    wanted = filters.cleaned_data if filters.is_valid() else {}
    works = assignment.analyst_id == membership.user_id
    found = services.candidates(
        incident,
        person=wanted.get("person", ""),
        thread=wanted.get("thread", ""),
        since=wanted.get("since"),
        until=wanted.get("until"),
        assignment=assignment,
        undecided=works and wanted.get("show", "open") != "all",
    )
    page = Paginator(found, 100).get_page(request.GET.get("page"))
    decided = services.decisions_of(assignment, page.object_list)
    total = TimelineCandidate.objects.filter(incident=incident).count()
    return {
        "chat": {
            "page": page,
            "rows": [(c, decided.get(c.pk, "")) for c in page.object_list],
            "filters": filters,
            "authors": services.authors(incident) if total else [],
            "threads": services.threads(incident) if total else [],
            "total": total,
            "imports": ChatImport.objects.filter(incident=incident)[:5],
            "import_form": import_form or ChatImportForm(),
            "query": request.GET.urlencode(),
        }
    }
