"""Benchmark: crisis detection, its speed and the time from a mention's arrival to its alert.

    bin/bench detection

1. Enrichment and scoring on one core, no database: `enrichment_columns` (the production
   enrichment: language detection where the platform gave none, sentiment, tone, reach tier,
   multiplier and ambassador flags) over real labelled texts from ../shared/data/sentiment
   (English, Swedish, Dutch; half of them with no language given), plus the volume detectors'
   scoring of the bins those mentions fill (4 series, 5-minute bins, at 100 mentions a bin).
   Target: >= 5,000 mentions/s.
2. The whole processing run through PostgreSQL (claim, enrich, write back, search documents,
   detection) over 20,000 stored mentions, for the record.
3. Arrival to alert with the real worker and broker: a Celery worker process on the Redis
   broker; for each of 30 brands (20 with three days of quiet history learnt by their
   detectors, where a burst of angry posts from different people is the trigger; 10 new ones,
   where a negative post by an account with a large reach is), one batch is ingested by the
   production service and the time from its `received_at` to the alert's `opened_at` is
   taken. Target: p99 <= 2 s.
Last line: key=value.
"""

from __future__ import annotations

import csv
import statistics
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import (
    ROOT,
    bench_redis_urls,
    machine_line,
    prepare_brand,
    setup_django,
    trigger,
    update_results,
    worker_command,
)
from common import p99 as percentile_99

DATA = ROOT.parent / "shared" / "data" / "sentiment"
TEXTS = 30_000


def sample_texts() -> list[tuple[str, str]]:
    texts: list[tuple[str, str]] = []
    for name, lang in (
        ("en-tweets-vader.csv", "en"),
        ("sv-tweets.csv", "sv"),
        ("nl-bol-reviews.csv", "nl"),
    ):
        with (DATA / name).open(newline="", encoding="utf-8") as handle:
            texts += [(row["text"], lang) for row in csv.DictReader(handle)]
    out: list[tuple[str, str]] = []
    while len(out) < TEXTS:
        out += texts
    return out[:TEXTS]


def enrichment_speed() -> tuple[float, float]:
    from monitoring.analysis.waves import VolumeDetector
    from monitoring.services.detection import enrichment_columns

    texts = sample_texts()
    rows = [
        # half with the platform's language, half to be detected
        (n, text, lang if n % 2 else "", (n * 7919) % 200_000, n % 50 == 0, False, False)
        for n, (text, lang) in enumerate(texts)
    ]
    enrichment_columns(rows[:500], multiplier_min_followers=10_000)  # lexicons loaded
    detectors = [VolumeDetector(bin_seconds=300) for _ in range(4)]
    at = datetime(2026, 3, 2, tzinfo=UTC)
    start = time.process_time()
    for offset in range(0, len(rows), 1000):
        columns = enrichment_columns(rows[offset : offset + 1000], multiplier_min_followers=10_000)
        negatives = columns[2].count("neg")
        for _ in range(10):  # 1,000 mentions fill 10 bins of 100
            for detector, value in zip(detectors, (100, negatives / 10, 60, 6), strict=True):
                detector.update(at, value)
            at += timedelta(minutes=5)
    cpu = time.process_time() - start
    return len(rows) / cpu, cpu


def processing_speed(client, source) -> float:  # type: ignore[no-untyped-def]
    from clients import tenancy
    from monitoring.services.ingestion import mentions_ingest
    from monitoring.services.processing import mentions_process_pending

    texts = sample_texts()[:20_000]
    now = datetime.now(UTC)
    items = [
        {
            "external_id": f"p{n}",
            "posted_at": (now - timedelta(hours=20) + timedelta(seconds=3 * n)).isoformat(),
            "text": text,
            "language": lang if n % 2 else "",
            "author": {"handle": f"a{n % 3000}", "followers": (n * 7919) % 200_000},
        }
        for n, (text, lang) in enumerate(texts)
    ]
    with tenancy.tenant_context(client):
        for offset in range(0, len(items), 5000):
            mentions_ingest(
                client=client, source=source, items=items[offset : offset + 5000], channel="api"
            )
        start = time.perf_counter()
        done = mentions_process_pending(client=client)
        elapsed = time.perf_counter() - start
    assert done == len(items), done
    return done / elapsed


def alert_latencies() -> list[float]:
    from django.conf import settings

    from clients import tenancy
    from monitoring.models import Alert, Mention

    brands = [(*prepare_brand(f"lat{n}", quiet_history=n < 20), n < 20) for n in range(30)]
    worker = subprocess.Popen(
        worker_command(ROOT / ".venv" / "bin"),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=(ROOT / "var" / "bench-detection-worker.log").open("w"),
    )
    latencies = []
    try:
        time.sleep(4)  # the worker connects to the broker
        for n, (client, source, quiet) in enumerate(brands):
            ids = trigger(client, source, n, quiet)
            deadline = time.monotonic() + 15
            with tenancy.tenant_context(client):
                while time.monotonic() < deadline:
                    alert = Alert.objects.first()
                    if alert is not None:
                        break
                    time.sleep(0.02)
                else:
                    raise SystemExit(f"no alert for brand {client.slug} in 15 s")
                arrived = Mention.objects.get(pk=ids[0]).received_at
                latencies.append((alert.opened_at - arrived).total_seconds())
            time.sleep(0.3)
    finally:
        worker.terminate()
        worker.wait(20)
    assert bench_redis_urls()[1] == settings.CELERY_BROKER_URL
    return latencies


def main() -> None:
    setup_django()
    from clients import tenancy
    from clients.services import client_onboard
    from monitoring.models import Source

    rate, cpu = enrichment_speed()
    client = client_onboard(name="Bench", slug="bench")
    with tenancy.tenant_context(client):
        source = Source.objects.create(name="bench", platform="x", kind="keyword")
    processing = processing_speed(client, source)
    latencies = sorted(alert_latencies())
    p50 = statistics.median(latencies)
    p99 = percentile_99(latencies)
    figures = {
        "enrich_score_per_s": round(rate),
        "processing_per_s": round(processing),
        "alert_p50_s": round(p50, 3),
        "alert_p99_s": round(p99, 3),
        "alert_max_s": round(latencies[-1], 3),
    }
    update_results(
        "Detection",
        f"""{machine_line()}; `bin/bench detection`.

Enrichment and scoring: one core, no database, {TEXTS:,} real en/sv/nl texts ({cpu:.2f} s of
CPU). Processing: the whole run through PostgreSQL over 20,000 stored mentions. Alerts: real
worker and Redis broker, {len(latencies)} waves.

| figure | value | target |
|---|---|---|
| enrichment and scoring | {rate:,.0f} mentions/s | >= 5,000 |
| whole processing run | {processing:,.0f} mentions/s | |
| arrival to alert, p50 | {p50:.3f} s | |
| **arrival to alert, p99** | {p99:.3f} s | <= 2 s |
| arrival to alert, slowest | {latencies[-1]:.3f} s | |
""",
    )
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    Path(ROOT / "var").mkdir(exist_ok=True)
    main()
