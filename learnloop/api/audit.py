"""The audit trail through the API, for an organisation's admins."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Query, Router

from learnloop.api.common import Offset, Schema, member
from learnloop.audit.models import AuditAction
from learnloop.audit.queries import Filters, as_json, entries

router = Router(tags=["audit"])


class EntryOut(Schema):
    at: datetime
    actor: str = Field(description="Who, as they were named then (an email, or 'command line')")
    actor_id: int | None
    address: str = Field(description="The client's IP address, or 'cli'")
    action: AuditAction
    target: str = Field(description="What was acted on")
    before: Any = Field(None, description="The values changed, before (secrets as '(set)')")
    after: Any = Field(None, description="The values changed, after")


class AuditPage(Schema):
    items: list[EntryOut]
    next_offset: int | None = Field(None, description="Pass as `offset` for the next page.")


class AuditQuery(Schema):
    action: AuditAction | None = None
    actor: str = Field("", max_length=200, description="Part of the actor's name or email")
    target: str = Field("", max_length=200, description="Part of what was acted on")
    since: date | None = Field(None, description="From this day (inclusive)")
    until: date | None = Field(None, description="To this day (inclusive)")
    limit: int = Field(100, ge=1, le=1000)
    offset: Offset = 0


@router.get(
    "/audit",
    response=AuditPage,
    summary="The organisation's audit trail, newest first (admins only)",
)
def audit_api(request: HttpRequest, query: Query[AuditQuery]) -> AuditPage:
    membership = member(request)
    if not membership.is_admin:
        raise PermissionDenied
    filters = Filters(
        action=query.action or "",
        actor=query.actor,
        target=query.target,
        since=query.since,
        until=query.until,
    )
    found = list(
        entries(membership.organisation_id, filters)[query.offset : query.offset + query.limit + 1]
    )
    more = len(found) > query.limit
    return AuditPage(
        items=[EntryOut(**as_json(e)) for e in found[: query.limit]],
        next_offset=query.offset + query.limit if more else None,
    )
