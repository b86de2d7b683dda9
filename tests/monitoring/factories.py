from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from clients import tenancy
from clients.models import Client
from monitoring.models import Source
from monitoring.services.sources import source_create

T0 = datetime(2026, 3, 3, 18, 0, tzinfo=UTC)


def make_source(client: Client, **fields: Any) -> Source:
    with tenancy.tenant_context(client):
        values = {"name": "Brand mentions on X", "platform": "x", "kind": "keyword"} | fields
        credentials = values.pop("credentials", None)
        return source_create(client=client, acting_user=None, credentials=credentials, **values)


def mention(n: int, **overrides: Any) -> dict[str, Any]:
    """A valid mention in the ingestion shape."""
    item = {
        "external_id": f"m{n}",
        "posted_at": (T0 + timedelta(minutes=n)).isoformat(),
        "text": f"Mijn bestelling {n} is al drie dagen te laat",
        "url": f"https://x.com/someone/status/{n}",
        "author": {"handle": f"user{n % 7}", "display_name": f"User {n % 7}", "followers": 14 + n},
        "language": "nl",
        "likes": n,
    }
    item.update(overrides)
    return item
