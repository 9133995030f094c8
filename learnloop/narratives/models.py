"""The narrative: the story of how the incident happened, in versions. Screens come later."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from learnloop.incidents.models import Incident


class NarrativeStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"


class Narrative(models.Model):
    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="narrative")
    title = models.CharField(max_length=300)
    status = models.CharField(
        max_length=12, choices=NarrativeStatus.choices, default=NarrativeStatus.DRAFT
    )
    published_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.title


class NarrativeVersion(models.Model):
    """Every save is a version; versions are never changed."""

    narrative = models.ForeignKey(Narrative, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["narrative", "number"], name="narrative_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.narrative} v{self.number}"
