"""Lessons change the playbook, in Chromium: staff close an incident with a lesson, follow
"Change the playbook with these lessons", see the lessons beside the steps, add a step and
bring one forward, save, and find the step on the playbook and the summary on the incident's
timeline; a client viewer on a phone reads the lessons without the link. Accessibility (axe)
on every page, and no sideways scroll at phone width."""

from __future__ import annotations

import re

import pytest

from clients import tenancy
from playbooks.models import Playbook
from playbooks.services import incident_close, incident_open
from tests.browser.conftest import PHONE, log_in, serious, shot
from tests.monitoring.test_escalation import raise_alert
from tests.playbooks.test_incidents import NIGHT

pytestmark = [pytest.mark.django_db, pytest.mark.browser]

LESSON = "At night the holding reply waited for the account manager: post it first."


def no_sideways_scroll(page) -> bool:  # type: ignore[no-untyped-def]
    return bool(page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"])


def test_staff_change_the_playbook_with_an_incidents_lessons(world, site, chromium):
    alert = raise_alert(world.alpha, at=NIGHT)
    with tenancy.tenant_context(world.alpha):
        incident = incident_open(client=world.alpha, alert=alert, acting_user=world.staff_a)
        playbook = Playbook.objects.get(incidents=incident)
        steps = list(playbook.steps.values_list("title", "due_minutes"))
    tenancy.reset_to_public()
    page = log_in(chromium, site, world.staff_a.email)
    page.goto(site.url("alpha.agency.localhost", f"/incidents/{incident.pk}/"))
    page.check("input[name=truth][value=partly]")
    page.fill("textarea[name=improvements]", "Answer faster at night")
    page.fill("textarea[name=lessons]", LESSON)
    page.click("text=Close the incident")
    page.wait_for_selector("text=Closed, with its review.")
    assert "These lessons have not changed the playbook yet." in page.inner_text(".lessons-applied")
    shot(page, "lessons-incident-closed")
    assert serious(page) == []

    page.click("text=Change the playbook with these lessons")
    page.wait_for_url(re.compile(rf"/incidents/{incident.pk}/lessons/$"))
    assert LESSON in page.inner_text(".lessons-beside")
    n = len(steps)
    page.fill(f"input[name=steps-{n}-title]", "Call the night editor")
    page.select_option(f"select[name=steps-{n}-who]", "lead")
    page.fill(f"input[name=steps-{n}-due_minutes]", "25")
    page.fill("input[name=steps-0-due_minutes]", str(steps[0][1] - 2))
    shot(page, "lessons-editor")
    assert serious(page) == []
    page.click("text=Save the playbook")
    page.wait_for_url(re.compile(rf"/playbooks/{playbook.pk}/$"))
    message = page.inner_text(".messages")
    assert "The playbook is changed from the lessons of" in message
    assert "step added 'Call the night editor'" in message
    assert page.input_value(f"input[name=steps-{n}-title]") == "Call the night editor"
    applied = page.inner_text("#lessons")
    assert LESSON in applied and "step added 'Call the night editor'" in applied
    assert f"due time of '{steps[0][0]}' {steps[0][1]} → {steps[0][1] - 2} min" in applied
    assert "Lessons waiting" not in applied
    shot(page, "lessons-playbook-changed")
    assert serious(page) == []

    page.goto(site.url("alpha.agency.localhost", f"/incidents/{incident.pk}/"))
    timeline = page.inner_text(".timeline")
    assert timeline.index("Closed") < timeline.index("Lessons applied")
    assert f"Playbook {playbook.name} changed from this incident's lessons:" in timeline
    assert "step added 'Call the night editor'" in timeline
    assert "step added 'Call the night editor'" in page.inner_text(".lessons-applied")
    shot(page, "lessons-incident-timeline")
    assert serious(page) == []
    with tenancy.tenant_context(world.alpha):
        titles = list(playbook.steps.values_list("title", flat=True))
    tenancy.reset_to_public()
    assert titles[-1] == "Call the night editor" and len(titles) == n + 1
    page.close()


def test_the_lessons_on_a_phone(world, site, chromium):
    alert = raise_alert(world.alpha, at=NIGHT)
    with tenancy.tenant_context(world.alpha):
        incident = incident_open(client=world.alpha, alert=alert, acting_user=world.staff_a)
        incident_close(
            client=world.alpha,
            incident=incident,
            acting_user=world.staff_a,
            truth="partly",
            improvements="Answer faster at night",
            lessons=LESSON,
        )
        playbook_id = incident.playbook_id
    tenancy.reset_to_public()
    host = "alpha.agency.localhost"
    staff = log_in(chromium, site, world.staff_a.email, viewport=PHONE)
    for path, name in (
        ("/playbooks/", "lessons-phone-playbooks"),
        (f"/playbooks/{playbook_id}/", "lessons-phone-playbook"),
        (f"/incidents/{incident.pk}/lessons/", "lessons-phone-editor"),
    ):
        staff.goto(site.url(host, path))
        assert no_sideways_scroll(staff), path
        shot(staff, name)
        assert serious(staff) == []
    staff.goto(site.url(host, "/playbooks/"))
    assert "Lessons waiting from 1 closed incident" in staff.inner_text(".playbooks")
    staff.close()

    viewer = log_in(chromium, site, world.viewer_a.email, viewport=PHONE)
    viewer.goto(site.url(host, f"/incidents/{incident.pk}/"))
    assert LESSON in viewer.inner_text(".review")
    assert "These lessons have not changed the playbook yet." in viewer.inner_text(
        ".lessons-applied"
    )
    assert viewer.locator("text=Change the playbook with these lessons").count() == 0
    assert no_sideways_scroll(viewer)
    shot(viewer, "lessons-phone-incident-viewer")
    assert serious(viewer) == []
    viewer.goto(site.url(host, f"/playbooks/{playbook_id}/"))
    assert LESSON in viewer.inner_text("#lessons")
    assert viewer.locator("text=Change the playbook with these lessons").count() == 0
    assert no_sideways_scroll(viewer)
    shot(viewer, "lessons-phone-playbook-viewer")
    assert serious(viewer) == []
    viewer.close()
