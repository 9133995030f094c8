"""Secrets stored encrypted at rest (Fernet: AES-128-CBC with an HMAC). The key is
LEARNLOOP_ENCRYPTION_KEY (or the file LEARNLOOP_ENCRYPTION_KEY_FILE names), or, when neither is
set, derived from the secret key. During a key rotation the keys in LEARNLOOP_OLD_ENCRYPTION_KEYS
still open what they sealed; `learnloop rotate-key` seals everything again with the current key."""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:  # cryptography is imported by the first secret opened, not by every worker
    from cryptography.fernet import MultiFernet


def _box() -> MultiFernet:
    from cryptography.fernet import Fernet, MultiFernet

    current = settings.ENCRYPTION_KEY or settings.SECRET_KEY
    keys = (current, *settings.OLD_ENCRYPTION_KEYS)
    return MultiFernet(
        [Fernet(base64.urlsafe_b64encode(hashlib.sha256(k.encode()).digest())) for k in keys]
    )


def seal(secret: str) -> str:
    return _box().encrypt(secret.encode()).decode() if secret else ""


def unseal(sealed: str) -> str:
    from cryptography.fernet import InvalidToken

    if not sealed:
        return ""
    try:
        return _box().decrypt(sealed.encode()).decode()
    except InvalidToken as error:
        raise ValueError(
            "The secret cannot be decrypted: was the encryption key changed? "
            "Put the old key in LEARNLOOP_OLD_ENCRYPTION_KEYS and run learnloop rotate-key."
        ) from error


def reseal(sealed: str) -> str:
    """The same secret sealed with the current key (raises ValueError when no key opens it)."""
    from cryptography.fernet import InvalidToken

    if not sealed:
        return ""
    try:
        return _box().rotate(sealed.encode()).decode()
    except InvalidToken as error:
        raise ValueError("no configured key opens it") from error
