"""Incident intake sources and their deliveries (admins): add a source and get the address to
give the tool, read what each delivery did, replay one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router
from ninja.responses import Status

from learnloop.api.common import Offset, RowId, Schema
from learnloop.api.organisation import admin
from learnloop.intake import services
from learnloop.intake.models import (
    IntakeDelivery,
    IntakeKind,
    IntakeSource,
    Verdict,
    default_severity_map,
)
from learnloop.intake.setup import save_source

router = Router(tags=["intake"])


class RuleIO(Schema):
    when: dict[str, str] = Field(default_factory=dict, description="Labels that must all match")
    team: str = Field("", max_length=60, description="Team slug; empty: the source's team")
    service: str = Field("", max_length=60, description="Service slug; empty: none")


class SourceOut(Schema):
    id: int
    kind: IntakeKind
    name: str
    team: str
    active: bool
    receive_url: str
    severity_map: dict[str, int]
    rules: list[RuleIO]
    people: dict[str, str]
    created_at: datetime

    @staticmethod
    def of(request: HttpRequest, source: IntakeSource) -> SourceOut:
        return SourceOut(
            id=source.pk,
            kind=IntakeKind(source.kind),
            name=source.name,
            team=source.team.slug,
            active=source.active,
            receive_url=request.build_absolute_uri(source.receive_path()),
            severity_map=source.severity_map or default_severity_map(source.kind),
            rules=[RuleIO(**rule) for rule in source.rules],
            people=source.people,
            created_at=source.created_at,
        )


class SourceIn(Schema):
    kind: IntakeKind
    name: str = Field(..., min_length=1, max_length=200)
    team: str = Field(..., max_length=60, description="The owner team's slug")
    secret: str = Field(..., min_length=1, max_length=500)
    severity_map: dict[str, int] | None = None
    rules: list[RuleIO] | None = None
    people: dict[str, str] | None = None
    active: bool = True


class SourcePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    team: str | None = Field(None, max_length=60)
    secret: str | None = Field(None, min_length=1, max_length=500)
    severity_map: dict[str, int] | None = None
    rules: list[RuleIO] | None = None
    people: dict[str, str] | None = None
    active: bool | None = None


class DeliveryOut(Schema):
    id: int
    received_at: datetime
    event_type: str
    event_id: str
    verdict: Verdict
    detail: str
    incident: str | None
    replays: int
    payload: str = Field(description="The body as received; empty for a refused delivery")

    @staticmethod
    def of(delivery: IntakeDelivery) -> DeliveryOut:
        return DeliveryOut(
            id=delivery.pk,
            received_at=delivery.received_at,
            event_type=delivery.event_type,
            event_id=delivery.event_id,
            verdict=Verdict(delivery.verdict),
            detail=delivery.detail,
            incident=delivery.incident.key if delivery.incident else None,
            replays=delivery.replays,
            payload=delivery.body,
        )


def _given(payload: Schema) -> dict[str, Any]:
    given = payload.model_dump(exclude_unset=True)
    if given.get("rules") is not None:
        given["rules"] = [dict(rule) for rule in given["rules"]]
    return given


def _source(request: HttpRequest, source_id: int) -> IntakeSource:
    organisation_id = admin(request).organisation_id
    return get_object_or_404(
        IntakeSource.objects.select_related("team"),
        pk=source_id,
        organisation_id=organisation_id,
    )


@router.get("/intake/sources", response=list[SourceOut], summary="Intake sources (admins)")
def list_sources(request: HttpRequest) -> list[SourceOut]:
    organisation_id = admin(request).organisation_id
    found = IntakeSource.objects.filter(organisation_id=organisation_id).select_related("team")
    return [SourceOut.of(request, s) for s in found]


@router.post(
    "/intake/sources",
    response={201: SourceOut},
    summary="Add an intake source; its receive_url is the address to give the tool (admins)",
)
def add_source(request: HttpRequest, payload: SourceIn) -> Status[SourceOut]:
    organisation = admin(request).organisation
    source = save_source(organisation, None, **_given(payload))
    return Status(201, SourceOut.of(request, source))


@router.get("/intake/sources/{source_id}", response=SourceOut, summary="One intake source")
def get_source(request: HttpRequest, source_id: RowId) -> SourceOut:
    return SourceOut.of(request, _source(request, source_id))


@router.patch(
    "/intake/sources/{source_id}", response=SourceOut, summary="Change an intake source (admins)"
)
def change_source(request: HttpRequest, source_id: RowId, payload: SourcePatch) -> SourceOut:
    source = _source(request, source_id)
    source = save_source(source.organisation, source, **_given(payload))
    return SourceOut.of(request, source)


class DeliveryFilter(Schema):
    verdict: Verdict | None = None
    offset: Offset = 0
    limit: int = Field(50, ge=1, le=500)


@router.get(
    "/intake/sources/{source_id}/deliveries",
    response=list[DeliveryOut],
    summary="What a source received, newest first (admins)",
)
def list_deliveries(
    request: HttpRequest, source_id: RowId, filters: Query[DeliveryFilter]
) -> list[DeliveryOut]:
    source = _source(request, source_id)
    found = source.deliveries.select_related("incident")
    if filters.verdict:
        found = found.filter(verdict=filters.verdict)
    window = found[filters.offset : filters.offset + filters.limit]
    return [DeliveryOut.of(d) for d in window]


@router.post(
    "/intake/deliveries/{delivery_id}/replay",
    response={200: DeliveryOut, 409: dict[str, str]},
    summary="Apply a kept delivery again (admins); what it already did is not done twice",
)
def replay_delivery(request: HttpRequest, delivery_id: RowId) -> Status[Any]:
    organisation_id = admin(request).organisation_id
    delivery = get_object_or_404(
        IntakeDelivery.objects.select_related("source", "incident"),
        pk=delivery_id,
        source__organisation_id=organisation_id,
    )
    try:
        services.replay(delivery)
    except ValueError as error:
        return Status(409, {"detail": str(error)})
    return Status(200, DeliveryOut.of(delivery))
