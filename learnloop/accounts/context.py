from typing import Any

from django.http import HttpRequest

from learnloop.accounts.rights import membership_of


def membership(request: HttpRequest) -> dict[str, Any]:
    return {"membership": membership_of(request.user)}


def sign_in(request: HttpRequest) -> dict[str, Any]:
    """What the login page offers: single sign-on, and whether passwords are accepted."""
    from django.conf import settings

    return {
        "sso_enabled": bool(settings.OIDC_ISSUER),
        "sso_name": settings.OIDC_NAME,
        "password_login": settings.PASSWORD_LOGIN or not settings.OIDC_ISSUER,
    }
