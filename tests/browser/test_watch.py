"""The watch log in Chromium: staff on a phone press "Checked: all quiet" and see their check in
the log, the check due notice goes; a client viewer reads the log on a desk without a control
that writes; the dashboard's "Checked" button comes back to the dashboard; accessibility."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from clients import tenancy
from monitoring.models import WatchCheck
from tests.browser.conftest import PHONE, log_in, serious, shot
from tests.monitoring.factories import make_alert

pytestmark = [pytest.mark.django_db, pytest.mark.browser]

HOST = "alpha.agency.localhost"


def test_staff_check_on_a_phone_and_see_it_in_the_log(world, site, chromium):
    make_alert(world.alpha)  # an open alert to cite
    page = log_in(chromium, site, world.staff_a.email, viewport=PHONE)
    page.goto(site.url(HOST, "/watch/"))
    assert page.locator(".watch-due").is_visible()
    assert "Check due" in page.inner_text(".watch-due")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "watch-phone-due")
    assert serious(page) == []
    page.click("text=Checked: all quiet")
    page.wait_for_selector("text=Checked: all quiet.")
    assert page.locator(".watch-due").count() == 0
    log = page.inner_text(".watch-checks")
    assert "checked: quiet" in log and world.staff_a.email in log
    assert "(+01:00)" in log or "(+02:00)" in log
    page.click("text=Check with a note or an alert")
    page.fill("textarea[name=note]", "Two angry posts, the alert covers them")
    page.select_option("select[name=alert]", index=1)
    page.click("text=Record the check")
    page.wait_for_selector("text=Two angry posts, the alert covers them")
    assert "see alert" in page.inner_text(".watch-checks")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "watch-phone-checked")
    assert serious(page) == []
    with tenancy.tenant_context(world.alpha):
        assert list(WatchCheck.objects.values_list("outcome", flat=True)) == ["alert", "quiet"]
    tenancy.reset_to_public()
    page.close()


def test_the_dashboard_button_checks_and_comes_back(world, site, chromium):
    page = log_in(chromium, site, world.staff_a.email)
    page.goto(site.url(HOST, "/"))
    page.click(".dash-check button")
    page.wait_for_selector("text=Checked: all quiet.")
    assert page.url.endswith("/") and "/watch/" not in page.url
    shot(page, "watch-dashboard-checked")
    assert serious(page) == []
    with tenancy.tenant_context(world.alpha):
        assert WatchCheck.objects.get().by == world.staff_a.email
    tenancy.reset_to_public()
    page.close()


def test_a_viewer_reads_the_log_without_controls(world, site, chromium):
    with tenancy.tenant_context(world.alpha):
        WatchCheck.objects.create(
            checked_at=timezone.now() - timedelta(minutes=12),
            by=world.staff_a.email,
            outcome="quiet",
            note="All quiet on Instagram",
        )
    tenancy.reset_to_public()
    page = log_in(chromium, site, world.viewer_a.email)
    page.goto(site.url(HOST, "/watch/"))
    assert "All quiet on Instagram" in page.inner_text(".watch-checks")
    assert f"{world.staff_a.email} (1)" in page.inner_text("main")
    assert page.locator("form[method=post] button").count() == 1  # log out, nothing else
    shot(page, "watch-desk-viewer")
    assert serious(page) == []
    page.close()
