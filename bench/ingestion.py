"""Benchmark: the bulk ingestion path beside a raw PostgreSQL COPY of the same rows.

    bin/bench ingestion

`mentions_ingest` (the production service: pydantic validation, in-batch and database dedupe,
author upsert and reach samples, COPY into staging, INSERT .. ON CONFLICT, hand-off messages to
the real Redis broker after commit) ingests N mentions in batches of 10,000. Then the same rows,
already as tuples, are COPYed straight into an empty table with the mention table's indexes: the
floor any path through PostgreSQL pays. `copy_ratio` = ingest rate / COPY rate.
Target: mentions_per_s >= 20,000 on this 2-core machine. Last line: key=value.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from common import machine_line, setup_django, update_results

TOTAL = 200_000
BATCH = 10_000
WORDS = (
    "order late delivery again coffee app crash refund support never great thanks love "
    "terrible service waiting days package broken cold staff friendly price"
).split()


def make_items(count: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    items = []
    for n in range(count):
        author = rng.randrange(20_000)
        items.append(
            {
                "external_id": f"bench-{n}",
                "posted_at": (start + timedelta(seconds=n)).isoformat(),
                "text": " ".join(rng.choices(WORDS, k=rng.randint(8, 30))),
                "url": f"https://x.com/u{author}/status/{n}",
                "author": {
                    "handle": f"u{author}",
                    "display_name": f"User {author}",
                    "followers": rng.choice([14, 120, 900, 5_000, 80_000]),
                },
                "language": rng.choice(["en", "nl", "sv"]),
                "thread_id": f"t{n // 20}",
                "likes": rng.randrange(100),
                "shares": rng.randrange(20),
            }
        )
    return items


def main() -> None:
    setup_django()
    import json

    from django.db import connection

    from clients import tenancy
    from clients.services import client_onboard
    from monitoring.models import Source
    from monitoring.services.ingestion import MENTION_COLUMNS, mentions_ingest

    client = client_onboard(name="Bench", slug="bench")
    items = make_items(TOTAL)
    with tenancy.tenant_context(client):
        source = Source.objects.create(name="bench", platform="x", kind="keyword")
        start = time.perf_counter()
        accepted = 0
        for offset in range(0, TOTAL, BATCH):
            result = mentions_ingest(
                client=client, source=source, items=items[offset : offset + BATCH], channel="api"
            )
            accepted += result.accepted
        ingest_s = time.perf_counter() - start
        assert accepted == TOTAL, accepted

        # Dedupe at full speed: the same batches again store nothing.
        start = time.perf_counter()
        for offset in range(0, TOTAL, BATCH):
            mentions_ingest(
                client=client, source=source, items=items[offset : offset + BATCH], channel="api"
            )
        again_s = time.perf_counter() - start

        # The floor: the same rows as ready tuples, COPYed into an identical empty table.
        author_ids = dict(
            connection.cursor().execute("SELECT handle, id FROM monitoring_author").fetchall()
        )
        now = datetime.now(UTC)
        rows = [
            (
                source.pk,
                "x",
                i["external_id"],
                i["url"],
                author_ids[i["author"]["handle"]],
                i["text"],
                i["language"],
                datetime.fromisoformat(i["posted_at"]),
                now,
                i["thread_id"],
                "",
                i["likes"],
                i["shares"],
                0,
                0,
                json.dumps(i),
                "",
                None,
                None,
            )
            for i in items
        ]
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE copy_floor (LIKE monitoring_mention INCLUDING ALL)")
            start = time.perf_counter()
            for offset in range(0, TOTAL, BATCH):
                with cursor.cursor.copy(
                    f"COPY copy_floor ({', '.join(MENTION_COLUMNS)}) FROM STDIN"
                ) as copy:
                    for row in rows[offset : offset + BATCH]:
                        copy.write_row(row)
            copy_s = time.perf_counter() - start
            cursor.execute("DROP TABLE copy_floor")

    rate = TOTAL / ingest_s
    copy_rate = TOTAL / copy_s
    figures = {
        "mentions_per_s": round(rate),
        "copy_rows_per_s": round(copy_rate),
        "copy_ratio": round(rate / copy_rate, 3),
        "duplicates_per_s": round(TOTAL / again_s),
    }
    update_results(
        "Ingestion (bulk path)",
        f"""{machine_line()}; `bin/bench ingestion`.

{TOTAL:,} mentions (8-30 words, 20,000 distinct authors with follower counts, 3 languages) in
batches of {BATCH:,} through `mentions_ingest`, the path every channel uses, in one process.

| figure | value | target |
|---|---|---|
| bulk ingestion (validate, dedupe, authors, store, hand-off) | {rate:,.0f} mentions/s | >= 20,000 |
| raw `COPY` of the same rows into a table with the same indexes | {copy_rate:,.0f} rows/s | |
| **copy_ratio** (ingestion / COPY) | {rate / copy_rate:.2f} | |
| the same batches again (all duplicates) | {TOTAL / again_s:,.0f} mentions/s | |
""",
    )
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
