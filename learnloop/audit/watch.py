"""What the audit trail listens to: sign-ins, publishing, and every save of the settings and
rights that matter (memberships, API tokens, the sharing of interview notes, tracker connections,
publishing channels, the consequence policy, cost settings and profiles). A watched save compares
the fields named here before and after; a secret is recorded as set, changed or cleared, never
its value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save
from django.http import HttpRequest

from learnloop.audit.models import AuditAction
from learnloop.audit.trail import Actor, actor_of, record

SECRET_SET, SECRET_EMPTY = "(set)", "(empty)"


@dataclass(frozen=True)
class Watched:
    fields: tuple[str, ...]
    organisation: Callable[[Any], int | None]
    target: Callable[[Any], str]
    changed: Callable[[dict[str, Any]], str | None]  # the action for the changes, or none
    created: Callable[[dict[str, Any]], str | None] = lambda values: None  # a row is added
    deleted: str | None = None
    secrets: tuple[str, ...] = ()


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _values(instance: models.Model, watched: Watched) -> dict[str, Any]:
    found = {}
    for name in watched.fields:
        value = getattr(instance, name)
        if name in watched.secrets:
            value = SECRET_SET if value else SECRET_EMPTY
        found[name] = _plain(value)
    return found


def organisation_of_user(user_id: int | None) -> int | None:
    from learnloop.accounts.models import Membership

    if user_id is None:
        return None
    found = Membership.objects.filter(user_id=user_id).values_list("organisation_id", flat=True)
    return found.first()


def _interviewee(interview: Any) -> str:
    person = interview.interviewee
    return str(person.email if person is not None else interview.interviewee_name)


def _watched() -> dict[type[models.Model], Watched]:
    from learnloop.accounts.models import ApiToken, Membership
    from learnloop.analysis.models import Interview
    from learnloop.costs.models import CostSettings, TeamCostProfile
    from learnloop.incidents.models import ConsequencePolicy
    from learnloop.intake.models import IntakeSource
    from learnloop.publishing.models import PublishChannel
    from learnloop.trackers.models import TrackerConnection
    from learnloop.webhooks.models import Subscription

    def always(action: str) -> Callable[[dict[str, Any]], str]:
        return lambda changes: action

    def sharing(changes: dict[str, Any]) -> str | None:
        if "shared_with_review" not in changes:
            return None
        shared = changes["shared_with_review"]
        return AuditAction.NOTES_SHARED if shared else AuditAction.NOTES_UNSHARED

    def shared_when_made(now: dict[str, Any]) -> str | None:
        return AuditAction.NOTES_SHARED if now["shared_with_review"] else None

    def revoking(changes: dict[str, Any]) -> str | None:
        return AuditAction.TOKEN_REVOKED if changes.get("revoked_at") else None

    return {
        User: Watched(
            fields=("is_active",),
            organisation=lambda u: organisation_of_user(u.pk),
            target=lambda u: u.email or u.username,
            changed=lambda changes: AuditAction.MEMBER_CHANGED if changes else None,
        ),
        Membership: Watched(
            fields=("role", "team_id"),
            organisation=lambda m: m.organisation_id,
            target=lambda m: m.user.email or m.user.username,
            changed=always(AuditAction.MEMBER_CHANGED),
            created=always(AuditAction.MEMBER_ADDED),
            deleted=AuditAction.MEMBER_REMOVED,
        ),
        ApiToken: Watched(
            fields=("name", "revoked_at"),
            organisation=lambda t: organisation_of_user(t.user_id),
            target=lambda t: f"token '{t.name}' ({t.hint}…) of {t.user.email}",
            changed=revoking,
            created=always(AuditAction.TOKEN_CREATED),
        ),
        Interview: Watched(
            fields=("shared_with_review",),
            organisation=lambda i: i.assignment.incident.organisation_id,
            target=lambda i: f"interview of {_interviewee(i)} for {i.assignment.incident.key}",
            changed=sharing,
            created=shared_when_made,
        ),
        TrackerConnection: Watched(
            fields=(
                "kind",
                "base_url",
                "account",
                "project",
                "issue_type",
                "status_map",
                "token_sealed",
                "webhook_secret_sealed",
            ),
            secrets=("token_sealed", "webhook_secret_sealed"),
            organisation=lambda c: c.team.organisation_id,
            target=lambda c: f"tracker of team {c.team.slug}",
            changed=always(AuditAction.TRACKER_CHANGED),
            created=always(AuditAction.TRACKER_CHANGED),
            deleted=AuditAction.TRACKER_CHANGED,
        ),
        PublishChannel: Watched(
            fields=(
                "kind",
                "name",
                "team_id",
                "enabled",
                "recipients",
                "base_url",
                "account",
                "space",
                "parent_id",
                "secret_sealed",
            ),
            secrets=("secret_sealed",),
            organisation=lambda c: c.organisation_id,
            target=lambda c: f"channel '{c.name}'",
            changed=always(AuditAction.CHANNEL_CHANGED),
            created=always(AuditAction.CHANNEL_CHANGED),
            deleted=AuditAction.CHANNEL_CHANGED,
        ),
        IntakeSource: Watched(
            fields=(
                "kind",
                "name",
                "team_id",
                "active",
                "severity_map",
                "rules",
                "people",
                "secret_sealed",
            ),
            secrets=("secret_sealed",),
            organisation=lambda s: s.organisation_id,
            target=lambda s: f"intake source '{s.name}'",
            changed=always(AuditAction.INTAKE_CHANGED),
            created=always(AuditAction.INTAKE_CHANGED),
            deleted=AuditAction.INTAKE_CHANGED,
        ),
        Subscription: Watched(
            fields=("url", "types", "active", "description", "secret_sealed"),
            secrets=("secret_sealed",),
            organisation=lambda s: s.organisation_id,
            target=lambda s: f"subscription to events at {s.url}",
            changed=always(AuditAction.SUBSCRIPTION_CHANGED),
            created=always(AuditAction.SUBSCRIPTION_CHANGED),
            deleted=AuditAction.SUBSCRIPTION_CHANGED,
        ),
        ConsequencePolicy: Watched(
            fields=ConsequencePolicy.SETTINGS,
            organisation=lambda p: p.organisation_id,
            target=lambda p: "consequence policy",
            changed=always(AuditAction.POLICY_CHANGED),
        ),
        CostSettings: Watched(
            fields=(
                "working_hours_per_year",
                "default_rate",
                "capex_by_default",
                "low_band_below",
                "high_band_from",
            ),
            organisation=lambda c: c.organisation_id,
            target=lambda c: "cost settings",
            changed=always(AuditAction.COST_SETTINGS_CHANGED),
        ),
        TeamCostProfile: Watched(
            fields=("headcount", "loaded_annual_people_cost", "annual_run_cost"),
            organisation=lambda p: p.team.organisation_id,
            target=lambda p: f"cost profile of team {p.team.slug}",
            changed=always(AuditAction.COST_PROFILE_CHANGED),
            created=always(AuditAction.COST_PROFILE_CHANGED),
        ),
    }


WATCHED: dict[type[models.Model], Watched] = {}


def _untouched(sender: type[models.Model], kwargs: dict[str, Any]) -> bool:
    """A save of named fields none of which is watched (a sign-in's `last_login`): nothing to
    compare, and no query to read the row before it."""
    named = kwargs.get("update_fields")
    if kwargs.get("raw") or named is None:
        return bool(kwargs.get("raw"))
    watched = {sender._meta.get_field(name).name for name in WATCHED[sender].fields}
    return not watched & set(named)


def _before(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    watched = WATCHED[sender]
    if _untouched(sender, kwargs) or instance.pk is None:
        return
    old = sender._default_manager.filter(pk=instance.pk).first()
    instance._audit_before = _values(old, watched) if old is not None else None  # type: ignore[attr-defined]


def _after(
    sender: type[models.Model], instance: models.Model, created: bool, **kwargs: Any
) -> None:
    watched = WATCHED[sender]
    if _untouched(sender, kwargs):
        return
    now = _values(instance, watched)
    before = getattr(instance, "_audit_before", None)
    if created or before is None:
        action = watched.created(now)
        if action:
            record(
                action,
                organisation_id=watched.organisation(instance),
                target=watched.target(instance),
                after=now,
            )
        return
    changes = {k: v for k, v in now.items() if before.get(k) != v}
    action = watched.changed(changes) if changes else None
    if action:
        was = {k: before.get(k) for k in changes}
        record(
            action,
            organisation_id=watched.organisation(instance),
            target=watched.target(instance),
            before=was,
            after=changes,
        )


def _gone(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    watched = WATCHED[sender]
    if watched.deleted:
        record(
            watched.deleted,
            organisation_id=watched.organisation(instance),
            target=watched.target(instance),
            before=_values(instance, watched),
        )


def _signed_in(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    record(
        AuditAction.SIGN_IN,
        organisation_id=organisation_of_user(user.pk),
        target=user.email,
        request=request,
        actor=None,
    )


def _signed_out(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        record(
            AuditAction.SIGN_OUT,
            organisation_id=organisation_of_user(user.pk),
            target=user.email,
            request=request,
        )


def _failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    name = str(credentials.get("username", ""))[:254]
    known = User.objects.filter(username=name).values_list("pk", flat=True).first()
    nobody = Actor(user=None, address=actor_of(request).address)
    record(
        AuditAction.SIGN_IN_FAILED,
        organisation_id=organisation_of_user(known),
        target=name,
        actor=nobody,
        label=name or "unknown",
    )


def _published(sender: Any, narrative: Any, revision: Any, **kwargs: Any) -> None:
    number = getattr(revision, "revision", None) or getattr(revision, "number", "")
    record(
        AuditAction.NARRATIVE_PUBLISHED,
        organisation_id=narrative.organisation_id,
        target=f"{narrative.incident.key} revision {number}",
        after={"title": narrative.title},
    )


def connect() -> None:
    from learnloop.narratives.signals import narrative_published

    WATCHED.update(_watched())
    for model in WATCHED:
        pre_save.connect(_before, sender=model, dispatch_uid=f"audit-before-{model.__name__}")
        post_save.connect(_after, sender=model, dispatch_uid=f"audit-after-{model.__name__}")
        post_delete.connect(_gone, sender=model, dispatch_uid=f"audit-gone-{model.__name__}")
    user_logged_in.connect(_signed_in, dispatch_uid="audit-sign-in")
    user_logged_out.connect(_signed_out, dispatch_uid="audit-sign-out")
    user_login_failed.connect(_failed, dispatch_uid="audit-sign-in-failed")
    narrative_published.connect(_published, dispatch_uid="audit-published")
