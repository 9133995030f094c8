"""Signed events out: admins subscribe an endpoint to learnloop's lifecycle events; each event is
recorded once with a stable id, and delivered to each subscription by the worker."""

from __future__ import annotations

import base64
import secrets

from django.db import models
from django.utils import timezone

from learnloop.accounts.models import Organisation
from learnloop.lib.sealed import seal, unseal
from learnloop.publishing.models import DeliveryState


class EventType(models.TextChoices):
    INCIDENT_RECORDED = "incident.recorded", "an incident is recorded"
    INCIDENT_OF_CONSEQUENCE = "incident.of_consequence", "an incident is decided of consequence"
    ANALYSIS_SUBMITTED = "analysis.submitted", "an analysis report is submitted"
    REVIEW_SCHEDULED = "review.scheduled", "a review is scheduled or moved"
    REVIEW_HELD = "review.held", "a review is held"
    NARRATIVE_PUBLISHED = "narrative.published", "a narrative is published"
    ACTION_STATUS_CHANGED = "action.status_changed", "an improvement action changes state"
    TICKET_LINKED = "action.ticket_linked", "a tracker ticket is linked to an action"


def new_secret() -> str:
    """A Standard Webhooks secret: whsec_ and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class Subscription(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="event_subscriptions"
    )
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True, default="")
    types = models.JSONField(default=list, blank=True)  # empty: every type
    secret_sealed = models.TextField()
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url

    @property
    def secret(self) -> str:
        return unseal(self.secret_sealed)

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_sealed = seal(value)

    def wants(self, event_type: str) -> bool:
        return self.active and (not self.types or event_type in self.types)


class OutboundEvent(models.Model):
    """One lifecycle event, as every subscriber receives it (a CloudEvent)."""

    uid = models.CharField(max_length=40, unique=True)  # msg_…: the webhook-id, for ever
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=40, choices=EventType.choices)
    subject = models.CharField(max_length=200)
    occurred_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.subject}"


class EventDelivery(models.Model):
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(OutboundEvent, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(
        max_length=12, choices=DeliveryState.choices, default=DeliveryState.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True, default="")
    last_error = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="event_sent_once")
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="event_delivery_due")]

    def __str__(self) -> str:
        return f"{self.event} to {self.subscription}"


class EventAttempt(models.Model):
    delivery = models.ForeignKey(EventDelivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    outcome = models.CharField(max_length=20)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    detail = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["number", "id"]

    def __str__(self) -> str:
        return f"attempt {self.number}: {self.outcome}"
