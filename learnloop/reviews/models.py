"""The collective post-incident review and what it produces: contributing factors and learnings.
Their screens come with the review issue; the tables exist now so import and export are complete."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from learnloop.incidents.models import Incident


class ReviewStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
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

    class Meta:
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return f"Review of {self.incident.key}"


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
