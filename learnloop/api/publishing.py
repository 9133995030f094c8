"""API: publishing channels (secrets write-only), sending a test, and the deliveries of a
narrative with every attempt; sending a failed or in-doubt delivery again."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.responses import Status

from learnloop.accounts.models import Membership, Team
from learnloop.accounts.rights import (
    can_manage_channel,
    can_resend_delivery,
    can_see_deliveries,
)
from learnloop.api.common import RowId, Schema, member
from learnloop.narratives.models import Narrative
from learnloop.publishing import services
from learnloop.publishing.forms import ChannelForm
from learnloop.publishing.models import ChannelKind, Delivery, PublishChannel

router = Router(tags=["publishing"])


class ChannelOut(Schema):
    id: int
    kind: ChannelKind
    name: str
    team: str | None
    enabled: bool
    recipients: list[str]
    base_url: str
    account: str
    space: str
    parent_id: str
    has_secret: bool
    last_test_at: datetime | None
    last_test: str
    last_test_ok: bool | None

    @staticmethod
    def of(channel: PublishChannel) -> ChannelOut:
        return ChannelOut(
            id=channel.pk,
            kind=ChannelKind(channel.kind),
            name=channel.name,
            team=channel.team.slug if channel.team else None,
            enabled=channel.enabled,
            recipients=channel.addresses,
            base_url=channel.base_url,
            account=channel.account,
            space=channel.space,
            parent_id=channel.parent_id,
            has_secret=bool(channel.secret_sealed),
            last_test_at=channel.last_test_at,
            last_test=channel.last_test,
            last_test_ok=channel.last_test_ok,
        )


class ChannelIn(Schema):
    kind: ChannelKind
    name: str
    team: str | None = None  # a team's slug; none: the whole organisation
    enabled: bool = True
    recipients: list[str] = []
    base_url: str = ""
    account: str = ""
    space: str = ""
    parent_id: str = ""
    secret: str = ""  # write-only: never returned


class ChannelPatch(Schema):
    name: str | None = None
    enabled: bool | None = None
    recipients: list[str] | None = None
    base_url: str | None = None
    account: str | None = None
    space: str | None = None
    parent_id: str | None = None
    secret: str | None = None


def _saved(channel: PublishChannel, values: dict[str, Any]) -> PublishChannel:
    """The settings page's form decides what is valid, so the API says the same things."""
    data = {
        "kind": channel.kind,
        "name": channel.name,
        "enabled": channel.enabled,
        "recipients": channel.recipients,
        "base_url": channel.base_url,
        "account": channel.account,
        "space": channel.space,
        "parent_id": channel.parent_id,
        "secret": "",
    }
    for name, value in values.items():
        if value is not None:
            data[name] = "\n".join(value) if name == "recipients" else value
    if not data["enabled"]:
        data.pop("enabled")  # an unchecked box is an absent field
    form = ChannelForm(data, instance=channel)
    if not form.is_valid():
        raise ValidationError({field: list(errors) for field, errors in form.errors.items()})
    return form.save()


def _channel(membership: Membership, pk: RowId) -> PublishChannel:
    channel = (
        PublishChannel.objects.select_related("team")
        .filter(pk=pk, organisation_id=membership.organisation_id)
        .first()
    )
    if channel is None or not can_manage_channel(membership, channel):
        raise Http404("No such channel.")
    return channel


@router.get(
    "/publishing/channels",
    response=list[ChannelOut],
    summary="The channels the caller manages (organisation-wide ones for admins, teams' ones "
    "for their managers)",
)
def channels(request: HttpRequest) -> list[ChannelOut]:
    membership = member(request)
    found = PublishChannel.objects.filter(organisation_id=membership.organisation_id)
    if not membership.is_admin:
        found = found.exclude(team__isnull=True)
    return [
        ChannelOut.of(c)
        for c in found.select_related("team").order_by("team__name", "name")
        if can_manage_channel(membership, c)
    ]


@router.post("/publishing/channels", response={201: ChannelOut}, summary="Add a channel")
def channel_create(request: HttpRequest, payload: ChannelIn) -> Status[ChannelOut]:
    membership = member(request)
    team = None
    if payload.team:
        team = get_object_or_404(
            Team, organisation_id=membership.organisation_id, slug=payload.team
        )
    channel = PublishChannel(organisation_id=membership.organisation_id, team=team)
    if not can_manage_channel(membership, channel):
        raise PermissionDenied
    values = payload.dict(exclude={"team"})
    return Status(201, ChannelOut.of(_saved(channel, values)))


@router.patch("/publishing/channels/{channel_id}", response=ChannelOut, summary="Change a channel")
def channel_update(request: HttpRequest, channel_id: RowId, payload: ChannelPatch) -> ChannelOut:
    channel = _channel(member(request), channel_id)
    return ChannelOut.of(_saved(channel, payload.dict()))


@router.delete(
    "/publishing/channels/{channel_id}",
    response={204: None},
    summary="Remove a channel (its deliveries stay in the history)",
)
def channel_delete(request: HttpRequest, channel_id: RowId) -> Status[None]:
    _channel(member(request), channel_id).delete()
    return Status(204, None)


@router.post(
    "/publishing/channels/{channel_id}/test",
    response=ChannelOut,
    summary="Send a test message (Confluence: check the space); the outcome is in last_test",
)
def channel_test(request: HttpRequest, channel_id: RowId) -> ChannelOut:
    membership = member(request)
    channel = _channel(membership, channel_id)
    services.send_test(channel, membership.user.get_full_name() or membership.user.email)
    return ChannelOut.of(channel)


class DeliveryAttemptOut(Schema):
    number: int
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    status_code: int | None
    detail: str


class DeliveryOut(Schema):
    uid: UUID
    revision: int
    channel: str
    channel_id: int | None
    kind: str
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    remote_url: str
    created_at: datetime
    sent_at: datetime | None
    log: list[DeliveryAttemptOut]

    @staticmethod
    def of(delivery: Delivery) -> DeliveryOut:
        return DeliveryOut(
            uid=delivery.uid,
            revision=delivery.publication.revision,
            channel=delivery.channel_name,
            channel_id=delivery.channel_id,
            kind=delivery.kind,
            state=delivery.state,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            last_error=delivery.last_error,
            remote_url=delivery.remote_url,
            created_at=delivery.created_at,
            sent_at=delivery.sent_at,
            log=[
                DeliveryAttemptOut(
                    number=a.number,
                    started_at=a.started_at,
                    finished_at=a.finished_at,
                    outcome=a.outcome,
                    status_code=a.status_code,
                    detail=a.detail,
                )
                for a in delivery.attempt_log.all()
            ],
        )


def _narrative(membership: Membership, key: str) -> Narrative:
    narrative = (
        Narrative.objects.select_related("incident")
        .filter(Q(incident__organisation_id=membership.organisation_id), incident__key=key)
        .first()
    )
    if narrative is None or not can_see_deliveries(membership, narrative):
        raise Http404("No such narrative.")
    return narrative


@router.get(
    "/narratives/{key}/deliveries",
    response=list[DeliveryOut],
    summary="Where each published revision was sent, with every attempt (the owning team)",
)
def deliveries(request: HttpRequest, key: str) -> list[DeliveryOut]:
    narrative = _narrative(member(request), key)
    found = (
        Delivery.objects.filter(narrative=narrative)
        .select_related("publication")
        .prefetch_related("attempt_log")
        .order_by("-publication__revision", "channel_name", "id")
    )
    return [DeliveryOut.of(d) for d in found]


@router.post(
    "/deliveries/{uid}/send-again",
    response={202: DeliveryOut},
    summary="Send a failed or in-doubt delivery again",
)
def send_again(request: HttpRequest, uid: UUID) -> Status[DeliveryOut]:
    membership = member(request)
    delivery = (
        Delivery.objects.select_related("narrative__incident", "publication")
        .filter(uid=uid, narrative__incident__organisation_id=membership.organisation_id)
        .first()
    )
    if delivery is None or not can_see_deliveries(membership, delivery.narrative):
        raise Http404("No such delivery.")
    if not can_resend_delivery(membership, delivery.narrative):
        raise PermissionDenied
    try:
        services.send_again(delivery, membership.user.get_full_name() or membership.user.email)
    except ValueError as error:
        raise ValidationError({"state": str(error)}) from error
    return Status(202, DeliveryOut.of(delivery))
