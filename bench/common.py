"""Shared set-up of the benchmarks: a database of their own, results in bench/RESULTS.md."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def env_value(key: str) -> str:
    import environ

    env = environ.Env()
    if (ROOT / ".env").is_file():
        environ.Env.read_env(ROOT / ".env", overwrite=False)
    return str(env.str(key))


def bench_database_url() -> str:
    parts = urlsplit(env_value("DATABASE_URL"))
    return parts._replace(path=parts.path.rstrip("/") + "_bench").geturl()


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def bench_redis_urls() -> tuple[str, str, str]:
    """The bench's cache, broker and result databases: BENCH_REDIS_URL's database and the two
    after it (default redis://127.0.0.1:6379/13, so 13-15). Set it where another checkout or a
    development worker uses those: the bench empties them."""
    parts = urlsplit(os.environ.get("BENCH_REDIS_URL") or "redis://127.0.0.1:6379/13")
    first = int(parts.path.strip("/") or 0)
    urls = [parts._replace(path=f"/{first + n}").geturl() for n in range(3)]
    return urls[0], urls[1], urls[2]


def setup_django(*, fresh: bool = True) -> str:
    """Point Django at the bench database (and the bench's Redis databases), set it up,
    migrate."""
    url = bench_database_url()
    os.environ["DATABASE_URL"] = url
    (
        os.environ["REDIS_URL"],
        os.environ["CELERY_BROKER_URL"],
        os.environ["CELERY_RESULT_BACKEND"],
    ) = bench_redis_urls()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agency.settings")
    os.environ.setdefault("EXPORT_ROOT", str(ROOT / "var" / "bench-exports"))
    os.environ.setdefault("IMPORT_ROOT", str(ROOT / "var" / "bench-imports"))
    if fresh:
        recreate_database(url)
        import redis

        for key in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
            # The bench's own Redis databases: no message of an earlier run may linger.
            redis.Redis.from_url(os.environ[key]).flushdb()
    import io
    import logging

    import django

    django.setup()
    logging.disable(logging.INFO)
    from django.core.management import call_command

    if fresh:
        call_command("migrate_schemas", verbosity=0, stdout=io.StringIO())
    return url


def machine_line() -> str:
    import platform

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return (
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, PostgreSQL {version}"
    )


def update_results(section: str, body: str) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    marker = f"## {section}\n"
    start = text.find(marker)
    if start >= 0:
        end = text.find("\n## ", start + len(marker))
        text = text[:start] + text[end + 1 :] if end >= 0 else text[:start]
    path.write_text(text.rstrip("\n") + "\n\n" + marker + body.rstrip("\n") + "\n")


def best_rate(fn: Callable[[], object], count: int, passes: int) -> float:
    """Items per second of the fastest of `passes` runs of `fn` over `count` items."""
    best = float("inf")
    for _ in range(passes):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return count / best


def publish_text_figures(
    section: str, command: str, lines: list[str], figures: Mapping[str, object]
) -> None:
    """A one-core text benchmark's section: a header naming the run, `lines`, and the figures
    as key=value on the last line printed."""
    import platform

    header = (
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python "
        f"{platform.python_version()}, pinned to 1 of {os.cpu_count()} cores; `{command}`."
    )
    body = "\n".join([header, "", *lines])
    update_results(section, body)
    print(body)
    print()
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


def p95(values: list[float]) -> float:
    """The 95th percentile of `values`, sorted ascending (the nearest lower rank)."""
    return values[int(0.95 * (len(values) - 1))]


def p99(values: list[float]) -> float:
    """The 99th percentile of `values`, sorted ascending (the nearest rank: of fewer than 100
    values, the slowest or the one before it)."""
    return values[min(len(values) - 1, round(0.99 * (len(values) - 1)))]


def timed(fn, *args, **kwargs) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


def worker_command(venv: Path) -> list[str]:
    """A real Celery worker as production runs it (one process, niced below the server)."""
    return [
        "nice",
        "-n",
        "10",
        str(venv / "celery"),
        "-A",
        "agency",
        "worker",
        "--pool",
        "solo",
        "--loglevel",
        "INFO",
        "--without-mingle",
        "--without-gossip",
    ]


# --- Brands that alert (bench/detection.py, bench/watch.py) ----------------------------------

ANGRY = [
    "This is a disgrace! Worst service ever, I am furious!!",
    "Absolutely terrible, you ruined my day. Never again!",
    "Wat een schandalige service, nooit meer!!",
    "Vilken usel service, aldrig mer! Skämmigt!",
    "Disgusting how you treat customers. Shame on you!",
    "Pathetic. Still no refund after three weeks. Unacceptable!",
]


def prepare_brand(slug: str, quiet_history: bool):  # type: ignore[no-untyped-def]
    """A brand onboarded with one source; with `quiet_history`, three days of calm posts that
    its detectors have learnt, so that a burst of angry ones stands out (an issue; a crisis
    with accounts of a large reach among them: `trigger`)."""
    from django.db import transaction

    from clients import tenancy
    from clients.services import client_onboard
    from monitoring.models import Source
    from monitoring.services.detection import detection_backfill
    from monitoring.services.ingestion import mentions_ingest
    from monitoring.services.processing import mentions_process_pending

    client = client_onboard(name=slug, slug=slug)
    with tenancy.tenant_context(client):
        source = Source.objects.create(name="x", platform="x", kind="keyword")
        if quiet_history:
            now = datetime.now(UTC)
            items = [
                {
                    "external_id": f"h{n}",
                    "posted_at": (now - timedelta(days=3) + timedelta(hours=2 * n)).isoformat(),
                    "text": "Had a coffee at the station this morning",
                    "language": "en",
                    "author": {"handle": f"regular{n % 5}", "followers": 300},
                }
                for n in range(35)
            ]
            mentions_ingest(client=client, source=source, items=items, channel="import")
            mentions_process_pending(client=client)
            with transaction.atomic():
                detection_backfill(client=client, days=3)
    return client, source


def trigger(client, source, n: int, quiet_history: bool, multipliers: int = 0) -> list[int]:  # type: ignore[no-untyped-def]
    """One wave through the door's service (`mentions_ingest`, as the API): ten angry posts by
    different people after a quiet history (the first `multipliers` of them by accounts of a
    large reach, which makes it a crisis), else one negative post of a large reach. Returns
    the new mentions' ids."""
    from clients import tenancy
    from monitoring.services.ingestion import mentions_ingest

    now = datetime.now(UTC)
    if quiet_history:
        items = [
            {
                "external_id": f"w{n}-{k}",
                "posted_at": (now - timedelta(seconds=30 - k)).isoformat(),
                "text": ANGRY[k % len(ANGRY)],
                "author": {
                    "handle": f"upset{k}",
                    "followers": 250_000 + k if k < multipliers else 40 + k,
                },
            }
            for k in range(10)
        ]
    else:
        items = [
            {
                "external_id": f"m{n}",
                "posted_at": now.isoformat(),
                "text": "Disgusting, I am appalled by how they treat people!!",
                "language": "en",
                "author": {"handle": "reporter", "followers": 250_000},
            }
        ]
    with tenancy.tenant_context(client):
        return mentions_ingest(client=client, source=source, items=items, channel="api").mention_ids
