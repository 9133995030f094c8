"""Each analyst's work on an incident: the assignment (a scheduled analysis period), interviews,
key events, learning themes, time spent and the analysis report."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from learnloop.accounts.models import Organisation, Team
from learnloop.incidents.models import Incident


class LearningTheme(models.Model):
    """An organisation-wide catalogue entry, so that themes are records across incidents."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="themes")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200)
    description = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="theme_slug_unique")
        ]

    def __str__(self) -> str:
        return self.name


class AssignmentRole(models.TextChoices):
    RESPONDER = "responder", "Responder"
    FACILITATOR = "facilitator", "Neutral facilitator"
    ANALYST = "analyst", "Added analyst"


class AnalysisAssignment(models.Model):
    """A period of incident analysis given to one person: hours, a window and a due date."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="assignments")
    # The incident's organisation, kept here too (it never changes) so that an organisation's
    # overdue periods are counted from their own index, without looking up each one's incident.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", editable=False
    )
    # The incident's team, kept here too so that a product manager's overdue periods are read
    # from their own index; update_incident (incidents/services.py) keeps it when the team moves.
    incident_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    analyst = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    role = models.CharField(
        max_length=20, choices=AssignmentRole.choices, default=AssignmentRole.RESPONDER
    )
    hours_allocated = models.DecimalField(max_digits=6, decimal_places=2)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    sequence = models.PositiveIntegerField(default=0, help_text="iCalendar SEQUENCE: bumps on move")
    # When its report was submitted: the report's own time, kept here too so that the open
    # periods (every home, "overdue") are found through one small index, not by looking at the
    # report of every period the organisation ever had. Set only by services.save_report.
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["window_start", "id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "analyst"], name="assignment_unique"),
            models.CheckConstraint(
                condition=models.Q(window_end__gt=models.F("window_start")),
                name="assignment_window_positive",
                violation_error_message="The analysis window must end after it starts.",
            ),
        ]
        indexes = [
            models.Index(fields=["analyst", "due_at"], name="assignment_analyst_due"),
            models.Index(
                fields=["due_at"],
                condition=models.Q(submitted_at__isnull=True),
                name="assignment_open",
            ),
            models.Index(
                fields=["organisation", "due_at"],
                condition=models.Q(submitted_at__isnull=True),
                name="assignment_org_open",
            ),
            models.Index(
                fields=["incident_team", "due_at"],
                condition=models.Q(submitted_at__isnull=True),
                name="assignment_team_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident.key}: {self.analyst}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding:
            self.organisation_id = self.incident.organisation_id
            self.incident_team_id = self.incident.team_id
        super().save(*args, **kwargs)

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None

    @property
    def is_overdue(self) -> bool:
        return not self.is_submitted and self.due_at < timezone.now()


class Interview(models.Model):
    """Private by default: only the analyst and the interviewee read the notes, until shared."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    assignment = models.ForeignKey(
        AnalysisAssignment, on_delete=models.CASCADE, related_name="interviews"
    )
    interviewee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interviews_given",
    )
    interviewee_name = models.CharField(max_length=200, blank=True, default="")
    held_at = models.DateTimeField()
    notes = models.TextField(blank=True, default="")
    shared_with_review = models.BooleanField(default=False)
    themes = models.ManyToManyField(LearningTheme, blank=True, related_name="interviews")

    class Meta:
        ordering = ["held_at", "id"]

    def __str__(self) -> str:
        return f"Interview with {self.interviewee or self.interviewee_name}"

    @property
    def interviewee_label(self) -> str:
        if self.interviewee is not None:
            return self.interviewee.get_full_name() or self.interviewee.email
        return self.interviewee_name

    def is_private_to(self, user_id: int) -> bool:
        """True for the two people who always read the notes: the analyst and the interviewee."""
        return user_id in (self.assignment.analyst_id, self.interviewee_id)


class Precision(models.TextChoices):
    MINUTE = "minute", "to the minute"
    HOUR = "hour", "to the hour"
    DAY = "day", "to the day"
    APPROXIMATE = "approximate", "approximate"
    UNKNOWN = "unknown", "unknown"


class EventType(models.TextChoices):
    CONTEXT = "context", "Context"
    LATENT_CONDITION = "latent_condition", "Latent condition"
    CHANGE = "change", "Change"
    TRIGGER = "trigger", "Trigger"
    IMPACT = "impact", "Impact"
    DETECTION = "detection", "Detection"
    ESCALATION = "escalation", "Escalation"
    DIAGNOSIS = "diagnosis", "Diagnosis"
    DECISION = "decision", "Decision"
    MITIGATION = "mitigation", "Mitigation"
    RECOVERY = "recovery", "Recovery"
    RESOLUTION = "resolution", "Resolution"
    COMMUNICATION = "communication", "Communication"
    FOLLOWUP = "followup", "Follow-up"


class KeyEvent(models.Model):
    """A moment in the incident as one analyst (or the imported report) tells it.
    The time may be missing or imprecise; the position keeps its place in the telling."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Found through keyevent_incident below (no index of its own).
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="key_events", db_index=False
    )
    # None for events that came with an imported report rather than from an analyst: those,
    # most rows at scale, are left out of keyevent_assignment.
    assignment = models.ForeignKey(
        AnalysisAssignment,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="key_events",
        db_index=False,
    )
    occurred_at = models.DateTimeField(null=True, blank=True)
    precision = models.CharField(max_length=12, choices=Precision.choices, default=Precision.MINUTE)
    actor_role = models.CharField(max_length=200, blank=True, default="")
    event_type = models.CharField(max_length=20, choices=EventType.choices, blank=True, default="")
    description = models.TextField()
    evidence_url = models.URLField(max_length=1000, blank=True, default="")
    source = models.TextField(blank=True, default="")
    note = models.TextField(blank=True, default="")
    position = models.PositiveIntegerField(default=0)
    themes = models.ManyToManyField(LearningTheme, blank=True, related_name="key_events")

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["incident", "position"], name="keyevent_incident"),
            models.Index(
                fields=["assignment"],
                condition=models.Q(assignment__isnull=False),
                name="keyevent_assignment",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:60]


class TimeEntry(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    assignment = models.ForeignKey(
        AnalysisAssignment, on_delete=models.CASCADE, related_name="time_entries"
    )
    hours = models.DecimalField(max_digits=6, decimal_places=2)
    spent_on = models.DateField()
    note = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["spent_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours__gt=0),
                name="time_entry_positive",
                violation_error_message="Record more than zero hours.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.hours} h on {self.spent_on}"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


class AnalysisReport(models.Model):
    assignment = models.OneToOneField(
        AnalysisAssignment, on_delete=models.CASCADE, related_name="report"
    )
    body = models.TextField(blank=True, default="")
    status = models.CharField(
        max_length=12, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    submitted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Report of {self.assignment}"


def hours_spent(assignment: AnalysisAssignment) -> Decimal:
    total = assignment.time_entries.aggregate(total=models.Sum("hours"))["total"]
    # SQLite sums decimals as floats' text; two places is what was entered.
    return Decimal(total or 0).quantize(Decimal("0.01"))
