"""Host routing: the agency portal, brand hosts, and hosts that belong to nobody."""

import pytest
from django.test import Client as HttpClient

from tests.conftest import api_client

pytestmark = pytest.mark.django_db


def test_an_unknown_host_is_a_clear_404(world):
    response = HttpClient(HTTP_HOST="nobody.agency.localhost").get("/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "No brand answers on <strong>nobody.agency.localhost</strong>" in text
    assert "Alpha" not in text and "Bravo" not in text


def test_an_unknown_host_is_a_404_even_when_signed_in(world):
    api = api_client(world, world.admin, None)
    api.defaults["HTTP_HOST"] = "nobody.agency.localhost"
    response = api.get("/api/v1/clients/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_host"
    assert api.get("/admin/").status_code == 404


def test_a_foreign_host_is_refused(world):
    # Not in ALLOWED_HOSTS: the tenant middleware answers 404 before any lookup.
    response = HttpClient(HTTP_HOST="evil.example.com").get("/")
    assert response.status_code == 404
    assert b"Alpha" not in response.content


def test_the_portal_lists_the_users_brands(world):
    page = HttpClient(HTTP_HOST="agency.localhost")
    page.force_login(world.staff_a)
    text = page.get("/").content.decode()
    assert "Alpha Bakery" in text and "Bravo Boats" not in text
    page.force_login(world.admin)
    text = page.get("/").content.decode()
    assert "Alpha Bakery" in text and "Bravo Boats" in text


def test_a_brand_page_shows_that_brand(world):
    page = HttpClient(HTTP_HOST="bravo.agency.localhost")
    page.force_login(world.viewer_b)
    response = page.get("/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Bravo Boats" in text and "22222" in text and "Alpha" not in text


def test_health_check_reports_database_and_cache(world):
    response = HttpClient(HTTP_HOST="agency.localhost").get("/healthz")
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
