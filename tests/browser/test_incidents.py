"""The incident pages in Chromium: staff open the incident from a crisis alert at night, see the
night playbook and why, tick the first step off and close with the review; the incident page on
a phone (no sideways scroll), accessibility."""

from __future__ import annotations

import re

import pytest

from clients import tenancy
from playbooks.models import Incident
from playbooks.services import incident_open
from tests.browser.conftest import PHONE, log_in, serious, shot
from tests.monitoring.test_escalation import raise_alert
from tests.playbooks.test_incidents import NIGHT

pytestmark = [pytest.mark.django_db, pytest.mark.browser]


def test_staff_open_work_and_close_an_incident_from_a_crisis_alert(world, site, chromium):
    alert = raise_alert(world.alpha, at=NIGHT)
    tenancy.reset_to_public()
    page = log_in(chromium, site, world.staff_a.email)
    page.goto(site.url("alpha.agency.localhost", f"/alerts/{alert.pk}/"))
    page.wait_for_selector("#incident-part button:has-text('Open incident')")  # loaded by htmx
    assert serious(page) == []
    page.click("text=Open incident")
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))
    assert "night + crisis → Nachtelijke crisis" in page.inner_text(".playbook")
    first = page.locator("li.step").first
    with tenancy.tenant_context(world.alpha):
        first_kind = Incident.objects.get(alert=alert).steps.order_by("position")[0].kind
    tenancy.reset_to_public()
    assert "due" in first.inner_text() and "(+01:00)" in first.inner_text()
    shot(page, "incident-opened")
    assert serious(page) == []
    first.locator("input[name=note]").fill("Seen: it started on Instagram")
    first.locator("button[type=submit]").click()
    page.wait_for_selector(".messages >> text=Done:")
    assert "Seen: it started on Instagram" in page.locator("li.step").first.inner_text()
    assert page.locator("li.step.done").count() == 1
    page.check("input[name=truth][value=partly]")
    page.fill("textarea[name=improvements]", "Keep the vans' cold chain checked")
    page.click("text=Close the incident")
    page.wait_for_selector("text=Closed, with its review.")
    assert "Keep the vans' cold chain checked" in page.inner_text(".review")
    assert page.locator("text=Close the incident").count() == 0
    timeline = page.inner_text(".timeline")
    assert timeline.index("Raised") < timeline.index("Step done") < timeline.index("Closed")
    shot(page, "incident-closed")
    assert serious(page) == []
    with tenancy.tenant_context(world.alpha):
        incident = Incident.objects.get(alert=alert)
        assert (incident.status, incident.truth) == ("closed", "partly")
        # The step ticked off, and the review, which closing with it ticks off.
        done = incident.steps.filter(done_by=world.staff_a.email)
        assert sorted(done.values_list("kind", flat=True)) == sorted([first_kind, "review"])
    tenancy.reset_to_public()
    page.close()


def test_the_incident_page_on_a_phone(world, site, chromium):
    alert = raise_alert(world.alpha, at=NIGHT)
    with tenancy.tenant_context(world.alpha):
        incident = incident_open(client=world.alpha, alert=alert, acting_user=world.staff_a)
    tenancy.reset_to_public()
    for who in (world.staff_a, world.viewer_a):
        page = log_in(chromium, site, who.email, viewport=PHONE)
        page.goto(site.url("alpha.agency.localhost", f"/incidents/{incident.pk}/"))
        assert "Nachtelijke crisis" in page.inner_text(".playbook")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        role = "staff" if who == world.staff_a else "viewer"
        shot(page, f"incident-phone-{role}")
        assert serious(page) == []
        page.goto(site.url("alpha.agency.localhost", "/incidents/"))
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot(page, f"incidents-phone-{role}")
        assert serious(page) == []
        page.close()
