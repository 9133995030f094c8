"""The sign-in provider's side of single sign-on, on mozilla-django-oidc: the backend that checks
what the provider sends back and the view that sends the browser there. Imported only when a
sign-in goes through the provider (sso.Backend and sso.sign_in load it), because the library
brings requests, PyJWT and cryptography with it."""

from __future__ import annotations

import logging
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from mozilla_django_oidc.auth import OIDCAuthenticationBackend  # type: ignore[import-untyped]
from mozilla_django_oidc.views import OIDCAuthenticationRequestView  # type: ignore[import-untyped]

from learnloop.accounts.models import Membership
from learnloop.accounts.sso import LEEWAY, discovery, enabled, organisation, role_from

logger = logging.getLogger(__name__)


class ProviderBackend(OIDCAuthenticationBackend):  # type: ignore[misc]
    """Reads the provider's endpoints from discovery only when a sign-in comes back from it, so
    password sign-ins never wait on the provider."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.UserModel = User
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:  # noqa: N802 - the name the library reads
        return str(discovery()["token_endpoint"])

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:  # noqa: N802
        return str(discovery()["userinfo_endpoint"])

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:  # noqa: N802
        return str(discovery()["jwks_uri"])

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        if not enabled():
            return None
        try:
            return super().authenticate(request, **kwargs)  # type: ignore[no-any-return]
        except (SuspiciousOperation, requests.RequestException, ImproperlyConfigured) as error:
            logger.warning("single sign-on refused: %s", error)
            if request is not None:
                messages.error(request, f"Signing in with {settings.OIDC_NAME} failed: {error}")
            return None

    def _verify_jws(self, payload: Any, key: Any) -> dict[str, Any]:
        """Signature, algorithm, issuer, audience, expiry and issue time, all checked; any
        failure is refused (the library leaves the audience unchecked and lets an expired token
        through as an error)."""
        header = jwt.get_unverified_header(payload)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(f"ID token signed with {header.get('alg')!r}")
        try:
            return dict(
                jwt.decode(
                    payload,
                    key,
                    algorithms=[self.OIDC_RP_SIGN_ALGO],
                    audience=self.OIDC_RP_CLIENT_ID,
                    issuer=discovery()["issuer"],
                    leeway=LEEWAY,
                    options={"require": ["exp", "iat", "iss", "aud", "sub"]},
                )
            )
        except jwt.InvalidTokenError as error:
            raise SuspiciousOperation(f"ID token refused: {error}") from error

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        if not claims.get("email"):
            return self._refuse("The sign-in provider gave no email address.")
        if claims.get("email_verified") is not True:
            return self._refuse(
                f"The sign-in provider has not verified {claims['email']}: verify it there first."
            )
        if role_from(claims) is None:
            return self._refuse(
                f"{claims['email']} has no role in learnloop: ask an administrator to add you to "
                f"a group that gives one ({settings.OIDC_ROLE_CLAIM})."
            )
        return True

    def _refuse(self, reason: str) -> bool:
        request = getattr(self, "request", None)
        if request is not None:
            messages.error(request, reason)
        return False

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        return self.UserModel.objects.filter(username=str(claims["email"]).strip().lower())

    @transaction.atomic
    def create_user(self, claims: dict[str, Any]) -> User:
        email = str(claims["email"]).strip().lower()
        first, _, last = str(claims.get("name", "")).partition(" ")
        user = User.objects.create_user(
            username=email, email=email, first_name=first[:150], last_name=last[:150]
        )  # no password: they sign in through the provider
        return self.update_user(user, claims)

    def update_user(self, user: User, claims: dict[str, Any]) -> User:
        """The role follows the provider's claim at every sign-in."""
        role = role_from(claims)
        assert role is not None  # verify_claims refused those without one
        membership = Membership.objects.filter(user=user).first()
        if membership is None:
            Membership.objects.create(user=user, organisation=organisation(), role=role)
        elif membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
        return user


class SignIn(OIDCAuthenticationRequestView):  # type: ignore[misc]
    """Sends the browser to the provider (with state, nonce and a PKCE challenge)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID

    @property
    def OIDC_OP_AUTH_ENDPOINT(self) -> str:  # noqa: N802 - the name the library reads
        return str(discovery()["authorization_endpoint"])

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            return super().get(request)  # type: ignore[no-any-return]
        except ImproperlyConfigured as error:
            messages.error(request, f"{error}. Try again later, or ask an administrator.")
            return redirect("login")
