"""Incidents coming in from alerting tools: a source per tool and team, every delivery kept, and
what each of the tool's incidents has told learnloop so far."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import models
from django.utils import timezone

from learnloop.accounts.models import Organisation, Team
from learnloop.incidents.models import Incident
from learnloop.lib.sealed import seal, unseal


class IntakeKind(models.TextChoices):
    PAGERDUTY = "pagerduty", "PagerDuty (Webhooks v3)"
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager (webhook version 4)"
    OPSGENIE = "opsgenie", "Opsgenie (alert webhook)"


def default_severity_map(kind: str) -> dict[str, int]:
    """The tool's priorities, urgencies or severity labels to learnloop's SEV1-SEV5."""
    if kind == IntakeKind.ALERTMANAGER:
        return {"critical": 1, "page": 2, "error": 2, "warning": 3, "info": 5}
    priorities = {f"P{n}": n for n in range(1, 6)}
    if kind == IntakeKind.PAGERDUTY:
        return {**priorities, "high": 2, "low": 4}
    return priorities


def new_token() -> str:
    return secrets.token_urlsafe(18)


class IntakeSource(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="intake_sources"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="intake_sources")
    kind = models.CharField(max_length=20, choices=IntakeKind.choices)
    name = models.CharField(max_length=200)
    # The public part of the receive URL; the secret is never in it.
    token = models.CharField(max_length=40, unique=True, default=new_token, editable=False)
    secret_sealed = models.TextField(blank=True, default="")
    severity_map = models.JSONField(default=dict, blank=True)
    # [{"when": {label: value}, "team": slug, "service": slug}]: the first that matches routes.
    rules = models.JSONField(default=list, blank=True)
    # The tool's user ids or names to learnloop people's email addresses.
    people = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"],
                name="intake_source_name_unique",
                violation_error_message="A source with this name already exists.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def secret(self) -> str:
        return unseal(self.secret_sealed)

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_sealed = seal(value)

    def receive_path(self) -> str:
        return f"/intake/{self.token}/"

    def severity_for(self, key: str | None) -> int | None:
        if not key:
            return None
        table: dict[str, Any] = self.severity_map or default_severity_map(self.kind)
        lowered = {str(k).lower(): v for k, v in table.items()}
        value = lowered.get(key.lower())
        return int(value) if value is not None else None


class Verdict(models.TextChoices):
    RECEIVED = "received", "received, not yet processed"
    APPLIED = "applied", "applied to an incident"
    DUPLICATE = "duplicate", "seen before: nothing changed"
    IGNORED = "ignored", "no rule matches: no incident"
    UNKNOWN = "unknown", "event type not handled: recorded only"
    INVALID = "invalid", "not a payload of this tool"
    FAILED = "failed", "could not be applied"
    REFUSED = "refused", "signature or secret missing or wrong"


# Verdicts after which the same event again changes nothing.
SETTLED = (Verdict.APPLIED, Verdict.IGNORED, Verdict.UNKNOWN)


class IntakeDelivery(models.Model):
    source = models.ForeignKey(IntakeSource, on_delete=models.CASCADE, related_name="deliveries")
    received_at = models.DateTimeField(default=timezone.now)
    address = models.CharField(max_length=64, blank=True, default="")
    event_type = models.CharField(max_length=100, blank=True, default="")
    event_id = models.CharField(max_length=200, blank=True, default="")
    digest = models.CharField(max_length=64, blank=True, default="")  # SHA-256 of the body
    body = models.TextField(blank=True, default="")  # empty for refusals: nothing is kept
    verdict = models.CharField(max_length=12, choices=Verdict.choices, default=Verdict.RECEIVED)
    detail = models.TextField(blank=True, default="")
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replays = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["source", "-received_at"], name="intake_delivery_recent"),
            models.Index(fields=["source", "event_id"], name="intake_delivery_event"),
            models.Index(fields=["source", "digest"], name="intake_delivery_digest"),
        ]

    def __str__(self) -> str:
        return f"{self.source.name} {self.event_type or '?'} ({self.verdict})"

    @property
    def answer(self) -> int:
        """The HTTP status the tool is given for this delivery."""
        return {
            Verdict.APPLIED: 200,
            Verdict.DUPLICATE: 200,
            Verdict.IGNORED: 202,
            Verdict.UNKNOWN: 202,
            Verdict.INVALID: 400,
            Verdict.FAILED: 422,
            Verdict.REFUSED: 401,
        }.get(Verdict(self.verdict), 500)


class IntakeRef(models.Model):
    """One of the tool's incidents (a PagerDuty incident, an Alertmanager group, an Opsgenie
    alert) and the learnloop incident it became. `facts` holds each field's value with the time
    of the event that said it, so events applied in any order end in the same incident."""

    source = models.ForeignKey(IntakeSource, on_delete=models.CASCADE, related_name="refs")
    digest = models.CharField(max_length=64)  # SHA-256 of the tool's reference
    ref = models.TextField()
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="intake_refs")
    facts = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "digest"], name="intake_ref_unique")
        ]

    def __str__(self) -> str:
        return f"{self.source.name}: {self.ref[:60]}"
