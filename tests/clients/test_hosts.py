"""Host routing: the agency portal, brand hosts, and hosts that belong to nobody."""

import pytest
from django.test import Client as HttpClient

from clients.tenancy import host_normalize
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
    assert "Bravo Boats" in text and "Alpha" not in text
    # the brand's own settings, from its own schema (Alpha's threshold differs)
    assert "22222" in page.get("/settings/").content.decode()


def test_health_check_reports_database_and_cache(world):
    response = HttpClient(HTTP_HOST="agency.localhost").get("/healthz")
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


@pytest.mark.parametrize("host", ["ALPHA.agency.localhost", "Alpha.Agency.LOCALHOST"])
def test_host_names_are_case_insensitive(world, host):
    page = HttpClient(HTTP_HOST=host)
    page.force_login(world.viewer_a)
    response = page.get("/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Alpha Bakery" in text and "Bravo" not in text
    api = api_client(world, world.viewer_a, world.alpha)
    api.defaults["HTTP_HOST"] = host.replace("localhost", "localhost:8000")
    assert api.get("/api/v1/brand/").json()["slug"] == "alpha"
    # still alpha's host: bravo's viewer is refused there, and sees bravo on BRAVO's
    api.force_login(world.viewer_b)
    assert api.get("/api/v1/brand/").status_code == 403
    api.defaults["HTTP_HOST"] = host.replace("ALPHA", "BRAVO").replace("Alpha", "Bravo")
    assert api.get("/api/v1/brand/").json()["slug"] == "bravo"
    # the agency host too
    portal = HttpClient(HTTP_HOST="AGENCY.localhost")
    assert portal.get("/healthz").json()["status"] == "ok"


def test_an_unknown_host_in_capitals_is_still_unknown(world):
    response = HttpClient(HTTP_HOST="NOBODY.agency.localhost").get("/api/v1/brand/")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No brand answers on nobody.agency.localhost."
    assert host_normalize("Alpha.Agency.Localhost.:8000") == "alpha.agency.localhost"


def test_onboarding_stores_the_host_in_lower_case(world, settings):
    from clients.models import Domain
    from clients.services import client_onboard

    settings.BASE_DOMAIN = "Agency.LOCALHOST"
    client = client_onboard(name="Foxtrot Foods", slug="Foxtrot")
    assert Domain.objects.get(tenant=client).domain == "foxtrot.agency.localhost"
    assert client.slug == "foxtrot"
