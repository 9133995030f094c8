"""Sign-in locks (django-axes), as an organisation's admins see and lift them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from axes.models import AccessAttempt  # type: ignore[import-untyped]
from axes.utils import reset  # type: ignore[import-untyped]
from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils import timezone

from learnloop.accounts.models import Membership
from learnloop.audit.models import AuditAction
from learnloop.audit.trail import record


@dataclass(frozen=True)
class Lock:
    attempt: AccessAttempt
    locked: bool
    until: datetime


def visible_to(membership: Membership) -> QuerySet[AccessAttempt]:
    """Attempts on this organisation's people, and on names that are nobody's account."""
    everyone = User.objects.values("username")
    ours = Membership.objects.filter(organisation_id=membership.organisation_id).values(
        "user__username"
    )
    found: QuerySet[AccessAttempt] = AccessAttempt.objects.filter(
        Q(username__in=ours) | ~Q(username__in=everyone) | Q(username__isnull=True)
    ).order_by("-attempt_time")
    return found


def described(attempts: QuerySet[AccessAttempt]) -> list[Lock]:
    now = timezone.now()
    found = []
    for attempt in attempts[:200]:
        until = attempt.attempt_time + settings.AXES_COOLOFF_TIME
        locked = attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT and until > now
        found.append(Lock(attempt=attempt, locked=locked, until=until))
    return found


def lift(attempts: QuerySet[AccessAttempt], attempt_id: str, organisation_id: int) -> str:
    """Clears one lock (its account and its address); returns what was unlocked, or ''."""
    attempt = attempts.filter(pk=int(attempt_id)).first() if attempt_id.isdigit() else None
    if attempt is None:
        return ""
    reset(ip=attempt.ip_address, username=attempt.username)
    lifted = f"{attempt.username or 'an unknown name'} from {attempt.ip_address}"
    record(
        AuditAction.LOCK_LIFTED,
        organisation_id=organisation_id,
        target=lifted,
        before={"failures": attempt.failures_since_start},
    )
    return lifted
