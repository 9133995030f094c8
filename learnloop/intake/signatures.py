"""Is the delivery from the tool? Checked on the raw body before anything is read.
PagerDuty signs (HMAC-SHA256, `v1=` hex; during a rotation several signatures, any may match);
Alertmanager sends the secret as a bearer token or basic-auth password (its http_config);
Opsgenie sends it in a header of the integration's (X-Learnloop-Secret) or as basic auth."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping

from learnloop.intake.models import IntakeKind, IntakeSource

SECRET_HEADER = "X-Learnloop-Secret"  # noqa: S105 - a header name, not a secret


class Forged(Exception):  # noqa: N818 - reads as the verdict
    """The delivery does not prove it comes from the tool."""


def _same(expected: str, given: str) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), given.encode())


def pagerduty_signed(secret: str, body: bytes, header: str) -> bool:
    expected = "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    given = [part.strip() for part in header.split(",") if part.strip()]
    return any(_same(expected, signature) for signature in given)


def _authorization(headers: Mapping[str, str]) -> str:
    """The secret in an Authorization header: a bearer token, or a basic-auth password."""
    scheme, _, value = headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[2]
    return ""


def verify(source: IntakeSource, headers: Mapping[str, str], body: bytes) -> None:
    secret = source.secret
    if not secret:
        raise Forged("This source has no secret: set one before the tool sends to it.")
    if source.kind == IntakeKind.PAGERDUTY:
        header = headers.get("X-PagerDuty-Signature", "")
        if not header:
            raise Forged("The X-PagerDuty-Signature header is missing.")
        if not pagerduty_signed(secret, body, header):
            raise Forged("No signature in X-PagerDuty-Signature matches the source's secret.")
        return
    given = _authorization(headers)
    if source.kind == IntakeKind.OPSGENIE:
        given = headers.get(SECRET_HEADER, "") or given
    if not given:
        raise Forged("No secret given: send it as a bearer token or basic-auth password.")
    if not _same(secret, given):
        raise Forged("The secret given does not match the source's.")
