"""What every API module needs: the caller's membership, and lookups that respect rights."""

from __future__ import annotations

from typing import Annotated, Any

import ninja
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field
from pydantic import ValidationInfo, field_validator

from learnloop.accounts.models import Membership
from learnloop.accounts.rights import can_view_assignment, incidents_for, membership_of
from learnloop.analysis.models import AnalysisAssignment
from learnloop.incidents.models import Incident
from learnloop.lib.storable import refusal

# Every integer the API takes fits both databases' 64-bit integers (a larger one is a 422 on
# that field, not a database error); identifiers are positive.
BIGGEST = 2**63 - 1
Number = Annotated[int, Field(ge=-BIGGEST, le=BIGGEST)]
RowId = Annotated[int, Field(ge=1, le=BIGGEST)]
Offset = Annotated[int, Field(ge=0, le=10**9)]  # past every row, and start + limit still fits


class Schema(ninja.Schema):
    """Every schema of the API. Its text must be storable: JSON carries a NUL character or a
    lone surrogate as an escape, and either made the database fail the request with a 500
    (PostgreSQL refuses NUL; neither driver encodes a lone surrogate). Refused with a 422 on
    the field instead. (A NUL in an address is refused before: learnloop/middleware.py.)"""

    @field_validator("*", mode="after")
    @classmethod
    def storable(cls, value: Any, info: ValidationInfo) -> Any:
        if "response_status" in (info.context or {}):
            return value  # an answer, not input: stored text read back (SQLite kept NULs)
        why = _refused(value)
        if why:
            raise ValueError(why)
        return value


def _refused(value: Any) -> str | None:
    """Why text in this value (a string, or one in a list or mapping) cannot be stored."""
    if isinstance(value, str):
        return refusal(value)
    if isinstance(value, dict):
        value = [*value, *value.values()]
    if isinstance(value, list | tuple | set):
        return next((why for why in map(_refused, value) if why), None)
    return None


def member(request: HttpRequest) -> Membership:
    membership = membership_of(request.user)
    if membership is None:
        raise PermissionDenied("You are not a member of any organisation.")
    return membership


def incident(membership: Membership, key: str) -> Incident:
    found = incidents_for(membership).select_related("team", "service").filter(key=key).first()
    if found is None:
        raise Http404("No such incident.")
    return found


def assignment(membership: Membership, pk: RowId) -> AnalysisAssignment:
    found = (
        AnalysisAssignment.objects.select_related("incident", "analyst", "report")
        .filter(pk=pk, incident__organisation_id=membership.organisation_id)
        .first()
    )
    if found is None or not can_view_assignment(membership, found):
        raise Http404("No such analysis assignment.")
    return found


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied("You may not do this.")


def answer(request: HttpRequest, data: Any) -> HttpResponse:
    """The answer written by the API's own renderer (django-ninja's create_response), without
    validating it again against the operation's schema. Only for the busiest reads, whose every
    value comes typed from the database: validating 25 incidents took a fifth of the list's time.
    The API tests hold these answers to the published schema (schemathesis checks every one)."""
    from learnloop.api.urls import api  # the API is built from the modules that call this

    return api.create_response(request, data, status=200)
