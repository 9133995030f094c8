"""The audit trail page for an organisation's admins, with its JSON Lines download."""

from __future__ import annotations

from datetime import date

from django.core.paginator import Paginator
from django.http import HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone

from learnloop.accounts.decorators import forbid_unless, member_required
from learnloop.accounts.models import Membership
from learnloop.audit.models import AuditAction
from learnloop.audit.queries import Filters, entries, json_lines


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@member_required
def audit_trail(request: HttpRequest, membership: Membership) -> HttpResponseBase:
    forbid_unless(membership.is_admin)
    asked = request.GET
    action = asked.get("action", "")
    filters = Filters(
        action=action if action in AuditAction.values else "",
        actor=asked.get("actor", "")[:200],
        target=asked.get("target", "")[:200],
        since=_day(asked.get("since", "")),
        until=_day(asked.get("until", "")),
    )
    found = entries(membership.organisation_id, filters)
    if asked.get("format") == "jsonl":
        response = StreamingHttpResponse(json_lines(found), content_type="application/x-ndjson")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.jsonl"'
        return response
    page = Paginator(found, 50).get_page(asked.get("page"))
    query = asked.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/trail.html",
        {
            "page": page,
            "filters": filters,
            "actions": AuditAction.choices,
            "query": query.urlencode(),
        },
    )
