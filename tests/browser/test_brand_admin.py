"""A brand's exports and offboarding in Chromium: a manager queues an export from the
settings page's link, on a phone; the offboarding form refuses a wrong slug; accessibility."""

from __future__ import annotations

import pytest

from clients.models import ClientExport
from clients.services import schema_exists
from tests.browser.conftest import PHONE, log_in, serious, shot

pytestmark = [pytest.mark.django_db, pytest.mark.browser]


def test_a_manager_exports_and_is_stopped_by_a_wrong_slug_on_a_phone(world, site, chromium):
    page = log_in(chromium, site, world.manager.email, viewport=PHONE)
    page.goto(site.url("alpha.agency.localhost", "/settings/"))
    page.click("text=Exports and offboarding")
    page.wait_for_selector("h1:has-text('exports and offboarding')")
    assert serious(page) == []
    page.click("text=Export the brand's data")
    page.wait_for_selector("text=The export is queued")
    assert ClientExport.objects.filter(client=world.alpha, status="queued").count() == 1
    page.fill("input[name=confirm]", "bravo")
    page.click("text=Archive and offboard")
    page.wait_for_selector("text=Type alpha exactly to offboard the brand.")
    assert schema_exists("brand_alpha")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "brand-admin-phone")
    assert serious(page) == []
    page.close()
