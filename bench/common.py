"""Shared set-up of the benchmarks: a database of their own, results in bench/RESULTS.md."""

from __future__ import annotations

import os
import sys
import time
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


def setup_django(*, fresh: bool = True) -> str:
    """Point Django at the bench database (and Redis databases 13-15), set it up, migrate."""
    url = bench_database_url()
    os.environ["DATABASE_URL"] = url
    os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/13"
    os.environ["CELERY_BROKER_URL"] = "redis://127.0.0.1:6379/14"
    os.environ["CELERY_RESULT_BACKEND"] = "redis://127.0.0.1:6379/15"
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


def p95(values: list[float]) -> float:
    """The 95th percentile of `values`, sorted ascending (the nearest lower rank)."""
    return values[int(0.95 * (len(values) - 1))]


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
