"""Where published narratives go (channels: email, Slack, Confluence, per organisation or team),
and one delivery per channel and published revision, with every attempt recorded.

The delivery row is the source of truth: a background task only ever works on it after claiming
it with a lease, and whatever happens is written back to it."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from learnloop.accounts.models import Organisation, Team
from learnloop.lib.sealed import seal, unseal
from learnloop.narratives.models import Narrative, Publication


class ChannelKind(models.TextChoices):
    EMAIL = "email", "Email to a distribution list"
    SLACK = "slack", "Slack (incoming webhook)"
    CONFLUENCE_CLOUD = "confluence_cloud", "Confluence Cloud"
    CONFLUENCE_DC = "confluence_dc", "Confluence Data Center"


CONFLUENCE = (ChannelKind.CONFLUENCE_CLOUD, ChannelKind.CONFLUENCE_DC)


class PublishChannel(models.Model):
    """An organisation-wide channel (team empty) receives every narrative of the organisation;
    a team's channel receives the narratives of incidents that team owns."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="publish_channels"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="publish_channels"
    )
    kind = models.CharField(max_length=20, choices=ChannelKind.choices)
    name = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True)
    # Email: the distribution list, one address per line.
    recipients = models.TextField(blank=True, default="")
    # Confluence: the site (Cloud: https://acme.atlassian.net; Data Center: the server's URL).
    base_url = models.URLField(max_length=500, blank=True, default="")
    # Confluence Cloud: the account's email address (with the API token).
    account = models.CharField(max_length=200, blank=True, default="")
    # Slack: the webhook URL; Confluence Cloud: the API token; Data Center: the access token.
    secret_sealed = models.TextField(blank=True, default="")
    # Confluence Cloud: the space id; Data Center: the space key.
    space = models.CharField(max_length=100, blank=True, default="")
    parent_id = models.CharField(max_length=40, blank=True, default="")
    last_test_at = models.DateTimeField(null=True, blank=True)
    last_test = models.TextField(blank=True, default="")
    last_test_ok = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["organisation", "team"], name="channel_scope")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def secret(self) -> str:
        return unseal(self.secret_sealed)

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_sealed = seal(value)

    def secrets(self) -> list[str]:
        """What no error text or log line about this channel may quote."""
        try:
            return [self.secret]
        except ValueError:  # sealed with another key: nothing of it can be quoted either
            return []

    @property
    def addresses(self) -> list[str]:
        return [line.strip() for line in self.recipients.splitlines() if line.strip()]

    @property
    def scope(self) -> str:
        return self.team.name if self.team_id and self.team else "Whole organisation"


class DeliveryState(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    RETRY = "retry", "Waiting to retry"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    # Slack only: the request went out and no answer came back; Slack cannot be asked whether
    # the message arrived, so it is not sent again unless a person decides to.
    IN_DOUBT = "in_doubt", "In doubt"


UNFINISHED = (DeliveryState.QUEUED, DeliveryState.SENDING, DeliveryState.RETRY)


class Delivery(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Kept (as a name) when the channel is deleted, so the history stays readable.
    channel = models.ForeignKey(
        PublishChannel, null=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    channel_name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=ChannelKind.choices)
    publication = models.ForeignKey(
        Publication, on_delete=models.CASCADE, related_name="deliveries"
    )
    narrative = models.ForeignKey(Narrative, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    # Set, and committed, just before a Slack request goes out: a worker found dead after this
    # may have posted the message.
    request_sent_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True, default="")
    remote_id = models.CharField(max_length=100, blank=True, default="")
    remote_url = models.CharField(max_length=1000, blank=True, default="")
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "publication"], name="delivery_channel_publication_unique"
            )
        ]
        indexes = [models.Index(fields=["state", "lease_until"], name="delivery_state_lease")]

    def __str__(self) -> str:
        return f"{self.channel_name} for {self.publication}: {self.state}"

    @property
    def message_id(self) -> str:
        """The email's Message-ID: the same on every attempt, so a receiver can tell repeats."""
        return f"<delivery-{self.uid}@learnloop>"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # sent, created, updated, found, retry, failed, in_doubt, requeued
    outcome = models.CharField(max_length=20)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    detail = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"attempt {self.number}: {self.outcome}"
