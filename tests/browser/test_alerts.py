"""The alert pages in Chromium: staff acknowledge then dismiss an alert from its page, a viewer
finds no control that writes, the detail on a phone, accessibility."""

from __future__ import annotations

import pytest

from clients import tenancy
from monitoring.models import Alert
from tests.browser.conftest import PHONE, log_in, serious, shot
from tests.monitoring.factories import make_alert
from tests.monitoring.test_alert_pages import with_wave

pytestmark = [pytest.mark.django_db, pytest.mark.browser]


def test_staff_acknowledge_and_dismiss_from_the_page(world, site, chromium):
    alert = with_wave(world.alpha)
    page = log_in(chromium, site, world.staff_a.email)
    page.goto(site.url("alpha.agency.localhost", f"/alerts/{alert.pk}/"))
    assert page.locator(".for-desk svg polyline").count() == 2  # Instagram and X
    assert not page.locator(".for-phone").is_visible()
    shot(page, "alert-detail")
    assert serious(page) == []
    page.click("text=Acknowledge: I am on it")
    page.wait_for_selector("text=Acknowledged: you are on it.")
    page.fill("textarea[name=reason]", "A competitor's giveaway, not about us")
    page.click("text=Dismiss as noise")
    page.wait_for_selector("text=Dismissed as noise.")
    assert page.locator("form[method=post] >> text=Acknowledge").count() == 0
    with tenancy.tenant_context(world.alpha):
        alert.refresh_from_db()
        assert (alert.status, alert.close_note) == (
            "dismissed",
            "A competitor's giveaway, not about us",
        )
        assert alert.acknowledged_by == world.staff_a.email
    tenancy.reset_to_public()
    page.goto(site.url("alpha.agency.localhost", "/alerts/?status=dismissed"))
    assert "Dismissed as noise" in page.inner_text("table.alerts")
    page.close()


def test_a_viewer_reads_the_alert_on_a_phone_without_controls(world, site, chromium):
    alert = make_alert(world.alpha, level="crisis")
    page = log_in(chromium, site, world.viewer_a.email, viewport=PHONE)
    page.goto(site.url("alpha.agency.localhost", f"/alerts/{alert.pk}/"))
    assert "crisis: 12 negative mentions" in page.inner_text("h1")
    assert page.locator("form[method=post] button").count() == 1  # log out, nothing else
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "alert-detail-phone-viewer")
    assert serious(page) == []
    page.goto(site.url("alpha.agency.localhost", "/alerts/"))
    shot(page, "alerts-phone-viewer")
    assert serious(page) == []
    with tenancy.tenant_context(world.alpha):
        assert Alert.objects.get(pk=alert.pk).status == "new"
    tenancy.reset_to_public()
    page.close()
