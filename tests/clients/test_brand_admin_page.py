"""A brand's exports and offboarding on the portal: agency admins and account managers request
an export, download it through the API's link, and offboard a brand after typing its slug;
staff, viewers and outsiders may not, and no brand is offboarded by mistake."""

from __future__ import annotations

import zipfile

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from clients import tenancy
from clients.models import Client, ClientExport
from clients.services import client_export_write, client_onboard, schema_exists

pytestmark = pytest.mark.django_db


def portal(world, user) -> HttpClient:  # type: ignore[no-untyped-def]
    browser = HttpClient(HTTP_HOST=world.host(None))
    browser.force_login(user)
    return browser


def test_a_manager_exports_the_brand_and_downloads_the_archive(
    world, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.EXPORT_ROOT = tmp_path
    manager = portal(world, world.manager)
    page = manager.get("/brands/alpha/").content.decode()
    assert "Export the brand's data" in page and "No export yet." in page
    with django_capture_on_commit_callbacks(execute=False):  # the worker writes it below
        queued = manager.post("/brands/alpha/export/", follow=True)
    assert "The export is queued" in queued.content.decode()
    export = ClientExport.objects.get(client=world.alpha)
    assert (export.status, export.requested_by) == ("queued", world.manager)
    with tenancy.tenant_context(world.alpha):
        client_export_write(export=export)
    tenancy.reset_to_public()
    page = manager.get("/brands/alpha/").content.decode()
    link = f"/api/v1/clients/alpha/exports/{export.pk}/download/"
    assert f'href="{link}"' in page and "Done" in page
    download = manager.get(link)
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    archive = tmp_path / "download.zip"
    archive.write_bytes(b"".join(download.streaming_content))  # type: ignore[attr-defined]
    assert "manifest.json" in zipfile.ZipFile(archive).namelist()
    # bravo's page lists none of alpha's exports
    assert link not in manager.get("/brands/bravo/").content.decode()


@pytest.mark.parametrize("who", ["staff_a", "viewer_a", "outsider"])
def test_nobody_else_may_export_or_offboard(world, who):
    browser = portal(world, getattr(world, who))
    assert browser.get("/brands/alpha/").status_code == 403
    assert browser.post("/brands/alpha/export/").status_code == 403
    assert browser.post("/brands/alpha/offboard/", {"confirm": "alpha"}).status_code == 403
    assert not ClientExport.objects.exists() and schema_exists("brand_alpha")


def test_an_unknown_brand_is_not_found_and_the_pages_are_on_the_portal_only(world):
    manager = portal(world, world.manager)
    assert manager.get("/brands/nope/").status_code == 404
    assert manager.post("/brands/nope/offboard/", {"confirm": "nope"}).status_code == 404
    on_brand = HttpClient(HTTP_HOST=world.host(world.alpha))
    on_brand.force_login(world.manager)
    assert on_brand.get("/brands/alpha/").status_code == 404


def test_offboarding_needs_the_slug_typed_then_archives_and_drops(world, settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path
    client_onboard(name="Kilo Kites", slug="kilo")
    tenancy.reset_to_public()
    admin = portal(world, world.admin)
    for typed in ("", "Kilo", "alpha", "kilo kites"):
        refused = admin.post("/brands/kilo/offboard/", {"confirm": typed})
        assert refused.status_code == 400, typed
    assert "Type kilo exactly" in refused.content.decode()
    assert schema_exists("brand_kilo")
    done = admin.post("/brands/kilo/offboard/", {"confirm": " kilo "}, follow=True)
    assert done.status_code == 200
    assert "Kilo Kites is offboarded; its archive is kept as kilo-" in done.content.decode()
    assert not schema_exists("brand_kilo") and not Client.objects.filter(slug="kilo").exists()
    assert list(tmp_path.glob("kilo/kilo-*.zip"))
    assert schema_exists("brand_alpha") and schema_exists("brand_bravo")


def test_the_page_costs_the_same_queries_for_any_number_of_exports(world):
    manager = portal(world, world.manager)
    manager.get("/brands/alpha/")  # warm

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert manager.get("/brands/alpha/").status_code == 200
        return len(captured)

    few = count()
    for _ in range(5):
        ClientExport.objects.create(
            client=world.alpha, client_slug="alpha", schema_name="brand_alpha"
        )
    assert count() == few == ADMIN_PAGE_QUERIES


ADMIN_PAGE_QUERIES = 7
