"""Single sign-on with OpenID Connect (mozilla-django-oidc, authorization code flow with PKCE,
state and nonce). The provider's endpoints come from its discovery document; ID tokens are checked
for signature, issuer, audience and expiry; people are matched or created by verified email and
their role in the organisation follows a claim (e.g. `groups`) on every sign-in."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse

from learnloop.accounts.models import Organisation, Role

LEEWAY = 60  # seconds of clock difference allowed between learnloop and the provider
_discovered: dict[str, tuple[float, dict[str, Any]]] = {}


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER)


def discovery() -> dict[str, Any]:
    """The provider's configuration, fetched once an hour."""
    issuer = settings.OIDC_ISSUER.rstrip("/")
    cached = _discovered.get(issuer)
    if cached and time.monotonic() - cached[0] < 3600:
        return cached[1]
    import requests

    try:
        answer = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10)
        answer.raise_for_status()
        found = answer.json()
    except (requests.RequestException, ValueError) as error:
        raise ImproperlyConfigured(
            f"The sign-in provider {issuer} cannot be reached: {type(error).__name__}"
        ) from error
    if found.get("issuer", "").rstrip("/") != issuer:
        raise ImproperlyConfigured(
            f"The provider at {issuer} calls itself {found.get('issuer')!r}: check "
            "LEARNLOOP_OIDC_ISSUER"
        )
    _discovered[issuer] = (time.monotonic(), found)
    return dict(found)


def role_from(claims: dict[str, Any]) -> str | None:
    """The highest role any of the person's claim values maps to; else the default role (None:
    refused)."""
    values = claims.get(settings.OIDC_ROLE_CLAIM) or []
    if isinstance(values, str):
        values = [values]
    order: list[str] = [
        Role.MEMBER,
        Role.RESPONDER,
        Role.PRODUCT_MANAGER,
        Role.PROBLEM_MANAGER,
        Role.ADMIN,
    ]
    mapped = [settings.OIDC_ROLES[str(v)] for v in values if str(v) in settings.OIDC_ROLES]
    mapped = [role for role in mapped if role in order]
    if mapped:
        return max(mapped, key=order.index)
    return settings.OIDC_DEFAULT_ROLE or None


def organisation() -> Organisation:
    if settings.OIDC_ORGANISATION:
        return Organisation.objects.get(slug=settings.OIDC_ORGANISATION)
    return Organisation.objects.order_by("id").first() or Organisation.objects.create(
        name="My organisation", slug="default"
    )


class Backend:
    """The single sign-on backend Django's settings name. It stays small: the library's backend
    (and with it requests, PyJWT and cryptography, some 25 MB per server process) is loaded by the
    first sign-in that comes back from the provider, so a server without single sign-on, and
    every password sign-in, never loads it."""

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        if not enabled():
            return None
        from learnloop.accounts.provider import ProviderBackend

        return ProviderBackend().authenticate(request, **kwargs)

    def get_user(self, user_id: int) -> User | None:
        """The signed-in person of a session that began at the provider, as Django's own
        backend finds them (active people only)."""
        return ModelBackend().get_user(user_id)


def sign_in(request: HttpRequest) -> HttpResponse:
    """Sends the browser to the provider (provider.SignIn, loaded on first use)."""
    if not enabled():
        raise Http404("Single sign-on is not configured here.")
    from learnloop.accounts.provider import SignIn

    return SignIn.as_view()(request)  # type: ignore[no-any-return]


def logout_url(request: HttpRequest) -> str:
    """RP-initiated logout at the provider when the session came from it; else the login page."""
    after = request.build_absolute_uri(reverse("login"))
    id_token = request.session.get("oidc_id_token")
    if not enabled() or not id_token:
        return after
    end = discovery().get("end_session_endpoint")
    if not end:
        return after
    query = {"id_token_hint": id_token, "post_logout_redirect_uri": after}
    return f"{end}?{urlencode(query)}"
