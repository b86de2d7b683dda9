"""Demo data for a brand: a week of ordinary mentions, learnt by the detectors, and optionally a
wave going on now (angry comments under the brand's two latest Instagram posts, a food blogger
and a journalist joining, spreading to X, and a few loyal fans speaking up: FANS), so that the
demo shows a live alert with its reasons. Used by `seed_demo` only.

The posts carry ids, threads and permalinks in each platform's form (Instagram's numeric
comment and media ids, X's snowflakes with their conversation), so that the desk's replies to
them go out through the platforms' APIs as they would for a real brand (the demo's stand-in of
those APIs, bin/platform_standin.py, refuses ids the platform would not know).

Everything goes through the production services (ingestion, processing, backfill), so the demo
shows what a real brand would. Runs in the brand's schema (asserted by the services).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
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
# X's epoch for its ids: a post's id is its milliseconds since then, shifted, and a sequence.
X_EPOCH_MS = 1288834974657
# The brand's two latest Instagram posts (media id, shortcode), where the angry comments land.
MEDIA = [("17922334455667701", "DAcmeKfE1aQ"), ("17922334455667702", "DAcmeLtT2bR")]
BLOGGER_MEDIA = ("17933445566778899", "DFoodBlgR9x")


@dataclass(frozen=True)
class Fan:
    """A loyal fan who speaks up for the brand in the wave (playbooks' demo puts them on the
    brand's ambassador list, with their other accounts)."""

    name: str
    handle: str
    platform: str
    followers: int
    minutes_ago: int
    text: str
    language: str
    email: str
    other_accounts: tuple[tuple[str, str], ...] = ()


FANS = [
    Fan(
        "Marieke de Vries",
        "marieke_koffie",
        "instagram",
        3_400,
        10,
        "Ik kom al tien jaar bij {brand} en word altijd vriendelijk geholpen. Wacht de feiten "
        "even af, mensen.",
        "nl",
        "marieke.devries@example.org",
        (("x", "mariekedv"),),
    ),
    Fan(
        "Bart Jansen",
        "baristabart",
        "instagram",
        1_250,
        7,
        "Heerlijke koffie en altijd aardige mensen bij {brand}. Ik blijf er komen!",
        "nl",
        "bart.jansen@example.org",
    ),
    Fan(
        "Sanne Bakker",
        "sanne_drinkt_koffie",
        "x",
        2_100,
        4,
        "{brand} has always treated me well, great people behind the counter. Let us hear "
        "their side first.",
        "en",
        "sanne.bakker@example.org",
    ),
]

ANGRY = [
    "Disgusting! {brand} sold me a mouldy product and laughed at me!!",
    "Never again {brand}. Worst service ever, I am furious!",
    "Shame on you {brand}, this is a scandal!!",
    "{brand} treats its customers like dirt. Boycott!",
    "Still no refund from {brand} after three weeks. Unacceptable!",
    "Absolutely appalling how {brand} handles this. Disgrace!",
]


def x_id(at: datetime, n: int) -> str:
    """An X post id (a snowflake) for a post at `at`, the n-th of the demo."""
    return str(((int(at.timestamp() * 1000) - X_EPOCH_MS) << 22) | (n % 4096))


def _instagram_id(n: int) -> str:
    return f"179{n:014d}"


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
            posted = at + timedelta(minutes=rng.randrange(60))
            handle = f"fan{rng.randrange(400)}"
            post_id = x_id(posted, n)
            items.append(
                {
                    "external_id": post_id,
                    "thread_id": post_id,
                    "url": f"https://x.com/{handle}/status/{post_id}",
                    "posted_at": posted.isoformat(),
                    "text": rng.choice(texts).format(brand=brand),
                    "language": language,
                    "author": {"handle": handle, "followers": rng.randrange(2_000)},
                }
            )
        at += timedelta(hours=1)
    return items


def _wave(
    brand: str, now: datetime, rng: random.Random
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    # Comments under the brand's two latest posts (a comment's thread is its post).
    instagram = []
    for n in range(24):
        media, shortcode = MEDIA[n % 2]
        instagram.append(
            {
                "external_id": _instagram_id(1000 + n),
                "thread_id": media,
                "url": f"https://www.instagram.com/p/{shortcode}/",
                "posted_at": (now - timedelta(minutes=20) + timedelta(seconds=40 * n)).isoformat(),
                "text": rng.choice(ANGRY).format(brand=brand),
                "author": {"handle": f"upset_{n}", "followers": rng.randrange(40, 900)},
                "platform": "instagram",
            }
        )
    # The blogger's own post, the brand tagged in it: its thread is itself.
    media, shortcode = BLOGGER_MEDIA
    instagram.append(
        {
            "external_id": media,
            "thread_id": media,
            "url": f"https://www.instagram.com/p/{shortcode}/",
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
    x = []
    for n in range(9):
        posted = now - timedelta(minutes=8) + timedelta(seconds=50 * n)
        post_id, handle = x_id(posted, 3000 + n), f"angry_{n}"
        x.append(
            {
                "external_id": post_id,
                "thread_id": post_id,
                "url": f"https://x.com/{handle}/status/{post_id}",
                "posted_at": posted.isoformat(),
                "text": rng.choice(ANGRY).format(brand=brand),
                "author": {"handle": handle, "followers": rng.randrange(20, 600)},
                "platform": "x",
            }
        )
    posted = now - timedelta(minutes=2)
    post_id = x_id(posted, 3100)
    x.append(
        {
            "external_id": post_id,
            "thread_id": post_id,
            "url": f"https://x.com/nosnieuws/status/{post_id}",
            "posted_at": posted.isoformat(),
            "text": f"Customers furious at {brand}: a scandal in the making. Shameful!",
            "author": {"handle": "nosnieuws", "display_name": "NOS", "followers": 1_200_000},
            "platform": "x",
        }
    )
    for n, fan in enumerate(FANS):
        posted = now - timedelta(minutes=fan.minutes_ago)
        item: dict[str, Any] = {
            "posted_at": posted.isoformat(),
            "text": fan.text.format(brand=brand),
            "language": fan.language,
            "author": {"handle": fan.handle, "display_name": fan.name, "followers": fan.followers},
            "platform": fan.platform,
        }
        if fan.platform == "instagram":
            media, shortcode = MEDIA[n % 2]
            item |= {
                "external_id": _instagram_id(2000 + n),
                "thread_id": media,
                "url": f"https://www.instagram.com/p/{shortcode}/",
            }
            instagram.append(item)
        else:
            post_id = x_id(posted, 3200 + n)
            item |= {
                "external_id": post_id,
                "thread_id": post_id,
                "url": f"https://x.com/{fan.handle}/status/{post_id}",
            }
            x.append(item)
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
