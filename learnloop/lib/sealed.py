"""Secrets stored encrypted at rest (Fernet: AES-128-CBC with an HMAC), keyed from
LEARNLOOP_ENCRYPTION_KEY, or from the secret key when none is set."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _box() -> Fernet:
    material = settings.ENCRYPTION_KEY or settings.SECRET_KEY
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(material.encode()).digest()))


def seal(secret: str) -> str:
    return _box().encrypt(secret.encode()).decode() if secret else ""


def unseal(sealed: str) -> str:
    if not sealed:
        return ""
    try:
        return _box().decrypt(sealed.encode()).decode()
    except InvalidToken as error:
        raise ValueError(
            "The secret cannot be decrypted: was the encryption key changed?"
        ) from error
