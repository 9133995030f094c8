"""Chat history as evidence: the messages of an incident's channel, imported from a Slack export,
as timeline candidates that each analyst turns into key events or dismisses."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from learnloop.analysis.models import AnalysisAssignment, KeyEvent
from learnloop.incidents.models import Incident


class ChatImport(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="chat_imports")
    channel = models.CharField(max_length=200)
    file_name = models.CharField(max_length=300, blank=True, default="")
    window_from = models.DateTimeField(null=True, blank=True)
    window_to = models.DateTimeField(null=True, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(default=timezone.now)
    read = models.PositiveIntegerField(default=0)  # messages in the channel and window
    added = models.PositiveIntegerField(default=0)
    already = models.PositiveIntegerField(default=0)  # imported before: not again
    skipped = models.PositiveIntegerField(default=0)  # joins, topics and other system messages

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.channel} into {self.incident.key}"


class TimelineCandidate(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="timeline_candidates"
    )
    chat_import = models.ForeignKey(ChatImport, on_delete=models.CASCADE, related_name="candidates")
    channel = models.CharField(max_length=200)
    channel_id = models.CharField(max_length=40, blank=True, default="")
    ts = models.CharField(max_length=40)  # Slack's message id: seconds.microseconds
    posted_at = models.DateTimeField()
    thread_ts = models.CharField(max_length=40, blank=True, default="")  # "" outside threads
    is_reply = models.BooleanField(default=False)
    author = models.CharField(max_length=200)
    author_email = models.CharField(max_length=254, blank=True, default="")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_bot = models.BooleanField(default=False)
    edited = models.BooleanField(default=False)
    text = models.TextField()
    files = models.JSONField(default=list, blank=True)  # names only, never contents
    link = models.URLField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["posted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "channel", "ts"], name="candidate_once_per_message"
            )
        ]
        indexes = [models.Index(fields=["incident", "posted_at"], name="candidate_incident_time")]

    def __str__(self) -> str:
        return f"{self.author}: {self.text[:60]}"


class Verdict(models.TextChoices):
    PROMOTED = "promoted", "turned into a key event"
    DISMISSED = "dismissed", "dismissed"


class CandidateDecision(models.Model):
    """What one analyst did with a candidate: each analysis period decides for itself."""

    candidate = models.ForeignKey(
        TimelineCandidate, on_delete=models.CASCADE, related_name="decisions"
    )
    assignment = models.ForeignKey(
        AnalysisAssignment, on_delete=models.CASCADE, related_name="candidate_decisions"
    )
    verdict = models.CharField(max_length=12, choices=Verdict.choices)
    key_event = models.ForeignKey(
        KeyEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "assignment"],
                name="candidate_decided_once",
                violation_error_message="This message was already decided in this analysis.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.candidate_id}: {self.verdict}"
