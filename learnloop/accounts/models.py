"""Organisations, product teams, the services they own, people's roles, and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.db.models import Subquery
from django.utils import timezone

from learnloop.lib.statements import Param


class Organisation(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    currency = models.CharField(max_length=3, default="EUR")

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A product team: builds and runs its services, and learns from their incidents."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="team_slug_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="services"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="services"
    )
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="service_slug_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    MEMBER = "member", "Member"
    RESPONDER = "responder", "Responder / analyst"
    PRODUCT_MANAGER = "product_manager", "Product manager"
    PROBLEM_MANAGER = "problem_manager", "Problem manager"
    ADMIN = "admin", "Admin"


class Membership(models.Model):
    """A person's place in an organisation: their role, their team, their time zone."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    time_zone = models.CharField(max_length=64, default="UTC")
    calendar_token = models.CharField(max_length=64, unique=True, default=secrets.token_urlsafe)
    # When the person last opened their home: what was published since is new to them.
    last_home_at = models.DateTimeField(null=True, blank=True)

    MANAGER_ROLES: ClassVar[set[str]] = {Role.PRODUCT_MANAGER, Role.PROBLEM_MANAGER, Role.ADMIN}

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organisation} as {self.role}"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def manages_team(self, team_id: int | None) -> bool:
        """Problem managers and admins manage every team; a product manager manages their own."""
        if self.role in (Role.PROBLEM_MANAGER, Role.ADMIN):
            return True
        return self.role == Role.PRODUCT_MANAGER and team_id is not None and team_id == self.team_id


def id_by_slug(model: type[Team] | type[Service], organisation_id: int, slug: Any) -> Subquery:
    """The id of the organisation's team or service with this slug (a value or a statements
    Param), as a subquery the database runs once: a filter on it reads the indexes that start
    with (organisation, team) or (organisation, service), where a join on the slug did not."""
    named = model.objects.filter(organisation_id=organisation_id, slug=slug)
    return Subquery(named.values("id")[:1])


def organisation_param() -> Param:
    """An organisation's id as the parameter "organisation" of a statement compiled once."""
    return Param("organisation", Organisation, "id")


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A token for scripts. Only its hash is stored; the token itself is shown once."""

    PREFIX = "ll_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def issue(cls, user: models.Model, name: str) -> tuple[ApiToken, str]:
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, token_hash=hash_token(raw), hint=raw[: len(cls.PREFIX) + 6]
        )
        return token, raw

    @classmethod
    def authenticate(cls, raw: str) -> tuple[User, Membership | None] | None:
        """The person a live token belongs to, and their membership (the first, as
        rights.membership_of reads it), found together in one statement."""
        from learnloop.accounts.token_lookup import find

        found = find(hash_token(raw))
        if found is None:
            return None
        now = timezone.now()
        used = found.last_used_at
        # Throttled so that scripts do not turn every read into a write.
        if used is None or (now - used).total_seconds() > 60:
            cls.objects.filter(pk=found.token_id).update(last_used_at=now)
        return found.user, found.membership

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
