"""API authentication: `Authorization: Bearer TOKEN`, or the browser session (with CSRF)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from learnloop.accounts.models import ApiToken
from learnloop.accounts.rights import remember_membership


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = ApiToken.authenticate(token)
        if found is None:
            return None
        user, membership = found
        remember_membership(user, membership)
        request.user = user
        return user


class Session(SessionAuth):
    """Django's session, for the pages' own HTMX and scripts in the browser."""


auth = [BearerToken(), Session()]
