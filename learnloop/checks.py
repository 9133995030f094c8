"""What `learnloop check` looks at besides Django's own deployment checks: the keys, HTTPS, the
data folder's permissions and the mail server, each problem with the LEARNLOOP_* setting that
fixes it. Registered as deployment checks, so they run with `check --deploy` only."""

from __future__ import annotations

import smtplib
import stat
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Info, Tags, Warning, register

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@register(Tags.security, deploy=True)
def keys(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    if not settings.ENCRYPTION_KEY:
        found.append(
            Warning(
                "Integration secrets are encrypted with a key derived from the secret key, which "
                "sits in the data folder beside the database.",
                hint="Set LEARNLOOP_ENCRYPTION_KEY or LEARNLOOP_ENCRYPTION_KEY_FILE (kept out of "
                "the data folder's backups); see docs/operations.md, 'Keys and files'.",
                id="learnloop.W001",
            )
        )
    if settings.ENCRYPTION_KEY and settings.ENCRYPTION_KEY == settings.SECRET_KEY:
        found.append(
            Error(
                "The encryption key is the secret key.",
                hint="Give LEARNLOOP_ENCRYPTION_KEY a value of its own.",
                id="learnloop.E001",
            )
        )
    if len(settings.SECRET_KEY) < 50:
        found.append(
            Error(
                "The secret key is shorter than 50 characters.",
                hint="Set LEARNLOOP_SECRET_KEY to a long random string, or unset it to use the "
                "generated one.",
                id="learnloop.E002",
            )
        )
    return found


@register(Tags.security, deploy=True)
def https(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    base = urlsplit(settings.BASE_URL)
    found: list[CheckMessage] = []
    if settings.DEBUG:
        found.append(
            Error("Debug pages are on.", hint="Unset LEARNLOOP_DEBUG.", id="learnloop.E003")
        )
    if not settings.HTTPS and base.hostname not in LOOPBACK:
        found.append(
            Warning(
                f"learnloop is served at {settings.BASE_URL} without LEARNLOOP_HTTPS: cookies go "
                "over plain HTTP and browsers are not told to keep to HTTPS.",
                hint="Serve it over HTTPS (a TLS proxy, docs/operations.md) and set "
                "LEARNLOOP_HTTPS=1 and LEARNLOOP_TRUSTED_PROXIES.",
                id="learnloop.W002",
            )
        )
    if settings.HTTPS and base.scheme != "https":
        found.append(
            Error(
                f"LEARNLOOP_HTTPS is on but LEARNLOOP_BASE_URL is {settings.BASE_URL}: links in "
                "invitations and emails would point to plain HTTP.",
                hint="Set LEARNLOOP_BASE_URL to the https:// address people use.",
                id="learnloop.E004",
            )
        )
    if base.hostname and not _allowed(base.hostname):
        found.append(
            Error(
                f"The host of LEARNLOOP_BASE_URL, {base.hostname}, is not in "
                "LEARNLOOP_ALLOWED_HOSTS: every request to it would be refused.",
                hint=f"Add {base.hostname} to LEARNLOOP_ALLOWED_HOSTS.",
                id="learnloop.E005",
            )
        )
    return found


def _allowed(host: str) -> bool:
    return any(
        allowed == "*" or allowed == host or (allowed.startswith(".") and host.endswith(allowed))
        for allowed in settings.ALLOWED_HOSTS
    )


@register(Tags.security, deploy=True)
def files(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    data = Path(settings.DATA_DIR)
    candidates = [data, data / "secret_key", data / "learnloop.sqlite3"]
    for path in (p for p in candidates if p.exists()):
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            found.append(
                Error(
                    f"{path} can be read by others (mode {mode:o}).",
                    hint=f"chmod {'700' if path.is_dir() else '600'} {path} (learnloop also "
                    "tightens it on its next start).",
                    id="learnloop.E006",
                )
            )
    return found


@register(Tags.security, deploy=True)
def mail(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Connects to the mail server as sending would (TLS and login included), sends nothing."""
    from learnloop.mail.backend import SmtpBackend
    from learnloop.mail.outbox import explain

    backend = SmtpBackend(fail_silently=False, timeout=min(settings.EMAIL_TIMEOUT, 10))
    where = f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    try:
        backend.open()
    except (smtplib.SMTPException, OSError) as error:
        return [
            Warning(
                f"Mail cannot be sent: {explain(error).text}",
                hint="Set LEARNLOOP_SMTP_HOST, LEARNLOOP_SMTP_PORT, LEARNLOOP_SMTP_SECURITY and, "
                "if the server asks for a login, LEARNLOOP_SMTP_USER and LEARNLOOP_SMTP_PASSWORD "
                "(docs/configuration.md). Until then invitations show as not delivered.",
                id="learnloop.W003",
            )
        ]
    backend.close()
    security = {"starttls": "STARTTLS", "tls": "TLS"}.get(settings.SMTP_SECURITY, "no TLS")
    login = f", logged in as {settings.EMAIL_HOST_USER}" if settings.EMAIL_HOST_USER else ""
    found: list[CheckMessage] = [
        Info(f"The mail server at {where} answers ({security}{login}).", id="learnloop.I001")
    ]
    if settings.SMTP_SECURITY == "none" and settings.EMAIL_HOST not in LOOPBACK:
        found.append(
            Warning(
                f"Mail goes to {where} unencrypted.",
                hint="Set LEARNLOOP_SMTP_SECURITY=starttls (port 587) or tls (port 465).",
                id="learnloop.W004",
            )
        )
    return found


@register(Tags.security, deploy=True)
def single_sign_on(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """With LEARNLOOP_OIDC_ISSUER set: the client's settings, the role mapping, and the provider
    answering with a discovery document that names it."""
    from django.core.exceptions import ImproperlyConfigured

    from learnloop.accounts.models import Role
    from learnloop.accounts.sso import discovery

    if not settings.OIDC_ISSUER:
        return []
    found: list[CheckMessage] = []
    if not (settings.OIDC_RP_CLIENT_ID and settings.OIDC_RP_CLIENT_SECRET):
        found.append(
            Error(
                "Single sign-on has no client id or secret.",
                hint="Set LEARNLOOP_OIDC_CLIENT_ID and LEARNLOOP_OIDC_CLIENT_SECRET (or _FILE), "
                "as registered at the provider.",
                id="learnloop.E007",
            )
        )
    wrong = sorted(
        {r for r in [*settings.OIDC_ROLES.values(), settings.OIDC_DEFAULT_ROLE] if r}
        - set(Role.values)
    )
    if wrong:
        found.append(
            Error(
                f"Unknown roles in the single sign-on mapping: {', '.join(wrong)}.",
                hint="LEARNLOOP_OIDC_ROLES and LEARNLOOP_OIDC_DEFAULT_ROLE take "
                f"{', '.join(Role.values)}.",
                id="learnloop.E008",
            )
        )
    issuer = urlsplit(settings.OIDC_ISSUER)
    if issuer.scheme != "https" and issuer.hostname not in LOOPBACK:
        found.append(
            Warning(
                f"The sign-in provider {settings.OIDC_ISSUER} is not reached over HTTPS.",
                hint="Use the provider's https:// issuer URL.",
                id="learnloop.W005",
            )
        )
    try:
        endpoints = discovery()
    except ImproperlyConfigured as error:
        found.append(Warning(str(error), hint="Check LEARNLOOP_OIDC_ISSUER.", id="learnloop.W006"))
    else:
        found.append(
            Info(f"The sign-in provider {endpoints['issuer']} answers.", id="learnloop.I002")
        )
    return found
