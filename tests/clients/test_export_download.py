"""An export end to end, against the real broker: requested over the API, written by a worker,
listed with its link, downloaded as a zip that holds the brand's data and no other's."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from celery.contrib.testing.worker import start_worker

from agency.celery import app
from agency.models import AuditEvent
from clients.models import ClientExport
from clients.tasks import client_export_run
from tests.conftest import ALPHA_FOLLOWERS, api_client


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker):
    # As in test_tasks: the worker thread reads committed rows.
    with (
        django_db_blocker.unblock(),
        start_worker(
            app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30
        ) as running,
    ):
        yield running


def test_a_requested_export_downloads_as_the_brands_archive(world, worker, settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path
    manager = api_client(world, world.manager, None, token=True)
    queued = manager.post("/api/v1/clients/alpha/exports/")
    assert queued.status_code == 202 and queued.json()["download_url"] is None
    export_id = queued.json()["id"]
    try:
        # The request sent the task on commit; this second run waits for it (and is a no-op).
        path = client_export_run.delay(schema_name="brand_alpha", export_id=export_id).get(
            timeout=60
        )
        listed = manager.get("/api/v1/clients/alpha/exports/").json()["results"]
        [export] = [e for e in listed if e["id"] == export_id]
        assert export["status"] == "done" and export["download_url"]
        url = urlsplit(export["download_url"]).path
        response = manager.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/zip"
        assert response["Content-Disposition"] == f'attachment; filename="{Path(path).name}"'
        body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        assert len(body) == export["size_bytes"]
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            assert archive.testzip() is None
            manifest = json.loads(archive.read("manifest.json"))
            settings_rows = list(
                csv.DictReader(io.StringIO(archive.read("monitoring.brandsettings.csv").decode()))
            )
        assert manifest["brand"]["slug"] == "alpha"
        assert [int(r["multiplier_min_followers"]) for r in settings_rows] == [ALPHA_FOLLOWERS]
        # bravo's address does not serve alpha's archive; staff may not download at all
        assert manager.get(url.replace("/alpha/", "/bravo/")).status_code == 404
        assert api_client(world, world.staff_a, None).get(url).status_code == 403
    finally:  # committed rows: leave the session's database as it was
        AuditEvent.objects.filter(verb="client.export_requested", detail__export=export_id).delete()
        for export in ClientExport.objects.filter(pk=export_id):
            if export.path:
                Path(export.path).unlink(missing_ok=True)
            export.delete()
