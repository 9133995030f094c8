"""Secrets stored encrypted at rest (Fernet: AES-128-CBC with an HMAC). The key is
LEARNLOOP_ENCRYPTION_KEY (or the file LEARNLOOP_ENCRYPTION_KEY_FILE names), or, when neither is
set, derived from the secret key. During a key rotation the keys in LEARNLOOP_OLD_ENCRYPTION_KEYS
still open what they sealed; `learnloop rotate-key` seals everything again with the current key."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _fernet(material: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(material.encode()).digest()))


def _box() -> MultiFernet:
    current = settings.ENCRYPTION_KEY or settings.SECRET_KEY
    return MultiFernet([_fernet(k) for k in (current, *settings.OLD_ENCRYPTION_KEYS)])


def seal(secret: str) -> str:
    return _box().encrypt(secret.encode()).decode() if secret else ""


def unseal(sealed: str) -> str:
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
    if not sealed:
        return ""
    try:
        return _box().rotate(sealed.encode()).decode()
    except InvalidToken as error:
        raise ValueError("no configured key opens it") from error
