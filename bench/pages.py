"""Benchmark: server time of the agency desk with 200 brands, and of a brand's dashboard over 30
days for a brand with 1,000,000 mentions.

    bin/bench pages        (or: .venv/bin/python bench/pages.py)

Runs against its own database (`<DATABASE_URL name>_bench`, dropped and created anew) with the
production code: 200 brands onboarded with `client_onboard`, their desk rows written by
`brand_status_refresh` (a tenth of them with an open alert, a failing source or both); one of
them given 1,000,000 mentions over 30 days (20,000 authors, 300 of them multipliers; written
with one INSERT ... SELECT, as stored and processed mentions are) whose rollups are built by
`rollups_refresh`, the function processing calls, plus 12 waves with their alerts.

Server time is the whole Django request (middleware, session, view, template) through Django's
test client, no network: 20 warm-up requests, then 200 timed ones per page. Figures (targets):
desk p95 < 150 ms with 200 brands; dashboard p95 < 150 ms over 30 days; the query count of each.
Updates the "Pages" section of bench/RESULTS.md; the last line printed is key=value.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import timedelta

from common import machine_line, p95, setup_django, update_results

BRANDS = 200
MENTIONS = 1_000_000
AUTHORS = 20_000
MULTIPLIERS = 300
WARM, TIMED = 20, 200
TARGET_MS = 150

# Stored, processed mentions over the 30 days before `now`, in posted order (so that ids in
# a chunk fall in neighbouring hours, as processing runs see them).
MENTIONS_SQL = """
INSERT INTO monitoring_mention
    (source_id, platform, external_id, url, author_id, text, language, posted_at, received_at,
     thread_id, parent_id, raw, repost_of, processed_at, sentiment, reach_tier, is_multiplier,
     is_ambassador)
SELECT %(source)s, (ARRAY['x','instagram','facebook','tiktok','news'])[1 + g %% 5],
       'b' || g, '', a.id, 'bench mention ' || g, 'nl', t, t, '', '', '{}',
       CASE WHEN g %% 9 = 0 THEN 'b' || (g - 1) ELSE '' END, t,
       CASE WHEN g %% 10 < 2 THEN 'neg' WHEN g %% 10 < 8 THEN 'neu' ELSE 'pos' END,
       '', a.id <= %(multipliers)s, false
FROM generate_series(1, %(n)s) AS g,
     LATERAL (SELECT %(begin)s::timestamptz + (g::bigint * %(span)s / %(n)s) * interval '1 second'
              AS t) AS moment,
     LATERAL (SELECT 1 + (g::bigint * 7919) %% %(authors)s AS id) AS a
"""

# What the dashboard's counts cost without the rollup, and the rollup's own query.
FROM_MENTIONS_SQL = """
SELECT date_trunc('day', posted_at AT TIME ZONE %(zone)s), platform, sentiment, repost_of <> '',
       count(*)
FROM monitoring_mention
WHERE posted_at >= %(begin)s AND deleted_at IS NULL AND processed_at IS NOT NULL
GROUP BY 1, 2, 3, 4
"""
FROM_ROLLUP_SQL = """
SELECT date_trunc('day', hour AT TIME ZONE %(zone)s), platform, sentiment, share, sum(mentions)
FROM monitoring_mentionhour WHERE hour >= %(begin)s GROUP BY 1, 2, 3, 4
"""


def main() -> None:
    os.environ["DEBUG"] = "false"  # as production: no query log kept per request
    setup_django()
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from agency.models import Role
    from agency.services import membership_grant, user_create
    from clients import tenancy
    from clients.services import client_onboard
    from monitoring.models import Alert, Author, Mention, Source, Wave
    from monitoring.services.rollups import rollups_refresh
    from monitoring.services.sources import source_create
    from monitoring.services.status import brand_status_refresh

    started = time.perf_counter()
    brands = []
    for i in range(BRANDS):
        connection.close()  # as a request would: see the onboarding bench
        brands.append(client_onboard(name=f"Bench Brand {i:03d}", slug=f"bench-{i:03d}"))
    onboard_s = time.perf_counter() - started
    now = timezone.now()

    for i, brand in enumerate(brands):
        with tenancy.tenant_context(brand):
            source = source_create(
                client=brand, acting_user=None, name="On X", platform="x", kind="keyword"
            )
            if i % 10 == 0:
                Source.objects.filter(pk=source.pk).update(
                    last_error="X refused the token", last_error_at=now
                )
            if i % 10 in (0, 5):
                wave = Wave.objects.create(
                    started_at=now - timedelta(minutes=30),
                    last_activity_at=now,
                    origin_platform="x",
                    level="issue",
                    peak_level="issue",
                    reasons=["negative volume 6x a usual evening"],
                    negative_count=40,
                    mention_count=90,
                    judged_at=now,
                )
                Alert.objects.create(
                    wave=wave,
                    level="issue",
                    title="issue: 40 negative mentions",
                    reasons=wave.reasons,
                    origin_platform="x",
                    opened_at=now - timedelta(minutes=25),
                    updated_at=now,
                )
            brand_status_refresh(client=brand, now=now)
        tenancy.reset_to_public()

    big = brands[0]
    begin = now - timedelta(days=30)
    with tenancy.tenant_context(big):
        source = Source.objects.get()
        Author.objects.bulk_create(
            [
                Author(
                    platform="x",
                    handle=f"author{n}",
                    followers=2_000_000 - n * 5_000 if n <= MULTIPLIERS else 50 + n % 900,
                )
                for n in range(1, AUTHORS + 1)
            ],
            batch_size=5000,
        )
        first_author = Author.objects.order_by("pk").values_list("pk", flat=True)[0]
        assert first_author == 1, "the bench expects author ids from 1 in a fresh schema"
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                MENTIONS_SQL,
                {
                    "source": source.pk,
                    "n": MENTIONS,
                    "begin": begin,
                    "span": int((now - begin).total_seconds()),
                    "authors": AUTHORS,
                    "multipliers": MULTIPLIERS,
                },
            )
            cursor.execute("ANALYZE monitoring_mention")
        insert_s = time.perf_counter() - started
        started = time.perf_counter()
        ids = list(Mention.objects.order_by("pk").values_list("pk", flat=True))
        for at in range(0, len(ids), 50_000):
            rollups_refresh(client=big, mention_ids=ids[at : at + 50_000])
        rollup_s = time.perf_counter() - started
        for n in range(12):
            start = begin + timedelta(days=2 * n + 1, hours=n)
            wave = Wave.objects.create(
                status="closed",
                started_at=start,
                last_activity_at=start + timedelta(hours=3),
                ended_at=start + timedelta(hours=4),
                origin_platform="instagram",
                level="watch",
                peak_level="crisis" if n % 4 == 0 else "issue",
                reasons=["bench wave"],
                mention_count=500,
                negative_count=200,
                judged_at=start,
            )
            Alert.objects.create(
                wave=wave,
                level=wave.peak_level,
                title="bench alert",
                reasons=wave.reasons,
                origin_platform="instagram",
                opened_at=start,
                updated_at=start,
                status="resolved",
            )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        hour_rows = connection.cursor()
        hour_rows.execute("SELECT count(*) FROM monitoring_mentionhour")
        rollup_rows = hour_rows.fetchone()[0]
        mentions_stored = Mention.objects.count()
    tenancy.reset_to_public()

    admin = user_create(email="admin@bench.test", password=None)
    membership_grant(user=admin, role=Role.AGENCY_ADMIN)

    def serve(host: str, path: str, data: dict[str, str] | None = None) -> list[float]:
        browser = HttpClient(HTTP_HOST=host)
        browser.force_login(admin)
        times = []
        for n in range(WARM + TIMED):
            start = time.perf_counter()
            response = browser.get(path, data or {}, secure=True)
            elapsed = time.perf_counter() - start
            assert response.status_code == 200, (host, path, response.status_code)
            if n >= WARM:
                times.append(elapsed * 1000)
        return sorted(times)

    def queries(host: str, path: str, data: dict[str, str] | None = None) -> int:
        browser = HttpClient(HTTP_HOST=host)
        browser.force_login(admin)
        browser.get(path, data or {}, secure=True)
        with CaptureQueriesContext(connection) as captured:
            browser.get(path, data or {}, secure=True)
        return len(captured)

    from django.conf import settings

    portal = settings.BASE_DOMAIN
    brand_host = f"{big.slug}.{settings.BASE_DOMAIN}"
    desk = serve(portal, "/")
    rows = serve(portal, "/desk/rows/")
    dashboard = serve(brand_host, "/", {"by": "day"})
    dashboard_hour = serve(brand_host, "/", {"by": "hour"})
    dashboard_week = serve(brand_host, "/", {"by": "week"})

    # The baseline: the dashboard's counts of 30 days taken from the mentions table, as a page
    # without the rollups would have to, beside the rollup query that replaces it (same run).
    def sql_ms(sql: str, runs: int = 5) -> float:
        with tenancy.tenant_context(big), connection.cursor() as cursor:
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                cursor.execute(sql, {"begin": now - timedelta(days=30), "zone": big.timezone})
                cursor.fetchall()
                times.append((time.perf_counter() - start) * 1000)
        tenancy.reset_to_public()
        return statistics.median(times)

    from_mentions = sql_ms(FROM_MENTIONS_SQL)
    from_rollup = sql_ms(FROM_ROLLUP_SQL)

    counts = {
        "desk": queries(portal, "/"),
        "desk rows": queries(portal, "/desk/rows/"),
        "dashboard": queries(brand_host, "/", {"by": "day"}),
    }
    figures = {
        "desk_p95_ms": round(p95(desk), 1),
        "dashboard_p95_ms": round(p95(dashboard), 1),
    }
    med = statistics.median
    rows_md = [
        (
            f"agency desk, {BRANDS} brands: p95 (median)",
            f"{p95(desk):.1f} ms ({med(desk):.1f} ms)",
            f"< {TARGET_MS} ms",
        ),
        ("the desk's own refresh (`/desk/rows/`), p95", f"{p95(rows):.1f} ms", ""),
        (
            f"dashboard, 30 days by day, {mentions_stored:,} mentions: p95 (median)",
            f"{p95(dashboard):.1f} ms ({med(dashboard):.1f} ms)",
            f"< {TARGET_MS} ms",
        ),
        ("dashboard, 48 hours by hour: p95", f"{p95(dashboard_hour):.1f} ms", ""),
        ("dashboard, 26 weeks by week: p95", f"{p95(dashboard_week):.1f} ms", ""),
        (
            "30 days of counts from the mentions table (baseline) vs from the rollup, median",
            f"{from_mentions:.0f} ms vs {from_rollup:.1f} ms ({from_mentions / from_rollup:.0f}x)",
            "",
        ),
        (
            "queries: desk, desk rows, dashboard",
            f"{counts['desk']}, {counts['desk rows']}, {counts['dashboard']}",
            "pinned in tests",
        ),
        (
            f"set-up: {BRANDS} brands onboarded; 1M mentions inserted; rollups built",
            f"{onboard_s:.0f} s; {insert_s:.0f} s; {rollup_s:.0f} s ({rollup_rows:,} hour rows)",
            "",
        ),
    ]
    table = "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows_md)
    body = f"""{machine_line()}; `bin/bench pages`.

| figure | value | target |
|---|---|---|
{table}

Server time is the whole request through Django's test client ({TIMED} timed after {WARM}
warm-up requests, DEBUG off), as the agency admin who covers every brand. The desk reads the
brands and their status rows in the public schema (no brand schema); the dashboard reads the
hour rollup, the multipliers' day rollup, the waves and the status row, never the mentions
table (a test asserts it), so its time does not grow with the brand's mentions.
"""
    update_results("Pages", body)
    print(" ".join(f"{key}={value}" for key, value in figures.items()))


if __name__ == "__main__":
    main()
