"""Incidents, their responders, and the organisation's policy for incidents of consequence."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from learnloop.accounts.models import Organisation, Service, Team


class Severity(models.IntegerChoices):
    SEV1 = 1, "SEV1 (critical)"
    SEV2 = 2, "SEV2 (major)"
    SEV3 = 3, "SEV3 (moderate)"
    SEV4 = 4, "SEV4 (minor)"
    SEV5 = 5, "SEV5 (cosmetic)"


class Status(models.TextChoices):
    INVESTIGATING = "investigating", "Investigating"
    MITIGATED = "mitigated", "Mitigated"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


class Incident(models.Model):
    # Neither has an index of its own: every index below starts with the organisation, and the
    # unique constraint finds a key within it. One index fewer to keep on every write.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="incidents", db_index=False
    )
    key = models.SlugField(
        max_length=120, help_text="Stable reference: INC-n, or an imported id.", db_index=False
    )
    external_ref = models.CharField(max_length=200, blank=True, default="")
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True, default="")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents"
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents"
    )
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.INVESTIGATING)
    started_at = models.DateTimeField(null=True, blank=True)
    detected_at = models.DateTimeField(null=True, blank=True)
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    customer_facing = models.BooleanField(default=False)
    data_loss = models.BooleanField(default=False)
    estimated_loss = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    impact_summary = models.TextField(blank=True, default="")
    # None until decided; the decisions themselves are kept in ConsequenceDecision.
    of_consequence = models.BooleanField(null=True, blank=True)
    # Whether a review of it is scheduled, under way or held (not cancelled): kept by
    # Review.save and .delete, so that the homes' "reviews to schedule" reads only the few
    # incidents of consequence without one (its index) instead of checking every one.
    review_scheduled = models.BooleanField(default=False, editable=False)
    # Facts from an imported report that have no column of their own (sources, notes, metrics).
    report_facts = models.JSONField(default=dict, blank=True)
    themes = models.ManyToManyField("analysis.LearningTheme", blank=True, related_name="incidents")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="incident_key_unique")
        ]
        indexes = [
            models.Index(fields=["organisation", "-started_at", "-id"], name="incident_recent"),
            models.Index(fields=["organisation", "team", "-started_at"], name="incident_team"),
            models.Index(
                fields=["organisation", "service", "-started_at"], name="incident_service"
            ),
            models.Index(fields=["organisation", "severity", "-started_at"], name="incident_sev"),
            models.Index(fields=["organisation", "status", "-started_at"], name="incident_status"),
            models.Index(
                fields=["organisation", "of_consequence", "-started_at"], name="incident_conseq"
            ),
            # The homes' "awaiting a consequence decision" and "reviews to schedule": a walk over
            # the undecided or the consequential only, not over every incident.
            models.Index(
                fields=["organisation", "-started_at", "-id"],
                condition=models.Q(of_consequence__isnull=True),
                name="incident_undecided",
            ),
            models.Index(
                fields=["organisation", "-started_at", "-id"],
                condition=models.Q(of_consequence=True),
                name="incident_consequential",
            ),
            models.Index(
                fields=["organisation", "-started_at", "-id"],
                condition=models.Q(of_consequence=True, review_scheduled=False),
                name="incident_review_due",
            ),
            models.Index(  # the same for a product manager's team
                fields=["organisation", "team", "-started_at", "-id"],
                condition=models.Q(of_consequence=True, review_scheduled=False),
                name="incident_team_review_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.title}"

    def clean(self) -> None:
        """Times follow each other: nothing is detected, mitigated or resolved before it started."""
        errors = {}
        for name in ("detected_at", "mitigated_at", "resolved_at"):
            value = getattr(self, name)
            if self.started_at and value and value < self.started_at:
                errors[name] = "This cannot come before the incident started."
        if self.estimated_loss is not None and self.estimated_loss < 0:
            errors["estimated_loss"] = "A loss cannot be negative."
        if errors:
            raise ValidationError(errors)

    @property
    def duration(self) -> timedelta | None:
        end = self.resolved_at or self.mitigated_at
        if self.started_at and end and end >= self.started_at:
            return end - self.started_at
        return None


class ResponseRole(models.TextChoices):
    INCIDENT_COMMANDER = "incident_commander", "Incident commander"
    COMMUNICATIONS = "communications", "Communications lead"
    OPERATIONS = "operations", "Operations"
    SUBJECT_MATTER_EXPERT = "subject_matter_expert", "Subject-matter expert"
    ON_CALL = "on_call", "On call"
    OBSERVER = "observer", "Observer"


class Responder(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="responders")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="responses"
    )
    response_role = models.CharField(
        max_length=40, choices=ResponseRole.choices, default=ResponseRole.ON_CALL
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "user"], name="responder_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.response_role})"


def default_hours_by_severity() -> dict[str, str]:
    return {"1": "16", "2": "12", "3": "8", "4": "4", "5": "2"}


def default_action_target_days() -> dict[str, int]:
    return {"1": 15, "2": 30, "3": 60, "4": 90, "5": 180}


class KeyCounter(models.Model):
    """The last n given to an organisation's INC-n keys (incidents/services.next_key). Taken in a
    transaction of its own, so that the row is locked for one statement, not for a whole
    create: two creates never take the same n, and neither waits for the other's commit."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last = models.PositiveBigIntegerField()

    def __str__(self) -> str:
        return f"INC-{self.last}"


class ConsequencePolicy(models.Model):
    """Decides which incidents are "of consequence", which opens the learning process.
    Any one matching criterion is enough; empty criteria are ignored."""

    # What an admin sets (exported, and audited when changed).
    SETTINGS: ClassVar[tuple[str, ...]] = (
        "max_severity",
        "customer_facing",
        "min_estimated_loss",
        "min_duration_minutes",
        "hours_by_severity",
        "default_hours",
        "analysis_window_days",
        "action_target_days",
    )

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="consequence_policy"
    )
    max_severity = models.PositiveSmallIntegerField(
        choices=Severity.choices,
        null=True,
        blank=True,
        default=Severity.SEV2,
        help_text="Severity at or above this level (SEV1 is the highest).",
    )
    customer_facing = models.BooleanField(default=True)
    min_estimated_loss = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, default=Decimal("10000")
    )
    min_duration_minutes = models.PositiveIntegerField(null=True, blank=True, default=60)
    hours_by_severity = models.JSONField(default=default_hours_by_severity)
    default_hours = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("8"))
    analysis_window_days = models.PositiveSmallIntegerField(default=5)
    # Days from idea to in practice before an improvement action counts as overdue.
    action_target_days = models.JSONField(default=default_action_target_days)

    def __str__(self) -> str:
        return f"Consequence policy of {self.organisation}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """New days for actions (the admin, a restored snapshot) move the organisation's
        actions' targets."""
        from learnloop.actions.models import ImprovementAction
        from learnloop.actions.targets import retarget

        stored = ConsequencePolicy.objects.filter(pk=self.pk).values_list("action_target_days")
        before = stored.first() if self.pk else None
        super().save(*args, **kwargs)
        if before is not None and before[0] != self.action_target_days:
            actions = ImprovementAction.objects.filter(organisation_id=self.organisation_id)
            retarget(actions, self.target_days_for)

    def reasons(self, incident: Incident) -> list[str]:
        found = []
        if self.max_severity and incident.severity and incident.severity <= self.max_severity:
            found.append(f"severity SEV{incident.severity} is SEV{self.max_severity} or higher")
        if self.customer_facing and incident.customer_facing:
            found.append("customer-facing")
        if (
            self.min_estimated_loss is not None
            and incident.estimated_loss is not None
            and incident.estimated_loss >= self.min_estimated_loss
        ):
            found.append(f"estimated loss {incident.estimated_loss} ≥ {self.min_estimated_loss}")
        duration = incident.duration
        limit = self.min_duration_minutes
        if limit and duration is not None and duration >= timedelta(minutes=limit):
            minutes = int(duration.total_seconds() // 60)
            found.append(f"lasted {minutes} min ≥ {limit} min")
        return found

    def target_days_for(self, severity: int | None) -> int:
        value = self.action_target_days.get(str(severity or 3))
        return int(value) if value is not None else 60

    def hours_for(self, severity: int | None) -> Decimal:
        value = self.hours_by_severity.get(str(severity)) if severity else None
        return Decimal(str(value)) if value is not None else self.default_hours


class ConsequenceDecision(models.Model):
    """Every decision on whether an incident is of consequence, by the policy or by a person."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="consequence_decisions"
    )
    of_consequence = models.BooleanField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    by_policy = models.BooleanField(default=False)
    reason = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        who = "policy" if self.by_policy else str(self.decided_by)
        return f"{self.incident.key}: {self.of_consequence} by {who}"
