"""The brand dashboard in Chromium: its charts at desk and phone size, the ranges, accessibility."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, log_in, serious, shot
from tests.monitoring.test_dashboard import dashboard_world

pytestmark = [pytest.mark.django_db, pytest.mark.browser]


def test_the_dashboard_on_a_desk_and_on_a_phone(world, site, chromium):
    dashboard_world(world)
    page = log_in(chromium, site, world.staff_a.email)
    page.goto(site.url("alpha.agency.localhost", "/"))
    assert page.locator(".for-desk .chart > svg polyline").count() == 2
    assert page.locator(".for-desk .chart > svg rect.band.level-crisis").count() == 1
    assert page.locator("svg.shares").count() == 2
    shot(page, "dashboard")
    assert serious(page) == []
    page.click("text=48 hours, by hour")
    page.wait_for_url("**/?by=hour")
    assert page.locator(".ranges a[aria-current=page]").inner_text() == "48 hours, by hour"
    page.close()

    phone = log_in(chromium, site, world.viewer_a.email, viewport=PHONE)
    phone.goto(site.url("alpha.agency.localhost", "/"))
    assert phone.locator(".for-phone .chart > svg polyline").count() == 2
    assert not phone.locator(".for-desk").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert "@nosnieuws" in phone.inner_text(".multipliers-table")
    shot(phone, "dashboard-phone-viewer")
    assert serious(phone) == []
    phone.close()
