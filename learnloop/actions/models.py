"""Improvement actions: where learning becomes practice. Screens come with the backlog issue."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from learnloop.accounts.models import Team
from learnloop.incidents.models import Incident


class ActionKind(models.TextChoices):
    ACCOUNTABILITY = "accountability", "Accountability change (human)"
    PROCESS = "process", "Process (human)"
    TRAINING = "training", "Training (human)"
    CODE_FIX = "code_fix", "Code fix (technical)"
    CONFIGURATION = "configuration", "Configuration change (technical)"
    MONITORING = "monitoring", "Monitoring (technical)"
    OTHER_HUMAN = "other_human", "Other (human)"
    OTHER_TECHNICAL = "other_technical", "Other (technical)"


HUMAN_KINDS = {
    ActionKind.ACCOUNTABILITY,
    ActionKind.PROCESS,
    ActionKind.TRAINING,
    ActionKind.OTHER_HUMAN,
}


class ActionStatus(models.TextChoices):
    IDEA = "idea", "Idea"
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    IMPLEMENTED = "implemented", "Implemented"
    IN_PRACTICE = "in_practice", "In practice"
    WONT_DO = "wont_do", "Won't do"


class ImprovementAction(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="improvement_actions"
    )
    learning = models.ForeignKey(
        "reviews.Learning", null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    title = models.TextField()
    description = models.TextField(blank=True, default="")
    kind = models.CharField(max_length=20, choices=ActionKind.choices)
    # The category an imported report gave it (technical, process, organisational, communication).
    report_category = models.CharField(max_length=20, blank=True, default="")
    owner_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    estimate_weeks = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    cost_of_delay_per_week = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(
        max_length=12, choices=ActionStatus.choices, default=ActionStatus.IDEA
    )
    evidence = models.TextField(blank=True, default="")
    wont_do_reason = models.TextField(blank=True, default="")
    reference = models.CharField(max_length=500, blank=True, default="")
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    in_practice_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["owner_team", "status"], name="action_team_status")]

    def __str__(self) -> str:
        return self.title[:60]

    @property
    def is_human(self) -> bool:
        return self.kind in HUMAN_KINDS
