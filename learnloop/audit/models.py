"""The audit trail: who did what, when, from where, with the values before and after. Append-only
in the database itself (triggers, like the cost ledger); it keeps no foreign keys that a deletion
elsewhere would have to rewrite, so a person or an organisation can go and their record stays."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from learnloop.accounts.models import Organisation


class AuditAction(models.TextChoices):
    SIGN_IN = "sign_in", "signed in"
    SIGN_IN_FAILED = "sign_in_failed", "failed to sign in"
    SIGN_OUT = "sign_out", "signed out"
    LOCK_LIFTED = "lock_lifted", "lifted a sign-in lock"
    MEMBER_ADDED = "member_added", "added a member"
    MEMBER_CHANGED = "member_changed", "changed a member's role or team"
    MEMBER_REMOVED = "member_removed", "removed a member"
    TOKEN_CREATED = "token_created", "created an API token"
    TOKEN_REVOKED = "token_revoked", "revoked an API token"
    NOTES_SHARED = "notes_shared", "shared interview notes with the review"
    NOTES_UNSHARED = "notes_unshared", "made interview notes private again"
    NARRATIVE_PUBLISHED = "narrative_published", "published a narrative"
    CONSEQUENCE_DECIDED = (
        "consequence_decided",
        "decided by hand whether an incident is of consequence",
    )
    ACTION_IN_PRACTICE = "action_in_practice", "closed an action as in practice"
    ACTION_WONT_DO = "action_wont_do", "declared an action won't do"
    TRACKER_CHANGED = "tracker_changed", "changed a tracker connection"
    CHANNEL_CHANGED = "channel_changed", "changed a publishing channel"
    INTAKE_CHANGED = "intake_changed", "changed an incident intake source"
    INTAKE_REPLAYED = "intake_replayed", "replayed an intake delivery"
    SUBSCRIPTION_CHANGED = "subscription_changed", "changed a subscription to events"
    POLICY_CHANGED = "policy_changed", "changed the consequence policy"
    COST_SETTINGS_CHANGED = "cost_settings_changed", "changed the cost settings"
    COST_PROFILE_CHANGED = "cost_profile_changed", "changed a team's cost profile"
    EXPORTED = "exported", "exported incidents"
    IMPORTED = "imported", "imported incidents"
    BACKED_UP = "backed_up", "backed up everything"
    RESTORED = "restored", "restored a backup"


class AuditEntry(models.Model):
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(max_length=254, help_text="Who, as they were named then")
    address = models.CharField(max_length=64, blank=True, default="", help_text="IP, or 'cli'")
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    target = models.CharField(max_length=300, blank=True, default="")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "-at", "-id"], name="audit_recent"),
            models.Index(fields=["organisation", "action", "-at"], name="audit_by_action"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target}"
