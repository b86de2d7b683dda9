"""The crisis Q&A page in Chromium: staff write and publish it from the incident's editor; a
visitor who is not logged in opens the short link on a phone and reads it (the brand's
language, no sideways scroll, axe); a client viewer reads the editor with no control."""

from __future__ import annotations

import pytest

from agency.models import User
from clients import tenancy
from playbooks.models import QAPage
from tests.browser.conftest import DESK, fits, log_in, serious, shot
from tests.playbooks.test_qa import draft, incident_of

pytestmark = [pytest.mark.django_db, pytest.mark.browser]
HOST = "alpha.agency.localhost"
SMALL_PHONE = {"width": 375, "height": 812}


@pytest.fixture(autouse=True)
def _in_english(db):  # type: ignore[no-untyped-def]
    """Everyone chose English (alpha speaks Dutch otherwise): the tests read the English text."""
    User.objects.update(language="en")


def test_staff_publish_and_a_visitor_reads_the_short_link_on_a_phone(world, site, chromium):
    incident = incident_of(world.alpha)
    page = log_in(chromium, site, world.staff_a.email, viewport=DESK)
    page.goto(site.url(HOST, f"/incidents/{incident.pk}/qa/"))
    assert "No Q&A page yet" in page.inner_text("main")
    assert serious(page) == []
    page.fill("input[name=title]", "Appeltaart met verkeerd etiket: wat u moet weten")
    page.fill("textarea[name=intro]", "Wat we weten, en wat u kunt doen.")
    page.fill("input[name=q_0]", "Welke taarten gaat het om?")
    page.fill("textarea[name=a_0]", "Appeltaart groot, houdbaar tot 9 maart.")
    page.fill("input[name=q_1]", "Krijg ik mijn geld terug?")
    page.fill("textarea[name=a_1]", "Ja, in elke winkel, ook zonder bon.")
    page.click("button:has-text('Save draft')")
    page.wait_for_selector("text=Draft 1 saved.")
    page.click("#version-1 button:has-text('Publish')")
    page.wait_for_selector("text=Version 1 is public.")
    assert page.locator("#version-1 button").count() == 0
    link = page.input_value("#qa-link")
    with tenancy.tenant_context(world.alpha):
        code = QAPage.objects.get(incident=incident).code
    tenancy.reset_to_public()
    assert link == site.url(HOST, f"/qa/{code}/")
    shot(page, "qa-editor")
    assert serious(page) == []
    page.close()

    # Someone who follows the link from a reply: no log-in, a small phone.
    context = chromium.new_context(viewport=SMALL_PHONE)
    visitor = context.new_page()
    answer = visitor.goto(link)
    assert answer is not None and answer.status == 200
    assert visitor.url == link  # not sent to the log-in
    assert visitor.get_attribute("html", "lang") == "nl"
    assert visitor.inner_text("h1") == "Appeltaart met verkeerd etiket: wat u moet weten"
    text = visitor.inner_text("main")
    assert "Bijgewerkt om" in text and "ook zonder bon." in text
    assert visitor.locator("nav").count() == 0 and visitor.locator("form").count() == 0
    assert fits(visitor, SMALL_PHONE["width"])
    shot(visitor, "qa-public-phone")
    assert serious(visitor) == []
    context.close()


def test_a_client_viewer_reads_the_editor_on_a_phone_without_controls(world, site, chromium):
    incident = incident_of(world.alpha)
    for n in range(2):
        draft(world.alpha, incident, world.staff_a, title=f"Versie {n + 1} met een lange titel")
    page = log_in(chromium, site, world.viewer_a.email, viewport=SMALL_PHONE)
    page.goto(site.url(HOST, f"/incidents/{incident.pk}/qa/"))
    main = page.inner_text("main")
    assert "Versie 2 met een lange titel" in main and "draft" in main.lower()
    assert page.locator("main form").count() == 0
    assert page.locator("main button").count() == 0
    assert fits(page, SMALL_PHONE["width"])
    shot(page, "qa-editor-viewer-phone")
    assert serious(page) == []
    page.close()
