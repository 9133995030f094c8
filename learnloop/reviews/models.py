"""The collective post-incident review and what it produces: who is invited, the facilitator's
context notes on the merged timeline, contributing factors with their evidence, and learnings
ranked by the attendees' votes."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from learnloop.incidents.models import Incident


class ReviewStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


class Review(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="reviews")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    location = models.CharField(max_length=300, blank=True, default="")
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField(
        max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.SCHEDULED
    )
    votes_per_attendee = models.PositiveSmallIntegerField(default=3)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reviews_scheduled",
    )
    # The manager may go ahead before every analysis report is in; the reason is kept and shown.
    missing_reports_reason = models.TextField(blank=True, default="")
    preparation_hours = models.DecimalField(max_digits=6, decimal_places=2, default=0)
    sequence = models.PositiveIntegerField(default=0, help_text="iCalendar SEQUENCE: bumps on move")
    created_at = models.DateTimeField(default=timezone.now)
    # Bumped on every change in the workspace, so that open screens know to refresh.
    changed_at = models.DateTimeField(default=timezone.now)
    # The live session: when it began and ended, and the step the facilitator is on (1-6).
    started_at = models.DateTimeField(null=True, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    current_step = models.PositiveSmallIntegerField(default=0)
    step_started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="review_ends_after_start",
                violation_error_message="The review must end after it starts.",
            )
        ]
        indexes = [models.Index(fields=["incident", "starts_at"], name="review_incident")]

    def __str__(self) -> str:
        return f"Review of {self.incident.key}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        fields = kwargs.get("update_fields")
        if fields is None or "status" in fields or "incident" in fields:
            note_review_of(self.incident_id)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        deleted = super().delete(*args, **kwargs)
        note_review_of(self.incident_id)
        return deleted


def note_review_of(incident_id: int) -> None:
    note_reviews_of(Incident.objects.filter(pk=incident_id))


def note_reviews_of(incidents: models.QuerySet[Incident]) -> None:
    """Sets these incidents' review_scheduled from their reviews: whether one is not cancelled.
    Review.save and .delete call it; bulk writes of reviews call it themselves."""
    live = Review.objects.filter(incident=models.OuterRef("pk")).exclude(
        status=ReviewStatus.CANCELLED
    )
    incidents.update(review_scheduled=models.Exists(live))


class InviteeKind(models.TextChoices):
    RESPONDER = "responder", "Responder"
    ANALYST = "analyst", "Analyst"
    STAKEHOLDER = "stakeholder", "Stakeholder"


class ReviewInvitee(models.Model):
    """Someone invited to the review: a responder, an analyst, or a stakeholder the manager adds
    (product and engineering managers, people from other teams)."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="invitees")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_invitations"
    )
    kind = models.CharField(max_length=12, choices=InviteeKind.choices)
    attended = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "user"], name="review_invitee_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.review}"


class ContextNote(models.Model):
    """The facilitator's organisational context on the merged timeline, placed beside a key event
    (or at the start when there is none)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="context_notes")
    key_event = models.ForeignKey(
        "analysis.KeyEvent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="context_notes",
    )
    text = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class FactorKind(models.TextChoices):
    HUMAN = "human", "Human / organisational"
    TECHNICAL = "technical", "Technical"


class ContributingFactor(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="contributing_factors"
    )
    review = models.ForeignKey(
        Review, null=True, blank=True, on_delete=models.SET_NULL, related_name="factors"
    )
    kind = models.CharField(max_length=12, choices=FactorKind.choices)
    category = models.CharField(max_length=100, blank=True, default="")
    description = models.TextField()
    position = models.PositiveIntegerField(default=0)
    key_events = models.ManyToManyField("analysis.KeyEvent", blank=True, related_name="factors")
    interviews = models.ManyToManyField("analysis.Interview", blank=True, related_name="factors")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description[:60]


class Learning(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="learnings")
    review = models.ForeignKey(
        Review, null=True, blank=True, on_delete=models.SET_NULL, related_name="learnings"
    )
    text = models.TextField()
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class LearningVote(models.Model):
    """One of an attendee's fixed number of votes (Review.votes_per_attendee)."""

    learning = models.ForeignKey(Learning, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learning_votes"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learning", "voter"], name="learning_vote_unique")
        ]

    def __str__(self) -> str:
        return f"{self.voter} for {self.learning_id}"
