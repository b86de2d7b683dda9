"""A real Celery worker in a separate process, on the test database and the test broker, for
the tests that kill one (SIGKILL) and start another."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def start_worker(**env: str) -> subprocess.Popen[bytes]:
    """A solo worker on the test database (as this process uses it); `env` adds settings.
    Its unacknowledged messages come back 2 s after it dies; its log is var/test-worker.log."""
    (ROOT / "var").mkdir(exist_ok=True)
    db = settings.DATABASES["default"]
    login = quote(db["USER"]) + (":" + quote(db["PASSWORD"]) if db.get("PASSWORD") else "")
    address = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    variables = dict(
        os.environ,
        DATABASE_URL=f"postgres://{login}@{address}/{db['NAME']}",
        CELERY_VISIBILITY_TIMEOUT="2",
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CELERY_RESULT_BACKEND=settings.CELERY_RESULT_BACKEND,
        REDIS_URL=settings.REDIS_URL,
        **env,
    )
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "agency",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
            "--without-mingle",
            "--without-gossip",
            "-n",
            f"test{time.time()}@%h",
        ],
        cwd=ROOT,
        env=variables,
        stdout=subprocess.DEVNULL,
        # What a failing test needs to see: the worker's warnings and tracebacks.
        stderr=(ROOT / "var" / "test-worker.log").open("ab"),
    )


def wait_for(condition, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def stop(*workers: subprocess.Popen[bytes] | None) -> None:
    for worker in workers:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            worker.wait(20)
