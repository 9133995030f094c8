"""Incidents and their consequence decisions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import get_script_prefix, reverse
from ninja import Field, Query, Router
from ninja.responses import Status

from learnloop.accounts.models import Membership, Service, Team, organisation_param
from learnloop.accounts.rights import (
    can_edit_incident,
    can_manage_incident,
    can_record_incident,
    incidents_for,
    incidents_key,
)
from learnloop.api.common import Offset, Schema, answer, incident, member, require
from learnloop.incidents import services
from learnloop.incidents.models import Incident, ResponseRole, Severity
from learnloop.incidents.models import Status as IncidentStatus
from learnloop.incidents.queries import IncidentFilter, listing
from learnloop.lib import statements, written
from learnloop.lib.moments import Moment
from learnloop.lib.statements import Param

router = Router(tags=["incidents"])


class ResponderSchema(Schema):
    email: str
    response_role: ResponseRole = ResponseRole.ON_CALL


class IncidentOut(Schema):
    key: str
    title: str
    summary: str
    team: str | None
    service: str | None
    severity: int | None
    status: str
    started_at: datetime | None
    detected_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    customer_facing: bool
    data_loss: bool
    estimated_loss: Decimal | None
    impact_summary: str
    of_consequence: bool | None
    responders: list[ResponderSchema]
    url: str

    @staticmethod
    def of(found: Incident, people: list[tuple[User, str]] | None = None) -> dict[str, Any]:
        """The fields of the answer, left for django-ninja to validate once against this schema
        as it writes the response (a schema object built here would be validated twice).
        `people`: the responders, when the caller has just written them."""
        if people is None:
            people = [(r.user, r.response_role) for r in found.responders.select_related("user")]
        responders = [{"email": user.email, "response_role": role} for user, role in people]
        return dict(
            key=found.key,
            title=found.title,
            summary=found.summary,
            team=found.team.slug if found.team else None,
            service=found.service.slug if found.service else None,
            severity=found.severity,
            status=found.status,
            started_at=found.started_at,
            detected_at=found.detected_at,
            mitigated_at=found.mitigated_at,
            resolved_at=found.resolved_at,
            customer_facing=found.customer_facing,
            data_loss=found.data_loss,
            estimated_loss=found.estimated_loss,
            impact_summary=found.impact_summary,
            of_consequence=found.of_consequence,
            responders=responders,
            url=reverse("incident_detail", args=[found.key]),
        )


# What a page of the list reads of each incident: its own columns, its moments and loss as the
# JSON writes them (lib.written), its team's and service's slugs. Each value that is not a
# column is read under a name of its own (a values() annotation may not take a field's name).
LISTED = (
    "key",
    "title",
    "summary",
    "severity",
    "status",
    "customer_facing",
    "data_loss",
    "impact_summary",
    "of_consequence",
)
WRITTEN = ("started_at", "detected_at", "mitigated_at", "resolved_at", "estimated_loss")
READ_AS = {"team": "team_slug", "service": "service_slug", **{n: f"{n}_text" for n in WRITTEN}}


# Each field of the answer and the value of the row it comes from, in the schema's order.
FROM_ROW = tuple((name, READ_AS.get(name, name)) for name in IncidentOut.model_fields)


def detail_addresses() -> Callable[[str], str]:
    """Each incident's page address, with one reverse() per script prefix: keys are slugs,
    which an address carries as they are (a reverse() per row was a tenth of a list request,
    one per request a thirtieth)."""
    before, after = _around_the_key(get_script_prefix())
    return lambda key: f"{before}{key}{after}"


@cache
def _around_the_key(prefix: str) -> tuple[str, str]:
    marker = "key"
    before, after = reverse("incident_detail", args=[marker]).rsplit(marker, 1)
    return before, after


def listed(row: dict[str, Any], address: Callable[[str], str]) -> dict[str, Any]:
    """One incident of a page, from its LISTED values (no model instance, no responders), its
    fields in the schema's order."""
    row.update(responders=[], url=address(row["key"]))
    return {name: row[read] for name, read in FROM_ROW}


class IncidentPage(Schema):
    items: list[IncidentOut]
    next_offset: int | None = Field(None, description="Pass as `offset` for the next page.")


class IncidentFilters(Schema):
    team: str | None = None
    service: str | None = None
    severity: Severity | None = None
    status: IncidentStatus | None = None
    of_consequence: str | None = Field(None, pattern="^(yes|no|undecided)$")
    started_from: date | None = None
    started_to: date | None = None
    q: str | None = None
    limit: int = Field(25, ge=1, le=100)
    offset: Offset = 0


class IncidentIn(Schema):
    title: str = Field(..., min_length=1, max_length=300)
    summary: str = ""
    team: str | None = None
    service: str | None = None
    severity: Severity | None = None
    status: IncidentStatus = IncidentStatus.INVESTIGATING
    started_at: Moment | None = None
    detected_at: Moment | None = None
    mitigated_at: Moment | None = None
    resolved_at: Moment | None = None
    customer_facing: bool = False
    data_loss: bool = False
    estimated_loss: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    impact_summary: str = ""
    responders: list[ResponderSchema] = []


class IncidentPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=300)
    summary: str | None = None
    team: str | None = None
    service: str | None = None
    severity: Severity | None = None
    status: IncidentStatus | None = None
    started_at: Moment | None = None
    detected_at: Moment | None = None
    mitigated_at: Moment | None = None
    resolved_at: Moment | None = None
    customer_facing: bool | None = None
    data_loss: bool | None = None
    estimated_loss: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    impact_summary: str | None = None
    responders: list[ResponderSchema] | None = None


class DecisionOut(Schema):
    of_consequence: bool
    by_policy: bool
    decided_by: str | None
    reason: str
    created_at: datetime


class DecisionIn(Schema):
    of_consequence: bool
    reason: str = Field(..., min_length=1, max_length=2000)


Named = TypeVar("Named", Team, Service)


def _named(model: type[Named], organisation_id: int, slug: str) -> Named | None:
    """The organisation's team or service with this slug (a statement compiled once: every
    create through the API names its team)."""

    def build() -> QuerySet[Any, Any]:
        named = model.objects.filter(
            organisation_id=organisation_param(),
            slug=Param("slug", model, "slug"),
        )
        return statements.whole(named)[:1]

    given = {"organisation": organisation_id, "slug": slug}
    found = statements.prepared(f"{model.__name__} by slug", build).instances(model, given)
    return found[0] if found else None


def _resolve(membership: Membership, data: dict[str, Any]) -> dict[str, Any]:
    """Slugs and emails in, model objects out; unknown ones are a 422 on that field."""
    org = membership.organisation_id
    for name in ("team", "service"):
        if name in data and not data[name]:
            data[name] = None  # "" clears, as null does
    if data.get("team"):
        team = _named(Team, org, data["team"])
        if team is None:
            raise ValidationError({"team": f"No team '{data['team']}'."})
        data["team"] = team
    if data.get("service"):
        service = _named(Service, org, data["service"])
        if service is None:
            raise ValidationError({"service": f"No service '{data['service']}'."})
        data["service"] = service
        data.setdefault("team", None)
        if data["team"] is None and service.team_id:
            data["team"] = service.team
    if data.get("responders") is not None:
        people = []
        for index, responder in enumerate(data["responders"]):
            user = User.objects.filter(
                email=responder["email"].lower(), memberships__organisation_id=org
            ).first()
            if user is None:
                raise ValidationError(
                    {f"responders.{index}.email": f"No member '{responder['email']}'."}
                )
            people.append((user, responder["response_role"]))
        data["responders"] = people
    return data


@router.get("/incidents", response=IncidentPage, summary="List incidents, newest first")
def list_incidents(request: HttpRequest, filters: Query[IncidentFilters]) -> HttpResponse:
    membership = member(request)
    organisation = membership.organisation_id
    wanted = IncidentFilter(
        team=filters.team,
        service=filters.service,
        severity=int(filters.severity) if filters.severity else None,
        status=filters.status,
        of_consequence=filters.of_consequence,
        started_from=filters.started_from,
        started_to=filters.started_to,
        q=filters.q,
    )
    start, limit = filters.offset, filters.limit

    def chosen() -> QuerySet[Incident, Any]:
        read = listing(wanted.apply(incidents_for(membership), organisation, named=True))
        others = {
            "team_slug": F("team__slug"),
            "service_slug": F("service__slug"),
            **{READ_AS[name]: written.column(Incident, name, connection) for name in WRITTEN},
        }
        columns: QuerySet[Incident, Any] = read.values(*LISTED, **others)
        return columns

    key = ("incident list", incidents_key(membership), wanted.shape())
    # One row more than asked tells whether there is a next page, without counting them.
    page = {"limit": limit + 1, "offset": start}
    rows = statements.prepared(key, chosen, paged=True).rows({**wanted.values(), **page})
    address = detail_addresses()
    return answer(
        request,
        {
            "items": [listed(row, address) for row in rows[:limit]],
            "next_offset": start + limit if len(rows) > limit else None,
        },
    )


@router.post("/incidents", response={201: IncidentOut}, summary="Record an incident")
def create_incident(request: HttpRequest, payload: IncidentIn) -> Status[dict[str, Any]]:
    membership = member(request)
    require(can_record_incident(membership))
    data = _resolve(membership, payload.dict())
    recorded = services.record_incident(
        membership.organisation,
        request.user,  # type: ignore[arg-type]
        **data,
    )
    return Status(201, IncidentOut.of(recorded, data.get("responders", [])))


@router.get("/incidents/{key}", response=IncidentOut, summary="Read an incident")
def read_incident(request: HttpRequest, key: str) -> dict[str, Any]:
    return IncidentOut.of(incident(member(request), key))


@router.patch("/incidents/{key}", response=IncidentOut, summary="Change an incident")
def update_incident(request: HttpRequest, key: str, payload: IncidentPatch) -> dict[str, Any]:
    membership = member(request)
    found = incident(membership, key)
    require(can_edit_incident(membership, found))
    data = _resolve(membership, payload.dict(exclude_unset=True))
    responders = data.pop("responders", None)
    with transaction.atomic():
        if responders is not None:
            services.replace_responders(found, responders)
        services.update_incident(found, **data)
    return IncidentOut.of(found)


@router.get(
    "/incidents/{key}/decisions",
    response=list[DecisionOut],
    summary="Every decision on whether the incident is of consequence",
)
def list_decisions(request: HttpRequest, key: str) -> list[DecisionOut]:
    found = incident(member(request), key)
    return [
        DecisionOut(
            of_consequence=d.of_consequence,
            by_policy=d.by_policy,
            decided_by=d.decided_by.email if d.decided_by else None,
            reason=d.reason,
            created_at=d.created_at,
        )
        for d in found.consequence_decisions.select_related("decided_by")
    ]


@router.post(
    "/incidents/{key}/decisions",
    response={201: DecisionOut},
    summary="Decide by hand, with a reason (product or problem manager)",
)
def decide(request: HttpRequest, key: str, payload: DecisionIn) -> Status[DecisionOut]:
    membership = member(request)
    found = incident(membership, key)
    require(can_manage_incident(membership, found))
    try:
        decision = services.decide_by_hand(
            found, payload.of_consequence, payload.reason, by=membership.user
        )
    except ValueError as error:
        raise ValidationError({"reason": str(error)}) from error
    return Status(
        201,
        DecisionOut(
            of_consequence=decision.of_consequence,
            by_policy=False,
            decided_by=membership.user.email,
            reason=decision.reason,
            created_at=decision.created_at,
        ),
    )
