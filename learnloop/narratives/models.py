"""The narrative: the story of how the incident happened. Every save is a version; publishing
makes a version a numbered revision that readers see; reads, walkthroughs and playbacks are kept."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from learnloop.accounts.models import Organisation
from learnloop.incidents.models import Incident


class NarrativeStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"


class Narrative(models.Model):
    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="narrative")
    # Copied from the incident so that the portal's queries start with an index on it.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="narratives", null=True
    )
    title = models.CharField(max_length=300)
    status = models.CharField(
        max_length=12, choices=NarrativeStatus.choices, default=NarrativeStatus.DRAFT
    )
    # When the first revision was published; the current one is `current_publication`.
    published_at = models.DateTimeField(null=True, blank=True)
    current_publication = models.ForeignKey(
        "Publication", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["organisation", "status", "-published_at"], name="narrative_portal"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.organisation_id is None:
            self.organisation_id = self.incident.organisation_id
        super().save(*args, **kwargs)

    def latest_version(self) -> NarrativeVersion | None:
        return self.versions.order_by("-number").first()


class NarrativeVersion(models.Model):
    """Every save is a version; versions are never changed."""

    narrative = models.ForeignKey(Narrative, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["narrative", "number"], name="narrative_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.narrative} v{self.number}"


class Publication(models.Model):
    """A published revision: the version readers read, numbered 1, 2, ... per narrative. A
    published narrative changes only by publishing a new revision."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    narrative = models.ForeignKey(Narrative, on_delete=models.CASCADE, related_name="publications")
    revision = models.PositiveIntegerField()
    version = models.ForeignKey(
        NarrativeVersion, on_delete=models.RESTRICT, related_name="publications"
    )
    title = models.CharField(max_length=300)
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["narrative", "revision"], name="publication_revision_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.narrative} revision {self.revision}"


class NarrativeRead(models.Model):
    """One row per reader and narrative: unique readers are the count of rows."""

    narrative = models.ForeignKey(Narrative, on_delete=models.CASCADE, related_name="reads")
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="narrative_reads"
    )
    first_read_at = models.DateTimeField(default=timezone.now)
    last_read_at = models.DateTimeField(default=timezone.now)
    last_revision = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["narrative", "reader"], name="narrative_read_unique")
        ]

    def __str__(self) -> str:
        return f"{self.reader} read {self.narrative_id}"


class WalkthroughKind(models.TextChoices):
    WALKTHROUGH = "walkthrough", "Walkthrough"
    PLAYBACK = "playback", "Cross-team playback"


class Walkthrough(models.Model):
    """A scheduled telling of the narrative to others, with invitations and attendance."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    narrative = models.ForeignKey(Narrative, on_delete=models.CASCADE, related_name="walkthroughs")
    kind = models.CharField(
        max_length=12, choices=WalkthroughKind.choices, default=WalkthroughKind.WALKTHROUGH
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    location = models.CharField(max_length=300, blank=True, default="")
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="walkthrough_ends_after_start",
                violation_error_message="The walkthrough must end after it starts.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.narrative}"


class WalkthroughAttendee(models.Model):
    walkthrough = models.ForeignKey(Walkthrough, on_delete=models.CASCADE, related_name="attendees")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="walkthroughs"
    )
    attended = models.BooleanField(null=True, blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["walkthrough", "user"], name="walkthrough_user_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.walkthrough}"
