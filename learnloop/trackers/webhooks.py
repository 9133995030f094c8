"""Incoming tracker webhooks: the vendor's signature (or, where the vendor has none, a secret in
the URL) is checked before anything is read; then the ticket's status moves the action."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from django.http import HttpRequest

from learnloop.trackers.models import TrackerConnection


class Forged(Exception):  # noqa: N818 - reads as the verdict
    """The request does not carry a valid signature."""


def _same(expected: str, given: str) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), given.encode())


def _hex_hmac(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(connection: TrackerConnection, request: HttpRequest, callback_url: str) -> None:
    secret = connection.webhook_secret
    if not secret:
        raise Forged("No webhook secret is configured for this tracker.")
    body, headers = request.body, request.headers
    kind = connection.kind
    if kind == "github":
        ok = _same("sha256=" + _hex_hmac(secret, body), headers.get("X-Hub-Signature-256", ""))
    elif kind == "jira_cloud":
        ok = _same("sha256=" + _hex_hmac(secret, body), headers.get("X-Hub-Signature", ""))
    elif kind == "linear":
        ok = _same(_hex_hmac(secret, body), headers.get("Linear-Signature", ""))
    elif kind == "trello":
        digest = hmac.new(secret.encode(), body + callback_url.encode(), hashlib.sha1).digest()
        ok = _same(base64.b64encode(digest).decode(), headers.get("X-Trello-Webhook", ""))
    else:  # Jira Data Center signs nothing: the secret travels in the URL it was given
        ok = _same(secret, request.GET.get("secret", ""))
    if not ok:
        raise Forged("The webhook signature does not match.")


def status_change(kind: str, payload: dict[str, Any]) -> tuple[str, str] | None:
    """(ticket key, new status name) from a vendor's payload, or None if it is not one."""
    if kind in ("jira_cloud", "jira_dc"):
        issue = payload.get("issue") or {}
        status = ((issue.get("fields") or {}).get("status") or {}).get("name")
        return (issue["key"], status) if issue.get("key") and status else None
    if kind == "github":
        issue = payload.get("issue") or {}
        if payload.get("action") in ("closed", "reopened") and "number" in issue:
            return str(issue["number"]), str(issue.get("state", payload["action"]))
        return None
    if kind == "trello":
        data = (payload.get("action") or {}).get("data") or {}
        card, after = data.get("card") or {}, data.get("listAfter") or {}
        if card.get("closed") is True and card.get("id"):
            return card["id"], "closed"
        return (card["id"], after["name"]) if card.get("id") and after.get("name") else None
    if kind == "linear":
        data = payload.get("data") or {}
        state = (data.get("state") or {}).get("name")
        return (data["identifier"], state) if data.get("identifier") and state else None
    return None


def parse(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body or b"{}")
    except json.JSONDecodeError as error:
        raise ValueError(f"invalid JSON at line {error.lineno} column {error.colno}") from error
    if not isinstance(payload, dict):
        raise ValueError("the payload is not a JSON object")
    return payload
