"""Benchmark: the signed webhook path at 200 requests/s against a real server.

    bin/bench webhook

gunicorn (2 sync workers, persistent database connections) serves the production WSGI app on
127.0.0.1, a Celery worker processes the hand-off beside it, and wrk (bench/webhook.lua) sends
pre-signed POSTs, one new mention each, paced to about 200 requests/s for 30 s. Figures: the
achieved rate and the latency percentiles wrk measured. Target: p95 under 20 ms.
Last line: key=value.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta

from common import ROOT, machine_line, setup_django, update_results, worker_command

PORT = 8077
SECONDS = 60
CONNECTIONS = 10
THREADS = 2
# Each connection waits PACE_MS after each response: 10 x 1000 / (40 + latency) ~ 200/s.
PACE_MS = 40
SECRET = "bench-webhook-secret"


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("webhook bench: needs wrk (apt-get install wrk)")
    url = setup_django()
    from django.conf import settings

    from clients import tenancy
    from clients.services import client_onboard
    from monitoring.models import Mention
    from monitoring.services.sources import source_create

    client = client_onboard(name="Bench", slug="bench")
    with tenancy.tenant_context(client):
        source = source_create(
            client=client,
            acting_user=None,
            credentials={"webhook_secret": SECRET},
            name="bench pusher",
            platform="other",
            kind="feed",
        )

    folder = ROOT / "var" / "bench-webhook"
    folder.mkdir(parents=True, exist_ok=True)
    requests_file = folder / "requests.tsv"
    total = 200 * (SECONDS + 10)
    stamp = str(int(time.time()))
    start = datetime(2026, 3, 3, 18, 0, tzinfo=UTC)
    with requests_file.open("w") as handle:
        for n in range(total):
            body = json.dumps(
                {
                    "mentions": [
                        {
                            "external_id": f"hook-{n}",
                            "posted_at": (start + timedelta(seconds=n)).isoformat(),
                            "text": f"Waiting for order #{n} since Monday, nobody answers",
                            "author": {"handle": f"customer{n % 500}", "followers": 14 + n % 900},
                            "language": "en",
                        }
                    ]
                },
                separators=(",", ":"),
            )
            digest = hmac.new(SECRET.encode(), f"{stamp}.{body}".encode(), hashlib.sha256)
            handle.write(f"{stamp}\tv1={digest.hexdigest()}\t{body}\n")

    env = dict(
        os.environ,
        DATABASE_URL=url,
        DEBUG="false",
        # Plain HTTP on loopback, as behind the TLS-terminating proxy production runs behind.
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="0",
        CONN_MAX_AGE="60",
        LOG_LEVEL="WARNING",
        REDIS_URL=settings.REDIS_URL,
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CELERY_RESULT_BACKEND=settings.CELERY_RESULT_BACKEND,
    )
    venv = ROOT / ".venv" / "bin"
    server = subprocess.Popen(
        [
            str(venv / "gunicorn"),
            "agency.wsgi:application",
            "-b",
            f"127.0.0.1:{PORT}",
            "-w",
            os.environ.get("BENCH_GUNICORN_WORKERS", "2"),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    worker = (
        None
        if os.environ.get("BENCH_NO_WORKER")
        else subprocess.Popen(
            worker_command(venv),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(folder / "worker.log").open("w"),
        )
    )
    try:
        health = urllib.request.Request(
            f"http://127.0.0.1:{PORT}/healthz", headers={"Host": settings.BASE_DOMAIN}
        )
        for _ in range(100):
            try:
                if urllib.request.urlopen(health, timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        wrk_env = dict(
            os.environ,
            REQUESTS_FILE=str(requests_file),
            PACE_MS=str(PACE_MS),
            THREADS=str(THREADS),
            BENCH_HOST=f"bench.{settings.BASE_DOMAIN}",
            BENCH_PATH=f"/api/v1/hooks/{source.public_id}/",
        )
        output = subprocess.run(
            [
                "wrk",
                f"-t{THREADS}",
                f"-c{CONNECTIONS}",
                f"-d{SECONDS}s",
                "--timeout",
                "5s",
                "-s",
                str(ROOT / "bench" / "webhook.lua"),
                f"http://127.0.0.1:{PORT}",
            ],
            env=wrk_env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        for process in (server, worker):
            if process is not None:
                process.terminate()
                process.wait(20)

    line = next(line for line in output.splitlines() if line.startswith("WRK "))
    stats = {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)}
    rps = stats["requests"] / stats["duration_s"]
    with tenancy.tenant_context(client):
        stored = Mention.objects.filter(source=source).count()
        processed = Mention.objects.filter(source=source, processed_at__isnull=False).count()
    figures = {
        "webhook_rps": round(rps, 1),
        "webhook_p50_ms": stats["p50_ms"],
        "webhook_p95_ms": stats["p95_ms"],
        "webhook_p99_ms": stats["p99_ms"],
        "webhook_errors": int(stats["errors"] + stats["non2xx"]),
        "mentions_stored": stored,
    }
    update_results(
        "Webhook path",
        f"""{machine_line()}; `bin/bench webhook`.

gunicorn, 2 sync workers, and a Celery worker on the same 2 cores; wrk, {CONNECTIONS} connections
paced to 200 requests/s for {SECONDS} s; each request a signed batch of one new mention
(signature and replay-window check, validation, storage, hand-off).

| figure | value | target |
|---|---|---|
| rate achieved | {rps:.1f} requests/s | 200 |
| latency p50 | {stats["p50_ms"]:.2f} ms | |
| **latency p95** | {stats["p95_ms"]:.2f} ms | < 20 ms |
| latency p99 | {stats["p99_ms"]:.2f} ms | |
| errors and non-2xx | {int(stats["errors"] + stats["non2xx"])} | 0 |
| mentions stored (= requests sent) | {stored:,} of {int(stats["requests"]):,} | |
| of which processed by the worker by the end | {processed:,} | |
""",
    )
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
