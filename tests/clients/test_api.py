"""The agency-host API: brands, onboarding, exports and offboarding, with JSON errors."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from clients.models import Client, ClientExport
from clients.services import schema_exists
from tests.conftest import api_client

pytestmark = pytest.mark.django_db


def test_agency_wide_roles_list_every_brand(world, django_assert_num_queries):
    api = api_client(world, world.manager, None, token=True)
    # search path, host, search path of the host's tenant, token, role, agency-wide check, one
    # page of brands: the same for any number of brands
    with django_assert_num_queries(7):
        body = api.get("/api/v1/clients/").json()
    assert [c["slug"] for c in body["results"]] == ["alpha", "bravo"]
    assert body["results"][0]["url"] == "http://alpha.agency.localhost:8000/"


def test_staff_list_only_their_brands_and_cannot_open_others(world):
    api = api_client(world, world.staff_a, None)
    assert [c["slug"] for c in api.get("/api/v1/clients/").json()["results"]] == ["alpha"]
    assert api.get("/api/v1/clients/alpha/").status_code == 200
    response = api.get("/api/v1/clients/bravo/")
    assert response.status_code == 404
    assert "Bravo" not in response.content.decode()


def test_a_manager_onboards_a_brand_over_the_api(world):
    api = api_client(world, world.manager, None, token=True)
    response = api.post(
        "/api/v1/clients/",
        {"name": "Golf Gear", "slug": "golf", "timezone": "Europe/Berlin", "language": "de"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["url"] == "http://golf.agency.localhost:8000/"
    assert schema_exists("brand_golf")
    # and the brand answers on its host at once, to the manager only
    assert (
        api_client(world, world.manager, Client.objects.get(slug="golf"))
        .get("/api/v1/brand/")
        .json()["timezone"]
        == "Europe/Berlin"
    )
    assert (
        api_client(world, world.staff_a, Client.objects.get(slug="golf"))
        .get("/api/v1/brand/")
        .status_code
        == 403
    )


@pytest.mark.parametrize("who", ["staff_a", "viewer_a", "outsider"])
def test_only_admins_and_managers_onboard(world, who):
    response = api_client(world, getattr(world, who), None).post(
        "/api/v1/clients/", {"name": "Hotel", "slug": "hotel"}, format="json"
    )
    assert response.status_code == 403
    assert not Client.objects.filter(slug="hotel").exists()


def test_onboarding_errors_name_the_field(world):
    api = api_client(world, world.admin, None)
    cases = [
        ({"name": "India", "slug": "alpha"}, 409, "slug", "already exists"),
        ({"name": "India", "slug": "In dia"}, 400, "slug", "lowercase"),
        ({"name": "India", "slug": "india", "timezone": "Nowhere"}, 400, "timezone", "IANA"),
        ({"name": "India", "slug": "india", "language": "tlh"}, 400, "language", "valid choice"),
        ({"slug": "india"}, 400, "name", "required"),
        ({"name": "India", "slug": "india", "colour": "red"}, 400, "colour", "Unknown field"),
    ]
    for payload, status, field, message in cases:
        response = api.post("/api/v1/clients/", payload, format="json")
        assert response.status_code == status, (payload, response.content)
        error = response.json()["error"]
        assert error["status"] == status
        assert field in error["fields"], (payload, error)
        assert message in " ".join(error["fields"][field]), (payload, error)
    assert not schema_exists("brand_india")


def test_malformed_json_is_a_json_error(world):
    response = api_client(world, world.admin, None).post(
        "/api/v1/clients/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_an_unknown_api_path_is_json_404(world):
    response = api_client(world, world.admin, None).get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_manager_queues_an_export_and_staff_cannot(world, django_capture_on_commit_callbacks):
    api = api_client(world, world.manager, None)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api.post("/api/v1/clients/alpha/exports/")
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert len(callbacks) == 1  # the task is sent after commit, not inside the transaction
    listed = api.get("/api/v1/clients/alpha/exports/").json()
    # a cursor page, as every list of the API
    assert [e["id"] for e in listed["results"]] == [response.json()["id"]]
    assert listed["next"] is None
    assert api.get("/api/v1/clients/bravo/exports/").json()["results"] == []
    staff = api_client(world, world.staff_a, None)
    assert staff.post("/api/v1/clients/alpha/exports/").status_code == 403


def test_offboarding_over_the_api(world, settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path
    admin = api_client(world, world.admin, None)
    assert (
        admin.post(
            "/api/v1/clients/", {"name": "Juliet", "slug": "juliet"}, format="json"
        ).status_code
        == 201
    )
    juliet = Client.objects.get(slug="juliet")  # its host answers (and is remembered)
    assert api_client(world, world.admin, juliet).get("/api/v1/brand/").status_code == 200
    assert (
        api_client(world, world.staff_a, None).delete("/api/v1/clients/juliet/").status_code == 403
    )
    response = admin.delete("/api/v1/clients/juliet/")
    assert response.status_code == 200
    body = response.json()
    assert (
        body["status"] == "done" and body["client_slug"] == "juliet" and len(body["sha256"]) == 64
    )
    assert not schema_exists("brand_juliet")
    assert list(tmp_path.glob("juliet/juliet-*.zip"))
    assert admin.get("/api/v1/clients/juliet/").status_code == 404
    # its host is forgotten at once: no request reaches the dropped schema
    assert (
        api_client(world, world.admin, None)
        .get("/api/v1/brand/", HTTP_HOST="juliet.agency.localhost")
        .json()["error"]["code"]
        == "unknown_host"
    )


# --- Downloading an export ------------------------------------------------------------------


def _finished_export(client: Client, root: Path, name: str = "archive.zip") -> ClientExport:
    """A finished export of `client` as client_export_write leaves it, its zip under `root`."""
    folder = root / client.slug
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", json.dumps({"brand": {"slug": client.slug}}))
    return ClientExport.objects.create(
        client=client,
        client_slug=client.slug,
        schema_name=client.schema_name,
        status="done",
        path=str(path),
        size_bytes=path.stat().st_size,
    )


def test_a_finished_export_is_listed_with_a_link_that_downloads_it(
    world, settings, tmp_path, django_assert_num_queries
):
    settings.EXPORT_ROOT = tmp_path
    done = _finished_export(world.alpha, tmp_path)
    ClientExport.objects.create(client=world.alpha, client_slug="alpha", schema_name="brand_alpha")
    api = api_client(world, world.manager, None, token=True)
    # search path, host, search path of the host's tenant, token, role (the permission and the
    # brands the user covers each ask), manages-clients check, the brand, one page of its
    # exports with who asked: the same for any number of exports
    with django_assert_num_queries(9):
        listed = api.get("/api/v1/clients/alpha/exports/").json()["results"]
    links = {e["id"]: e["download_url"] for e in listed}
    assert links[done.pk] == (
        f"http://{world.host(None)}/api/v1/clients/alpha/exports/{done.pk}/download/"
    )
    assert [link for pk, link in links.items() if pk != done.pk] == [None]  # still queued
    response = api.get(urlsplit(links[done.pk]).path)
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="archive.zip"'
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert json.loads(archive.read("manifest.json"))["brand"]["slug"] == "alpha"


@pytest.mark.parametrize("who", ["staff_a", "viewer_a", "outsider", "staff_b"])
def test_only_those_who_may_request_exports_download_them(world, settings, tmp_path, who):
    settings.EXPORT_ROOT = tmp_path
    done = _finished_export(world.alpha, tmp_path)
    url = f"/api/v1/clients/alpha/exports/{done.pk}/download/"
    response = api_client(world, getattr(world, who), None).get(url)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert api_client(world, None, None).get(url).status_code in (401, 403)
    # and not on a brand's host either: there is no such door there
    assert api_client(world, world.admin, world.alpha).get(url).status_code == 404


def test_an_export_downloads_only_under_its_own_brand(world, settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path
    alphas = _finished_export(world.alpha, tmp_path)
    bravos = _finished_export(world.bravo, tmp_path)
    api = api_client(world, world.admin, None)
    response = api.get(f"/api/v1/clients/bravo/exports/{alphas.pk}/download/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert api.get(f"/api/v1/clients/bravo/exports/{bravos.pk}/download/").status_code == 200
    listed = api.get("/api/v1/clients/bravo/exports/").json()["results"]
    assert [e["id"] for e in listed] == [bravos.pk]


def test_no_file_is_served_but_a_finished_exports_own(world, settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path / "exports"
    api = api_client(world, world.admin, None)
    queued = ClientExport.objects.create(
        client=world.alpha, client_slug="alpha", schema_name="brand_alpha"
    )
    outside = _finished_export(world.alpha, tmp_path, "outside.zip")  # not under EXPORT_ROOT
    gone = _finished_export(world.alpha, tmp_path / "exports")
    Path(gone.path).unlink()
    for export_id in (queued.pk, outside.pk, gone.pk, 10**17):
        response = api.get(f"/api/v1/clients/alpha/exports/{export_id}/download/")
        assert response.status_code == 404, export_id
        assert response["Content-Type"] == "application/json"
    for path in (
        "/api/v1/clients/alpha/exports/-1/download/",
        "/api/v1/clients/alpha/exports/..%2F..%2Fetc%2Fpasswd/download/",
        f"/api/v1/clients/alpha/exports/{'9' * 40}/download/",
        "/api/v1/clients/nobody/exports/1/download/",
    ):
        assert api.get(path).status_code == 404, path
