"""The tone check in Chromium: staff write a confrontational answer in the Q&A editor and see
the finding appear beside it while they type (htmx, no reload), fix it and see the all-clear;
the page passes axe and fits a phone without sideways scrolling. The same on the employee
notice."""

from __future__ import annotations

import pytest

from agency.models import User
from tests.browser.conftest import DESK, PHONE, fits, log_in, serious, shot
from tests.playbooks.test_notices import with_employees
from tests.playbooks.test_qa import incident_of

pytestmark = [pytest.mark.django_db, pytest.mark.browser]
HOST = "alpha.agency.localhost"


@pytest.fixture(autouse=True)
def _in_english(db):  # type: ignore[no-untyped-def]
    User.objects.update(language="en")


def test_staff_see_the_tone_of_an_answer_while_they_write_it(world, site, chromium):
    incident = incident_of(world.alpha)
    page = log_in(chromium, site, world.staff_a.email, viewport=DESK)
    page.goto(site.url(HOST, f"/incidents/{incident.pk}/qa/"))
    page.fill("input[name=title]", "Mislabelled apple pie: what you need to know")
    page.select_option("select[name=language]", "en")
    page.fill("input[name=q_0]", "Is the pie safe?")
    panel = page.locator("#tone-a_0")
    assert panel.inner_text().strip() == ""  # nothing written, nothing said
    loads = []
    page.on("load", lambda _page: loads.append(1))
    # Typed key by key, as a person does: the check follows each pause.
    page.locator("textarea[name=a_0]").press_sequentially(
        "Calm down, that's not true. You should have read the label!!", delay=5
    )
    page.wait_for_selector("#tone-a_0 .tone-finding[data-code=confrontational]")
    text = panel.inner_text()
    assert "Confrontational" in text and "Contradicts or lectures the reader" in text
    assert "Calm down" in panel.locator(".tone-excerpt").first.inner_text()
    assert "Suggestion:" in text
    assert panel.get_attribute("aria-live") == "polite"
    assert page.get_attribute("textarea[name=a_0]", "aria-describedby") == "tone-a_0"
    assert not loads  # live, no page load
    shot(page, "tone-qa-editor")
    assert serious(page) == []

    # Fixed: the finding goes, the all-clear comes.
    page.fill(
        "textarea[name=a_0]",
        "We understand the worry. The pies of Monday are recalled; the next update is at 18:00.",
    )
    page.wait_for_selector("#tone-a_0 .tone-clear")
    assert panel.locator(".tone-finding").count() == 0
    assert "no problems found" in panel.inner_text()
    assert not loads
    # The draft is saved as before, the tone check changed nothing in it.
    page.click("button:has-text('Save draft')")
    page.wait_for_selector("text=Draft 1 saved.")
    assert "no problems found" in page.locator("#tone-a_0").inner_text()  # (rendered with the page)

    # On a phone: the findings under the text, no sideways scroll.
    page.set_viewport_size(PHONE)
    page.fill("textarea[name=intro]", "THIS IS NOT OUR FAULT. Nobody else has complained.")
    page.wait_for_selector("#tone-intro .tone-finding[data-code=defensive]")
    assert page.locator("#tone-intro .tone-finding[data-code=caps]").count() == 1
    assert fits(page, PHONE["width"])
    shot(page, "tone-qa-editor-phone")
    assert serious(page) == []
    page.close()


def test_the_notice_gets_the_tone_check_too(world, site, chromium):
    with_employees(world, world.alpha)
    incident = incident_of(world.alpha)
    page = log_in(chromium, site, world.staff_a.email, viewport=PHONE)
    page.goto(site.url(HOST, f"/incidents/{incident.pk}/notice/"))
    page.fill("textarea[name=body]", "Do NOT TALK TO ANYONE about this!! It is not our fault.")
    page.wait_for_selector("#tone-body .tone-finding[data-code=defensive]")
    assert page.locator("#tone-body .tone-finding[data-code=exclamations]").count() == 1
    assert fits(page, PHONE["width"])
    shot(page, "tone-notice-phone")
    assert serious(page) == []
    page.close()
