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


def make_alert(client: Client, *, level: str = "watch", origin: str = "x", **fields: Any):
    """A wave with its alert, as detection leaves them (for API tests)."""
    from django.utils import timezone

    from monitoring.models import Alert, Wave

    now = timezone.now()
    with tenancy.tenant_context(client):
        wave = Wave.objects.create(
            status=fields.pop("wave_status", "open"),
            started_at=now - timedelta(minutes=20),
            last_activity_at=now,
            origin_platform=origin,
            level=level,
            peak_level=level,
            reasons=["negative volume 9x a usual Tuesday evening"],
            negative_count=12,
            mention_count=20,
            judged_at=now,
        )
        return Alert.objects.create(
            wave=wave,
            level=level,
            title=f"{level}: 12 negative mentions",
            reasons=wave.reasons,
            origin_platform=origin,
            opened_at=now,
            updated_at=now,
            **fields,
        )
