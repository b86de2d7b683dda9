"""The response settings page in Chromium: staff change the office hours, the incidents and the
holidays and see the approval read-only; a manager switches the approval of crisis replies on;
a client viewer reads it all without a control; at desk and phone width, accessibility."""

from __future__ import annotations

from datetime import time

import pytest

from clients import tenancy
from playbooks.models import ResponseSettings
from playbooks.sending import approval_policy
from tests.browser.conftest import PHONE, log_in, serious, shot

pytestmark = [pytest.mark.django_db, pytest.mark.browser]

HOST = "alpha.agency.localhost"


def saved(world):  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(world.alpha):
        found = ResponseSettings.objects.get()
        required = approval_policy(client=world.alpha)
    tenancy.reset_to_public()
    return found, required


def test_staff_change_hours_incidents_and_holidays(world, site, chromium):
    page = log_in(chromium, site, world.staff_a.email)
    page.goto(site.url(HOST, "/settings/"))
    page.click('main a[href="/response-settings/"]')
    page.wait_for_url("**/response-settings/")
    assert "Europe/Amsterdam" in page.inner_text(".brand-clock")
    assert page.locator("input[name=approval_required]").count() == 0
    assert "Only an account manager or an admin changes this." in page.inner_text(".approval-read")
    assert serious(page) == []
    page.fill("input[name=office_starts]", "08:00")
    page.fill("input[name=office_ends]", "07:30")
    page.click("text=Save settings")
    page.wait_for_selector("text=Office hours end after they start, on the same day.")
    page.fill("input[name=office_ends]", "16:30")
    page.check("input[name=auto_incident_for_crisis][value=no]")
    page.click("text=Save settings")
    page.wait_for_selector(".messages >> text=Response settings saved.")
    for day in ("2031-12-26", "2031-12-25"):
        page.fill(".holiday-add input[name=day]", day)
        page.click(".holiday-add button[type=submit]")
        page.wait_for_selector(".messages >> text=Holiday added")
    days = page.locator(".holidays li").all_inner_texts()
    assert [d.split("\n")[0].split(" (")[0] for d in days] == [
        "Thursday 25 December 2031",
        "Friday 26 December 2031",
    ]
    shot(page, "response-settings-staff")
    assert serious(page) == []
    page.click(".holidays li:first-child >> text=Remove")
    page.wait_for_selector(".messages >> text=Holiday removed")
    current, required = saved(world)
    assert (current.office_starts, current.office_ends) == (time(8), time(16, 30))
    assert current.auto_incident_for_crisis is False and not required
    assert current.holidays == ["2031-12-26"]
    page.close()


def test_a_manager_asks_for_approval_of_crisis_replies(world, site, chromium):
    page = log_in(chromium, site, world.manager.email)
    page.goto(site.url(HOST, "/playbooks/"))
    page.click("text=Office hours and holidays")
    page.wait_for_url("**/response-settings/")
    page.check("input[name=approval_required][value=yes]")
    page.click("text=Save settings")
    page.wait_for_selector(".messages >> text=Response settings saved.")
    assert page.is_checked("input[name=approval_required][value=yes]")
    shot(page, "response-settings-manager")
    assert serious(page) == []
    assert saved(world)[1] is True
    with tenancy.tenant_context(world.bravo):
        assert approval_policy(client=world.bravo) is False
    tenancy.reset_to_public()
    page.close()


def test_a_viewer_reads_them_on_a_phone_and_staff_work_them_there(world, site, chromium):
    with tenancy.tenant_context(world.alpha):
        ResponseSettings.objects.update(holidays=["2031-12-25", "2020-04-27"])
    tenancy.reset_to_public()
    viewer = log_in(chromium, site, world.viewer_a.email, viewport=PHONE)
    viewer.goto(site.url(HOST, "/response-settings/"))
    text = viewer.inner_text("main")
    assert "09:00\u201317:00" in text and "Thursday 25 December 2031" in text
    assert viewer.locator("main form").count() == 0
    assert viewer.locator("main button, main input").count() == 0
    assert viewer.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(viewer, "response-settings-phone-viewer")
    assert serious(viewer) == []
    viewer.close()
    staff = log_in(chromium, site, world.staff_a.email, viewport=PHONE)
    staff.goto(site.url(HOST, "/response-settings/"))
    assert staff.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(staff, "response-settings-phone-staff")
    assert serious(staff) == []
    staff.fill(".holiday-add input[name=day]", "2032-01-01")
    staff.click(".holiday-add button[type=submit]")
    staff.wait_for_selector(".messages >> text=Holiday added")
    assert saved(world)[0].holidays == ["2020-04-27", "2031-12-25", "2032-01-01"]
    staff.close()
