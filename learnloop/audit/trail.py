"""Writes the audit trail. Who and from where come from the request being served (set by
AuditMiddleware) or, for a command, from the command line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse

from learnloop.accounts.addresses import client_address
from learnloop.audit.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    user: User | None
    address: str


COMMAND_LINE = Actor(user=None, address="cli")
# The request being served (its user is known only once authentication has run, for the API
# after the bearer token is checked), or the actor a command names.
_current: ContextVar[HttpRequest | Actor] = ContextVar("audit_actor", default=COMMAND_LINE)


def actor_of(request: HttpRequest | None) -> Actor:
    source = request if request is not None else _current.get()
    if isinstance(source, Actor):
        return source
    user = getattr(source, "user", None)
    address = client_address(source) or ""
    return Actor(user=user if isinstance(user, User) else None, address=address)


class AuditMiddleware:
    """Remembers the request being served, so that a change deep in a service knows who made it
    and from where."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current.set(request)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    token = _current.set(actor)
    try:
        yield
    finally:
        _current.reset(token)


def record(
    action: str,
    *,
    organisation_id: int | None,
    target: str = "",
    before: Any = None,
    after: Any = None,
    request: HttpRequest | None = None,
    actor: Actor | None = None,
    label: str = "",
) -> AuditEntry:
    """Appends one entry. `label` names the actor when there is no user (a failed sign-in)."""
    who = actor or actor_of(request)
    user = who.user
    named = label or (user.email or user.username if user else "command line")
    return AuditEntry.objects.create(
        organisation_id=organisation_id,
        actor=user,
        actor_label=named[:254],
        address=who.address[:64],
        action=action,
        target=target[:300],
        before=before,
        after=after,
    )
