"""Secrets at rest: account passwords and 2FA secrets are Fernet-encrypted in the database.

Keys come from ``settings.FIELD_ENCRYPTION_KEYS``: the first key encrypts, every key decrypts,
so a key is rotated by putting a new one first and running ``manage.py rotate_field_key``.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

# Stored values carry this marker so plaintext written by mistake (or legacy rows) is detectable.
MARKER = "fernet:"


class DecryptionError(Exception):
    """The stored secret cannot be read with any configured key (wrong or lost key)."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64 bytes), comma-separated"
        ) from exc


def current_fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return MARKER + current_fernet().encrypt(plaintext.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(MARKER):
        raise DecryptionError("value is not encrypted")
    try:
        return current_fernet().decrypt(stored[len(MARKER) :].encode()).decode()
    except InvalidToken:
        raise DecryptionError(
            "cannot decrypt: FIELD_ENCRYPTION_KEY does not match the key these secrets were "
            "saved with"
        ) from None


class EncryptedTextField(models.TextField):
    """A text field whose value is encrypted before it reaches the database.

    In Python the attribute holds plaintext; the column holds ``fernet:<token>``. Empty stays
    empty so "no password" is visible without a key. Not searchable or orderable by design.
    """

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)
