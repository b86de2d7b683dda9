"""Celery against the real Redis broker: a worker thread runs tasks of brands A and B interleaved,
and each task sees its own brand only; a task without a brand fails loudly."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker

from agency.celery import app
from clients.exceptions import MissingTenantError
from clients.models import ClientExport
from clients.tasks import client_export_run
from tests.conftest import ALPHA_FOLLOWERS, BRAVO_FOLLOWERS


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker):
    # The worker thread needs the database, and the rows it reads must be committed.
    with (
        django_db_blocker.unblock(),
        start_worker(
            app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30
        ) as running,
    ):
        yield running


def _followers(path: str) -> tuple[int, str]:
    with zipfile.ZipFile(path) as archive:
        rows = list(
            csv.DictReader(io.StringIO(archive.read("monitoring.brandsettings.csv").decode()))
        )
        manifest = json.loads(archive.read("manifest.json"))
    assert len(rows) == 1
    return int(rows[0]["multiplier_min_followers"]), manifest["brand"]["slug"]


def test_interleaved_tasks_of_two_brands_never_cross(world, worker):
    exports = []
    for client in [world.alpha, world.bravo] * 4:
        export = ClientExport.objects.create(
            client=client, client_slug=client.slug, schema_name=client.schema_name
        )
        exports.append(
            (
                client,
                export,
                client_export_run.delay(schema_name=client.schema_name, export_id=export.pk),
            )
        )
    try:
        for client, export, result in exports:
            path = result.get(timeout=60)
            followers, slug = _followers(path)
            assert slug == client.slug
            assert Path(path).parent.name == client.slug
            assert followers == {"alpha": ALPHA_FOLLOWERS, "bravo": BRAVO_FOLLOWERS}[client.slug]
            export.refresh_from_db()
            assert export.status == "done" and export.path == path
    finally:
        for _, export, _ in exports:
            export.refresh_from_db()
            if export.path:
                Path(export.path).unlink(missing_ok=True)
            export.delete()


def test_running_a_task_twice_changes_nothing(world, worker):
    export = ClientExport.objects.create(
        client=world.alpha, client_slug="alpha", schema_name=world.alpha.schema_name
    )
    try:
        first = client_export_run.delay(schema_name="brand_alpha", export_id=export.pk).get(
            timeout=60
        )
        second = client_export_run.delay(schema_name="brand_alpha", export_id=export.pk).get(
            timeout=60
        )
        assert first == second
    finally:
        Path(first).unlink(missing_ok=True)
        export.delete()


def test_a_task_for_one_brand_cannot_reach_anothers_export(world, worker):
    export = ClientExport.objects.create(
        client=world.alpha, client_slug="alpha", schema_name=world.alpha.schema_name
    )
    try:
        # bravo's schema with alpha's export id: the task finds nothing to do.
        result = client_export_run.delay(schema_name=world.bravo.schema_name, export_id=export.pk)
        assert result.get(timeout=60) is None
        export.refresh_from_db()
        assert export.status == "queued" and export.path == ""
    finally:
        export.delete()


def test_sending_without_a_brand_fails_at_once(world):
    with pytest.raises(MissingTenantError, match="schema_name"):
        client_export_run.delay(export_id=1)
    with pytest.raises(MissingTenantError):
        client_export_run.delay(schema_name="public", export_id=1)


def test_a_message_without_a_brand_fails_in_the_worker(world, worker):
    # Sent by name, bypassing the client-side check, as another service might.
    result = app.send_task("clients.tasks.client_export_run", kwargs={"export_id": 1})
    with pytest.raises(Exception, match="must be sent with schema_name") as error:
        result.get(timeout=60)
    assert type(error.value).__name__ == "MissingTenantError"
    assert result.state == "FAILURE"
