"""The Django admin on the portal host: Stormdesk's own models listed, read-only where a
service does the writing, not reachable on a brand host, closed to people without staff rights."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from tests.agency.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELISTS = (
    "/admin/agency/user/",
    "/admin/agency/membership/",
    "/admin/agency/auditevent/",
    "/admin/agency/brandstatus/",
    "/admin/agency/schedule/",
    "/admin/agency/schedulelayer/",
    "/admin/agency/scheduleoverride/",
    "/admin/agency/leave/",
    "/admin/agency/shiftswap/",
    "/admin/clients/client/",
    "/admin/clients/domain/",
)


def admin_browser(host: str = "agency.localhost") -> HttpClient:
    browser = HttpClient(HTTP_HOST=host)
    browser.force_login(UserFactory(is_staff=True, is_superuser=True))  # type: ignore[arg-type]
    return browser


def test_the_admin_lists_stormdesks_models(world):
    browser = admin_browser()
    index = browser.get("/admin/").content.decode()
    for name in ("Users", "Memberships", "Audit events", "Brand statuses", "Clients", "Domains"):
        assert name in index
    for path in CHANGELISTS:
        assert browser.get(path).status_code == 200, path
    brands = browser.get("/admin/clients/client/").content.decode()
    assert "Alpha Bakery" in brands and "Bravo Boats" in brands


def test_rows_services_write_cannot_be_added_or_deleted_here(world):
    browser = admin_browser()
    for path in CHANGELISTS:
        assert browser.get(path + "add/").status_code == 403, path
    client_page = browser.get(f"/admin/clients/client/{world.alpha.pk}/change/")
    assert client_page.status_code == 200
    assert 'name="name"' not in client_page.content.decode()  # shown, not editable
    assert browser.get(f"/admin/clients/client/{world.alpha.pk}/delete/").status_code == 403


def test_the_admin_is_closed_to_others_and_absent_on_brand_hosts(world):
    staff = HttpClient(HTTP_HOST="agency.localhost")
    staff.force_login(world.staff_a)
    response = staff.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    # an agency admin opens every brand host, where there is no admin to open
    brand = HttpClient(HTTP_HOST="alpha.agency.localhost")
    brand.force_login(world.admin)
    assert brand.get("/").status_code == 200
    assert brand.get("/admin/").status_code == 404
