"""What every tracker adapter offers, by capability, and the errors it raises. An adapter is one
small class per tracker in its own folder; the registry finds it by kind."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from learnloop.lib.redact import header_secrets, request_secrets, scrub, where

if TYPE_CHECKING:  # httpx is imported by the first delivery, not by every web worker
    import httpx


@dataclass
class Ticket:
    """What learnloop files in a team's tracker for an improvement action."""

    marker: str  # unique per action; found again after an ambiguous failure
    title: str
    description: str  # plain text with paragraphs; adapters render it in their format
    link: str
    labels: list[str] = field(default_factory=list)


@dataclass
class TicketRef:
    key: str
    url: str


@dataclass
class Settings:
    """A team's tracker connection, secrets already decrypted."""

    base_url: str
    account: str
    token: str
    project: str
    issue_type: str = "Task"


class TrackerError(Exception):
    permanent = False

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TransientError(TrackerError):
    """Worth another try later: a timeout, a dropped connection, 429 or a 5xx."""


class PermanentError(TrackerError):
    """Trying again will not help: bad credentials, a missing project, a refused request."""

    permanent = True


class Tracker(Protocol):
    kind: str

    def __init__(self, settings: Settings) -> None: ...

    def test(self) -> str:
        """Checks the connection; returns who learnloop is connected as."""

    def find(self, marker: str) -> TicketRef | None:
        """The ticket carrying this marker, if one exists."""

    def create(self, ticket: Ticket) -> TicketRef: ...

    def status_of(self, key: str) -> str:
        """The ticket's status name in the tracker, for reconciliation."""


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def checked(response: httpx.Response, secrets: Iterable[str] = (), url: str = "") -> httpx.Response:
    """Turns a vendor's answer into success, or the right kind of error (without the secrets the
    request carried, should the vendor quote them back)."""
    if response.status_code < 300:
        return response
    request = response.request
    secrets = [*secrets, *header_secrets(request.headers)]  # basic auth as it was encoded
    # Named by the URL asked for, not the address it was pinned to.
    detail = f"{where(request.method, url or str(request.url))}: HTTP {response.status_code}"
    body = response.text[:300].strip()
    if body:
        detail += f": {body}"
    detail = scrub(detail, secrets)
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientError(detail, retry_after(response))
    raise PermanentError(detail)


def send(method: str, url: str, **kwargs: Any) -> httpx.Response:
    """lib.http.request, with network failures as TransientError and refusals as permanent.
    No error names the URL's secret parts or quotes a credential the request carried."""
    import httpx

    from learnloop.lib import http

    secrets = request_secrets(url, kwargs)
    try:
        return checked(http.request(method, url, **kwargs), secrets, url)
    except http.DestinationRefused as error:
        raise PermanentError(scrub(f"{where(method, url)}: {error}", secrets)) from error
    except httpx.TransportError as error:
        text = f"{where(method, url)}: {type(error).__name__}: {error}"
        raise TransientError(scrub(text, secrets)) from error
