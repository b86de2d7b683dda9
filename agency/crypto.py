"""Encryption at rest for secrets stored in the database (source credentials).

Keys come from FIELD_ENCRYPTION_KEYS (comma-separated Fernet keys, newest first, so a key can be
rotated); without it, one key is derived from SECRET_KEY.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@cache
def _fernet() -> MultiFernet:
    keys = list(settings.FIELD_ENCRYPTION_KEYS)
    if not keys:
        digest = hashlib.sha256(("stormdesk-fields:" + settings.SECRET_KEY).encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key.encode()) for key in keys])


def encrypt_json(value: dict[str, Any]) -> str:
    if not value:
        return ""
    return _fernet().encrypt(json.dumps(value, sort_keys=True).encode()).decode()


def encrypted_at(token: str) -> datetime | None:
    """When `token` was written (Fernet keeps the time in the token); None when empty or not
    readable with the configured keys."""
    if not token:
        return None
    try:
        return datetime.fromtimestamp(_fernet().extract_timestamp(token.encode()), tz=UTC)
    except InvalidToken:
        return None


def decrypt_json(token: str) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return dict(json.loads(_fernet().decrypt(token.encode())))
    except InvalidToken as exc:
        raise ValueError("Stored secret cannot be decrypted with the configured keys.") from exc
