"""A real worker (a separate process, real Redis broker) is killed with SIGKILL in the middle of
an import; a new worker takes the redelivered task over. Nothing is lost, nothing is doubled,
and every mention is handed to processing exactly once."""

from __future__ import annotations

import csv
import signal
import time
from datetime import UTC, datetime, timedelta

from django.db import connection

from clients import tenancy
from monitoring.models import ImportJob, Mention
from monitoring.services.imports import import_job_create
from tests.monitoring.factories import make_source
from tests.monitoring.worker import start_worker, stop, wait_for

ROWS = 20_000
CHUNK = 500


def test_a_killed_worker_loses_nothing_and_doubles_nothing(world, committed, tmp_path, settings):
    settings.IMPORT_ROOT = tmp_path
    export = tmp_path / "export.csv"
    start = datetime(2026, 3, 1, tzinfo=UTC)
    with export.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Resource Id", "Date", "Full Text", "Author", "Twitter Followers"])
        for n in range(ROWS):
            writer.writerow(
                [f"r{n}", (start + timedelta(seconds=n)).isoformat(), f"post {n}", f"a{n % 300}", n]
            )
    source = make_source(world.alpha)
    first = start_worker(IMPORT_CHUNK_ROWS=str(CHUNK), IMPORT_ROOT=str(tmp_path))
    second = None
    try:
        with tenancy.tenant_context(world.alpha):
            job = import_job_create(
                client=world.alpha,
                source=source,
                filename="export.csv",
                chunks=[export.read_bytes()],
                acting_user=None,
            )

            def progress() -> int:
                return ImportJob.objects.get(pk=job.pk).next_row

            wait_for(lambda: progress() >= 2 * CHUNK, 60, "the first worker to commit two chunks")
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            stopped_at = progress()
            assert stopped_at < ROWS, "the worker finished before it could be killed"
            print(f"killed at row {stopped_at} of {ROWS}")
            # exactly the committed chunks are stored: nothing half-written
            assert Mention.objects.filter(source=source).count() == stopped_at
            assert stopped_at % CHUNK == 0

            time.sleep(2.5)  # past the visibility timeout: the broker gives the task back
            second = start_worker(IMPORT_CHUNK_ROWS=str(CHUNK), IMPORT_ROOT=str(tmp_path))
            wait_for(lambda: ImportJob.objects.get(pk=job.pk).status == "done", 120, "the import")
            job.refresh_from_db()
            assert (job.next_row, job.accepted, job.duplicates, job.rejected) == (ROWS, ROWS, 0, 0)
            assert Mention.objects.filter(source=source).count() == ROWS
            assert (
                Mention.objects.filter(source=source).values("external_id").distinct().count()
                == ROWS
            )
            # the hand-off: every stored mention is processed, by whichever worker was alive
            wait_for(
                lambda: (
                    not Mention.objects.filter(source=source, processed_at__isnull=True).exists()
                ),
                120,
                "processing",
            )
            # the other brand saw none of it
        with tenancy.tenant_context(world.bravo):
            assert not Mention.objects.exists()
    finally:
        stop(first, second)
        with tenancy.tenant_context(world.alpha):
            source.delete()
        connection.close()
