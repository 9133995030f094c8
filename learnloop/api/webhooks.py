"""Subscriptions to learnloop's lifecycle events (admins): signed CloudEvents to an endpoint."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router
from ninja.responses import Status

from learnloop.api.common import Offset, RowId, Schema
from learnloop.api.organisation import admin
from learnloop.webhooks.models import EventDelivery, EventType, Subscription
from learnloop.webhooks.setup import save_subscription

router = Router(tags=["events"])


class SubscriptionOut(Schema):
    id: int
    url: str
    description: str
    types: list[EventType] = Field(description="Empty: every type")
    active: bool
    created_at: datetime
    secret: str | None = Field(
        None, description="Only when created or rotated: verify signatures with it"
    )

    @staticmethod
    def of(subscription: Subscription, secret: str = "") -> SubscriptionOut:
        return SubscriptionOut(
            id=subscription.pk,
            url=subscription.url,
            description=subscription.description,
            types=[EventType(t) for t in subscription.types],
            active=subscription.active,
            created_at=subscription.created_at,
            secret=secret or None,
        )


class SubscriptionIn(Schema):
    url: str = Field(..., max_length=500)
    types: list[EventType] = Field(default_factory=list)
    description: str = Field("", max_length=200)


class SubscriptionPatch(Schema):
    url: str | None = Field(None, max_length=500)
    types: list[EventType] | None = None
    description: str | None = Field(None, max_length=200)
    active: bool | None = None
    rotate: bool = Field(False, description="Give it a new secret (answered once)")


class AttemptOut(Schema):
    number: int
    started_at: datetime
    outcome: str
    status_code: int | None
    detail: str


class EventDeliveryOut(Schema):
    event: str = Field(description="The event's id: the webhook-id header")
    type: EventType
    subject: str
    state: str
    attempts: list[AttemptOut]
    next_attempt_at: datetime
    sent_at: datetime | None

    @staticmethod
    def of(delivery: EventDelivery) -> EventDeliveryOut:
        return EventDeliveryOut(
            event=delivery.event.uid,
            type=EventType(delivery.event.type),
            subject=delivery.event.subject,
            state=delivery.state,
            attempts=[
                AttemptOut(
                    number=a.number,
                    started_at=a.started_at,
                    outcome=a.outcome,
                    status_code=a.status_code,
                    detail=a.detail,
                )
                for a in delivery.log.all()
            ],
            next_attempt_at=delivery.next_attempt_at,
            sent_at=delivery.sent_at,
        )


def _subscription(request: HttpRequest, subscription_id: int) -> Subscription:
    organisation_id = admin(request).organisation_id
    return get_object_or_404(Subscription, pk=subscription_id, organisation_id=organisation_id)


@router.get("/event-subscriptions", response=list[SubscriptionOut], summary="Subscriptions")
def list_subscriptions(request: HttpRequest) -> list[SubscriptionOut]:
    organisation_id = admin(request).organisation_id
    found = Subscription.objects.filter(organisation_id=organisation_id)
    return [SubscriptionOut.of(s) for s in found]


@router.post(
    "/event-subscriptions",
    response={201: SubscriptionOut},
    summary="Subscribe an endpoint to lifecycle events; the secret is answered once (admins)",
)
def add_subscription(request: HttpRequest, payload: SubscriptionIn) -> Status[SubscriptionOut]:
    organisation = admin(request).organisation
    made, secret = save_subscription(
        organisation,
        url=payload.url,
        types=[str(t) for t in payload.types],
        description=payload.description,
    )
    return Status(201, SubscriptionOut.of(made, secret))


@router.patch(
    "/event-subscriptions/{subscription_id}",
    response=SubscriptionOut,
    summary="Change, pause or rotate the secret of a subscription (admins)",
)
def change_subscription(
    request: HttpRequest, subscription_id: RowId, payload: SubscriptionPatch
) -> SubscriptionOut:
    found = _subscription(request, subscription_id)
    given = payload.model_dump(exclude_unset=True)
    if given.get("types") is not None:
        given["types"] = [str(t) for t in given["types"]]
    changed, secret = save_subscription(found.organisation, found, **given)
    return SubscriptionOut.of(changed, secret)


class DeliveryFilter(Schema):
    offset: Offset = 0
    limit: int = Field(50, ge=1, le=500)


@router.get(
    "/event-subscriptions/{subscription_id}/deliveries",
    response=list[EventDeliveryOut],
    summary="What was sent to a subscription, newest first, with every attempt (admins)",
)
def list_event_deliveries(
    request: HttpRequest, subscription_id: RowId, filters: Query[DeliveryFilter]
) -> list[EventDeliveryOut]:
    found = _subscription(request, subscription_id).deliveries.select_related("event")
    window = found.prefetch_related("log")[filters.offset : filters.offset + filters.limit]
    return [EventDeliveryOut.of(d) for d in window]
