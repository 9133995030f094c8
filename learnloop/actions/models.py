"""Improvement actions, where learning becomes practice, and the product manager's backlog in
which they compete with planned features by cost of delay."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from learnloop.accounts.models import Organisation, Team
from learnloop.actions import targets
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
    # The incident's organisation, kept here too (it never changes) so that an organisation's
    # open actions are found by their own index (the homes' late actions), not by looking up
    # the incident of every open action of the installation. Filled from the incident on save.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", editable=False
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
    # When it became an idea (recorded at the review): cost of delay accrues from here.
    idea_at = models.DateTimeField(default=timezone.now)
    # When it is due in practice: the idea plus the policy's days for its incident's severity
    # (actions/targets.py keeps it; late when still open after it).
    target_at = models.DateTimeField(editable=False)
    # When it was decided won't do: accrual stops there.
    closed_at = models.DateTimeField(null=True, blank=True)
    # Inputs of the cost-of-delay calculator, kept so the estimate can be checked and redone.
    recurrence_chance_per_week = models.DecimalField(
        max_digits=5, decimal_places=4, null=True, blank=True
    )
    exposure_per_hour = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    typical_duration_hours = models.DecimalField(
        max_digits=8, decimal_places=2, null=True, blank=True
    )
    toil_hours_per_week = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    toil_hourly_rate = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    # The ticket or card in the team's tracker, once pushed.
    tracker_kind = models.CharField(max_length=30, blank=True, default="")
    tracker_key = models.CharField(max_length=200, blank=True, default="")
    tracker_url = models.URLField(max_length=1000, blank=True, default="")
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    # The learning themes this action is meant to address: if one recurs, the action is flagged.
    themes = models.ManyToManyField("analysis.LearningTheme", blank=True, related_name="actions")

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["owner_team", "status", "target_at"], name="action_team_target"),
            models.Index(fields=["status", "idea_at"], name="action_status_idea"),
            models.Index(fields=["organisation", "status", "idea_at"], name="action_org_status"),
            models.Index(fields=["organisation", "status", "target_at"], name="action_org_target"),
            models.Index(  # the homes' actions without a CD3, a few among thousands
                fields=["organisation", "-idea_at"],
                condition=models.Q(cost_of_delay_per_week__isnull=True)
                | models.Q(estimate_weeks__isnull=True),
                name="action_unestimated",
            ),
        ]

    def __str__(self) -> str:
        return self.title[:60]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.organisation_id is None:
            self.organisation_id = self.incident.organisation_id
        targets.aim(self)
        super().save(*args, **kwargs)

    @property
    def is_human(self) -> bool:
        return self.kind in HUMAN_KINDS


class ActionChange(models.Model):
    """Every change of an action's lifecycle, with who and when: the history is never rewritten."""

    action = models.ForeignKey(ImprovementAction, on_delete=models.CASCADE, related_name="changes")
    from_status = models.CharField(max_length=12, choices=ActionStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=ActionStatus.choices)
    note = models.TextField(blank=True, default="")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    source = models.CharField(
        max_length=30, default="learnloop", help_text="learnloop or a tracker"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.action_id}: {self.from_status} → {self.to_status}"


class PlannedFeature(models.Model):
    """A feature in the team's backlog, ranked against improvement actions by CD3."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="planned_features")
    title = models.CharField(max_length=300)
    cost_of_delay_per_week = models.DecimalField(max_digits=14, decimal_places=2)
    estimate_weeks = models.DecimalField(max_digits=6, decimal_places=2)
    tracker_key = models.CharField(max_length=200, blank=True, default="")
    done = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title


class BacklogPlacement(models.Model):
    """A product manager's decision to place an item at a rank, overriding CD3. Kept as history;
    the newest placement of an item counts."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="backlog_placements")
    action = models.ForeignKey(
        ImprovementAction, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    feature = models.ForeignKey(
        PlannedFeature, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    rank = models.PositiveIntegerField()
    reason = models.TextField(blank=True, default="")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__isnull=False, feature__isnull=True)
                | models.Q(action__isnull=True, feature__isnull=False),
                name="placement_one_item",
                violation_error_message="A backlog place holds either an action or a feature.",
            )
        ]

    def __str__(self) -> str:
        return f"rank {self.rank} in {self.team_id}"
