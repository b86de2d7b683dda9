"""Demo data for a brand: a week of ordinary mentions, learnt by the detectors, and optionally a
wave going on now (angry posts on Instagram, a food blogger and a journalist joining, spreading
to X), so that the demo shows a live alert with its reasons. Used by `seed_demo` only.

Everything goes through the production services (ingestion, processing, backfill), so the demo
shows what a real brand would. Runs in the brand's schema (asserted by the services).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from monitoring.models import Author, Source
from monitoring.services.detection import detection_backfill
from monitoring.services.ingestion import mentions_ingest
from monitoring.services.processing import mentions_process_pending
from monitoring.services.sources import source_create

if TYPE_CHECKING:
    from clients.models import Client

CALM = {
    "nl": [
        "Lekker koffie gedronken bij {brand} vanochtend",
        "Iemand ervaring met de nieuwe bonen van {brand}?",
        "{brand} opent volgende week een nieuwe vestiging",
        "Heerlijke cappuccino bij {brand}, dank jullie!",
        "Staat {brand} ook op de markt zaterdag?",
    ],
    "sv": [
        "Fin tur i fjällen med jackan från {brand}",
        "Någon som testat de nya kängorna från {brand}?",
        "{brand} har rea nästa vecka",
        "Riktigt bra service i butiken hos {brand}, tack!",
        "Vilken storlek ska man ta i {brand}s tält?",
    ],
}
ANGRY = [
    "Disgusting! {brand} sold me a mouldy product and laughed at me!!",
    "Never again {brand}. Worst service ever, I am furious!",
    "Shame on you {brand}, this is a scandal!!",
    "{brand} treats its customers like dirt. Boycott!",
    "Still no refund from {brand} after three weeks. Unacceptable!",
    "Absolutely appalling how {brand} handles this. Disgrace!",
]


def _calm_week(
    brand: str, language: str, now: datetime, rng: random.Random
) -> list[dict[str, Any]]:
    texts = CALM.get(language, CALM["nl"])
    items = []
    at = now - timedelta(days=7)
    n = 0
    while at < now - timedelta(minutes=30):
        hour = at.hour
        per_hour = 1 if hour < 7 else 6 if 11 <= hour <= 21 else 3
        for _ in range(rng.randint(0, per_hour)):
            n += 1
            items.append(
                {
                    "external_id": f"demo-{n}",
                    "posted_at": (at + timedelta(minutes=rng.randrange(60))).isoformat(),
                    "text": rng.choice(texts).format(brand=brand),
                    "language": language,
                    "author": {
                        "handle": f"fan{rng.randrange(400)}",
                        "followers": rng.randrange(2_000),
                    },
                }
            )
        at += timedelta(hours=1)
    return items


def _wave(
    brand: str, now: datetime, rng: random.Random
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    instagram = [
        {
            "external_id": f"demo-ig-{n}",
            "posted_at": (now - timedelta(minutes=20) + timedelta(seconds=40 * n)).isoformat(),
            "text": rng.choice(ANGRY).format(brand=brand),
            "author": {"handle": f"upset_{n}", "followers": rng.randrange(40, 900)},
            "platform": "instagram",
        }
        for n in range(24)
    ]
    instagram.append(
        {
            "external_id": "demo-ig-blogger",
            "posted_at": (now - timedelta(minutes=6)).isoformat(),
            "text": f"I stopped buying at {brand}. How they treat people is outrageous!!",
            "author": {
                "handle": "foodblogger",
                "display_name": "Food Blogger",
                "followers": 54_000,
            },
            "platform": "instagram",
        }
    )
    x = [
        {
            "external_id": f"demo-x-{n}",
            "posted_at": (now - timedelta(minutes=8) + timedelta(seconds=50 * n)).isoformat(),
            "text": rng.choice(ANGRY).format(brand=brand),
            "author": {"handle": f"angry_{n}", "followers": rng.randrange(20, 600)},
            "platform": "x",
        }
        for n in range(9)
    ]
    x.append(
        {
            "external_id": "demo-x-journalist",
            "posted_at": (now - timedelta(minutes=2)).isoformat(),
            "text": f"Customers furious at {brand}: a scandal in the making. Shameful!",
            "author": {"handle": "nosnieuws", "display_name": "NOS", "followers": 1_200_000},
            "platform": "x",
        }
    )
    return instagram, x


def demo_monitoring_seed(*, client: Client, wave: bool) -> int:
    """Sources and a week of mentions (and a live wave); returns mentions stored. Does nothing
    for a brand that has sources already."""
    if Source.objects.exists():
        return 0
    rng = random.Random(client.slug)  # noqa: S311 (demo data, not secrets)
    now = timezone.now()
    language = client.language or "nl"
    x = source_create(
        client=client, acting_user=None, name=f"{client.name} on X", platform="x", kind="keyword"
    )
    instagram = source_create(
        client=client,
        acting_user=None,
        name=f"{client.name} on Instagram",
        platform="instagram",
        kind="owned",
    )
    stored = 0
    week = _calm_week(client.name, language, now, rng)
    for offset in range(0, len(week), 1000):
        stored += mentions_ingest(
            client=client, source=x, items=week[offset : offset + 1000], channel="import"
        ).accepted
    mentions_process_pending(client=client)
    with transaction.atomic():
        # up to before the wave: its bins are read live, as they would have been
        detection_backfill(client=client, days=7, now=now - timedelta(minutes=25))
    if wave:
        on_instagram, on_x = _wave(client.name, now, rng)
        stored += mentions_ingest(
            client=client, source=instagram, items=on_instagram, channel="webhook"
        ).accepted
        stored += mentions_ingest(client=client, source=x, items=on_x, channel="api").accepted
        # The agency keeps the press on its list: NOS is a journalist's account.
        Author.objects.filter(platform="x", handle="nosnieuws").update(is_journalist=True)
        mentions_process_pending(client=client)
    return stored
