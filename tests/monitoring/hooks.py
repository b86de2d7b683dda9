"""Posting to a source's webhooks as the platforms do: signed with our scheme or Meta's."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from django.test import Client as HttpClient

from monitoring.models import Source


def signed_post(
    host: str, source: Source, body: bytes, *, secret: str, stamp: int | str | None = None
) -> Any:
    """POST `body` to the source's signed webhook: X-Stormdesk-Timestamp (`stamp`, default now,
    sent as given) and the HMAC of "<stamp>." + body."""
    stamp = str(int(time.time())) if stamp is None else str(stamp)
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return HttpClient(HTTP_HOST=host).post(
        f"/api/v1/hooks/{source.public_id}/",
        body,
        content_type="application/json",
        HTTP_X_STORMDESK_TIMESTAMP=stamp,
        HTTP_X_STORMDESK_SIGNATURE=f"v1={digest}",
    )


def meta_post(host: str, source: Source, body: bytes, *, secret: str) -> Any:
    """POST `body` to the source's Meta webhook, signed X-Hub-Signature-256 with `secret`."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return HttpClient(HTTP_HOST=host).post(
        f"/api/v1/hooks/{source.public_id}/meta/",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=f"sha256={digest}",
    )
