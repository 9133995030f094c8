"""A team's tracker connection, and the outbox of improvement actions to file there: committed
with the action, delivered by the worker, retried without duplicates, every attempt recorded."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from learnloop.accounts.models import Team
from learnloop.actions.models import ActionStatus, ImprovementAction
from learnloop.integrations.base import Settings
from learnloop.lib.sealed import seal, unseal


class TrackerKind(models.TextChoices):
    JIRA_CLOUD = "jira_cloud", "Jira Cloud"
    JIRA_DC = "jira_dc", "Jira Data Center"
    TRELLO = "trello", "Trello"
    GITHUB = "github", "GitHub Issues"
    LINEAR = "linear", "Linear"


def default_status_map() -> dict[str, str]:
    """Tracker status names (lower case) to the action lifecycle. "Done" in a tracker means
    implemented: in practice needs someone's evidence that it works."""
    return {
        "to do": ActionStatus.PLANNED,
        "open": ActionStatus.PLANNED,
        "backlog": ActionStatus.PLANNED,
        "todo": ActionStatus.PLANNED,
        "in progress": ActionStatus.IN_PROGRESS,
        "doing": ActionStatus.IN_PROGRESS,
        "done": ActionStatus.IMPLEMENTED,
        "closed": ActionStatus.IMPLEMENTED,
        "resolved": ActionStatus.IMPLEMENTED,
        "won't do": ActionStatus.WONT_DO,
        "canceled": ActionStatus.WONT_DO,
    }


class TrackerConnection(models.Model):
    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="tracker")
    kind = models.CharField(max_length=20, choices=TrackerKind.choices)
    base_url = models.URLField(max_length=500)
    account = models.CharField(
        max_length=200, blank=True, default="", help_text="Jira Cloud: email. Trello: API key."
    )
    token_sealed = models.TextField(blank=True, default="")
    project = models.CharField(
        max_length=200,
        help_text="Jira project key, Trello list id, GitHub owner/repo, or Linear team id.",
    )
    issue_type = models.CharField(max_length=60, blank=True, default="Task")
    status_map = models.JSONField(default=default_status_map)
    webhook_secret_sealed = models.TextField(blank=True, default="")
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_check = models.TextField(blank=True, default="")
    last_check_ok = models.BooleanField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.team}"

    @property
    def token(self) -> str:
        return unseal(self.token_sealed)

    @token.setter
    def token(self, value: str) -> None:
        self.token_sealed = seal(value)

    @property
    def webhook_secret(self) -> str:
        return unseal(self.webhook_secret_sealed)

    @webhook_secret.setter
    def webhook_secret(self, value: str) -> None:
        self.webhook_secret_sealed = seal(value)

    def secrets(self) -> list[str]:
        """What no error text or log line about this connection may quote (Trello's API key
        travels with its token)."""
        try:
            found = [self.token, self.webhook_secret]
        except ValueError:  # sealed with another key: nothing of it can be quoted either
            return []
        return [*found, self.account] if self.kind == "trello" else found

    def settings(self) -> Settings:
        return Settings(
            base_url=self.base_url,
            account=self.account,
            token=self.token,
            project=self.project,
            issue_type=self.issue_type,
        )

    def lifecycle_status(self, tracker_status: str) -> str | None:
        found = self.status_map.get(tracker_status.strip().lower())
        return str(found) if found else None


class PushState(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    DONE = "done", "Filed"
    FAILED = "failed", "Failed"


class TrackerPush(models.Model):
    """One action to file in one tracker, by a task of the queue (`task_id`). The task leases
    it while it works, so a second worker never works on it at the same time, and a dead
    worker's lease simply runs out (learnloop.leasing)."""

    action = models.OneToOneField(
        ImprovementAction, on_delete=models.CASCADE, related_name="tracker_push"
    )
    connection = models.ForeignKey(
        TrackerConnection, on_delete=models.CASCADE, related_name="pushes"
    )
    state = models.CharField(max_length=10, choices=PushState.choices, default=PushState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True, default="")
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="push_due")]

    def __str__(self) -> str:
        return f"push of {self.action_id}: {self.state}"

    @property
    def marker(self) -> str:
        return f"learnloop-{self.action.uid}"


class PushAttempt(models.Model):
    push = models.ForeignKey(TrackerPush, on_delete=models.CASCADE, related_name="attempt_log")
    started_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=20)  # created, found, retry, failed
    detail = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.outcome} at {self.started_at}"
