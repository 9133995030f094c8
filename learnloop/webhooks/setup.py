"""Adding and changing subscriptions, for the settings page and the API alike."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

from learnloop.accounts.models import Organisation
from learnloop.webhooks.models import EventType, Subscription, new_secret


def _url(value: Any) -> str:
    url = str(value or "").strip()
    parts = urlsplit(url)
    allowed = ("https", "http") if settings.ALLOW_PRIVATE_DESTINATIONS else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise ValidationError({"url": "An https:// address of the receiving endpoint."})
    if len(url) > 500:
        raise ValidationError({"url": "At most 500 characters."})
    return url


def _types(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ValidationError({"types": "A list of event types (empty: every type)."})
    unknown = sorted(set(value) - set(EventType.values))
    if unknown:
        raise ValidationError(
            {"types": f"Unknown: {', '.join(unknown)}. Known: {', '.join(EventType.values)}."}
        )
    return sorted(set(value))


def save_subscription(
    organisation: Organisation, subscription: Subscription | None = None, **given: Any
) -> tuple[Subscription, str]:
    """Adds a subscription (its secret returned, to be shown once) or changes the given one
    (absent keys stay; `rotate` gives it a new secret, also returned)."""
    subscription = subscription or Subscription(organisation=organisation)
    secret = ""
    if "url" in given or subscription.pk is None:
        subscription.url = _url(given.get("url"))
    if given.get("types") is not None:
        subscription.types = _types(given["types"])
    if given.get("description") is not None:
        subscription.description = str(given["description"]).strip()[:200]
    if given.get("active") is not None:
        subscription.active = bool(given["active"])
    if subscription.pk is None or given.get("rotate"):
        secret = new_secret()
        subscription.secret = secret
    subscription.save()
    return subscription, secret
