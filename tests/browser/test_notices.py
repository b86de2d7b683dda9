"""The employee notice in Chromium: staff upload the employee list and send the notice at a
desk; an employee opens their personal link on a phone, logged out; the staff page's read
count goes to 1 by itself (htmx)."""

from __future__ import annotations

import re

import pytest

from agency.models import Notification
from clients import tenancy
from playbooks.models import NoticeReceipt
from tests.browser.conftest import PHONE, log_in, serious, shot
from tests.playbooks.test_notices import incident_of

pytestmark = [pytest.mark.django_db, pytest.mark.browser]

HOST = "alpha.agency.localhost"


def test_staff_send_the_notice_and_an_employee_reads_it_on_a_phone(world, site, chromium, tmp_path):
    incident = incident_of(world.alpha, by=world.staff_a)
    csv = tmp_path / "staff.csv"
    csv.write_text(
        "email;name;department;language\nanna@alpha.test;Anna;Sales;nl\nbob@;Bob;;\n"
        "ben@alpha.test;Ben;Support;en\n",
        encoding="utf-8-sig",
    )
    staff = log_in(chromium, site, world.staff_a.email)
    staff.goto(site.url(HOST, "/employees/"))
    staff.set_input_files("input[type=file]", str(csv))
    staff.click("text=Upload and import")
    staff.wait_for_selector("text=2 new, 0 updated, 1 row not stored.")
    assert "line 3: 'bob@' is not an e-mail address" in staff.inner_text(".import-errors")
    shot(staff, "employees-import")
    assert serious(staff) == []

    staff.goto(site.url(HOST, f"/incidents/{incident.pk}/notice/"))
    assert "Alpha Bakery" in staff.input_value("input[name=subject]")
    assert "LinkedIn" in staff.input_value("textarea[name=body]")
    staff.fill("input[name=remind_after_minutes]", "20")
    assert serious(staff) == []
    staff.click("text=Send to the employees")
    staff.wait_for_selector("text=The notice went to 2 employees.")
    assert "0 of 2 read" in staff.inner_text("#notice-counts")
    shot(staff, "notice-sent")

    (anna,) = [
        n for n in Notification.objects.filter(topic="notice") if n.to_address.startswith("anna")
    ]
    path = re.sub(r"^https?://[^/]+", "", anna.link)
    employee = chromium.new_page(viewport=PHONE)  # a context of its own: logged out
    employee.goto(site.url(HOST, path))
    assert "LinkedIn" in employee.inner_text(".notice-body")
    assert employee.locator("nav.brand-nav").count() == 0
    assert employee.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(employee, "notice-read-phone")
    assert serious(employee) == []
    with tenancy.tenant_context(world.alpha):
        assert NoticeReceipt.objects.filter(read_at__isnull=False).count() == 1
    tenancy.reset_to_public()

    # The staff page's count follows by itself (it polls every 15 s).
    staff.wait_for_selector("#notice-counts >> text=1 of 2 read", timeout=25_000)
    employee.close()
    staff.close()


def test_the_pages_on_a_phone_and_a_viewer_without_controls(world, site, chromium):
    incident = incident_of(world.alpha)
    from tests.playbooks.test_notices import send, with_employees

    with_employees(world, world.alpha)
    send(world, world.alpha, incident)
    viewer = log_in(chromium, site, world.viewer_a.email, viewport=PHONE)
    viewer.goto(site.url(HOST, "/employees/"))
    assert "anna@alpha.test" in viewer.inner_text("table.employees")
    assert viewer.locator("input[type=file]").count() == 0
    assert viewer.locator("text=Deactivate").count() == 0
    assert viewer.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(viewer, "employees-phone-viewer")
    assert serious(viewer) == []
    viewer.goto(site.url(HOST, f"/incidents/{incident.pk}/notice/"))
    assert "0 of 2 read" in viewer.inner_text("#notice-counts")
    assert viewer.locator("textarea").count() == 0
    assert viewer.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(viewer, "notice-phone-viewer")
    assert serious(viewer) == []
    viewer.close()
