"""What every API module needs: the caller's membership, and lookups that respect rights."""

from __future__ import annotations

from typing import Annotated, Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field

from learnloop.accounts.models import Membership
from learnloop.accounts.rights import can_view_assignment, incidents_for, membership_of
from learnloop.analysis.models import AnalysisAssignment
from learnloop.incidents.models import Incident

# Every integer the API takes fits both databases' 64-bit integers (a larger one is a 422 on
# that field, not a database error); identifiers are positive.
BIGGEST = 2**63 - 1
Number = Annotated[int, Field(ge=-BIGGEST, le=BIGGEST)]
RowId = Annotated[int, Field(ge=1, le=BIGGEST)]
Offset = Annotated[int, Field(ge=0, le=10**9)]  # past every row, and start + limit still fits


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
