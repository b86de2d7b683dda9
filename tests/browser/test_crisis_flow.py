"""The whole response in Chromium, as the person on duty lives it at night: from the brand's
crisis alert, open the incident and get the night playbook; send the holding reply on Instagram
(a local stand-in of the Graph API with its recorded answers) and see the clock stop; be refused
on a second reply in the same thread; publish the Q&A page and open it logged out; send the
employees' notice and read it through the personal link; every step on the timeline."""

from __future__ import annotations

import re
from typing import Any

import pytest

from agency.models import Notification, User
from clients import tenancy
from monitoring.models import Mention
from monitoring.services.ingestion import mentions_ingest
from playbooks.models import Incident, Response
from playbooks.notices import employees_import
from tests.browser.conftest import DESK, PHONE, log_in, serious, shot
from tests.monitoring.factories import make_source
from tests.monitoring.test_escalation import raise_alert
from tests.playbooks.test_incidents import NIGHT
from tests.playbooks.test_sending import MENTIONS, REPLIES, SOURCES, api, recorded  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.browser]
HOST = "alpha.agency.localhost"


@pytest.fixture(autouse=True)
def _in_english(db):  # type: ignore[no-untyped-def]
    User.objects.update(language="en")


def crisis_on_instagram(world: Any) -> Any:
    """A crisis at night that started on Instagram: two angry comments under the same post (one
    thread), the brand's Instagram account, and the employee list."""
    alert = raise_alert(world.alpha, at=NIGHT)
    source = make_source(
        world.alpha,
        platform="instagram",
        kind="owned",
        name="Alpha on Instagram",
        credentials=SOURCES["instagram"]["credentials"],
        settings=SOURCES["instagram"]["settings"],
    )
    base = MENTIONS["instagram"]
    items = [
        {
            **base,
            "posted_at": NIGHT.isoformat(),
            "text": "Mouldy bread from Alpha again. Disgusting, never again!",
            "author": {"handle": "anna", "followers": 800},
            "language": "en",
        },
        {
            **base,
            "external_id": "17900000000000002",
            "posted_at": NIGHT.isoformat(),
            "text": "Same here, Alpha sold me mouldy bread too!",
            "author": {"handle": "ben", "followers": 90},
            "language": "en",
        },
    ]
    with tenancy.tenant_context(world.alpha):
        mentions_ingest(client=world.alpha, source=source, channel="api", items=items, raws=items)
        Mention.objects.update(wave=alert.wave, sentiment="neg")
        employees_import(
            client=world.alpha,
            data=b"email,name,language\nanna@alpha.test,Anna,en\nbo@alpha.test,Bo,en\n",
            acting_user=world.manager,
        )
    tenancy.reset_to_public()
    return alert


def test_the_night_crisis_handled_end_to_end(world, site, chromium, api):  # noqa: F811
    alert = crisis_on_instagram(world)
    path, answer, permalink = REPLIES["instagram"]
    api.expect_oneshot_request(path, method="POST").respond_with_response(recorded(answer))
    page = log_in(chromium, site, world.staff_a.email, viewport=DESK)

    # The crisis alert → the incident, with the night playbook and why.
    page.goto(site.url(HOST, f"/alerts/{alert.pk}/"))
    page.wait_for_selector("#incident-part button:has-text('Open incident')")
    page.click("text=Open incident")
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))
    incident_url = page.url
    assert "night + crisis → Nachtelijke crisis" in page.inner_text(".playbook")
    assert "no answer there yet" in page.inner_text(".clock")

    # The holding reply on Instagram, where it started.
    page.click(".respond >> text=Answer: replies and own posts")
    assert "Answer first on Instagram" in page.inner_text(".advice")
    page.locator(".to-answer li", has_text="@anna").locator("a.button:has-text('Reply')").click()
    page.wait_for_selector("#compose >> text=Reply on Instagram")
    page.fill("#id_text", "Calm down!! That's not true.")
    page.wait_for_selector("#compose-tone >> text=Contradicts or lectures the reader")  # live
    page.fill(
        "#id_text",
        "We're sorry, and we're looking into it right now. We'll post an update here at 08:00.",
    )
    page.wait_for_selector(
        "#compose-tone >> text=Contradicts or lectures the reader", state="detached"
    )
    shot(page, "answer-compose")
    assert serious(page) == []
    page.click("text=Save the draft")
    page.wait_for_selector("text=Draft saved.")
    page.click("button:has-text('Send on Instagram')")
    page.wait_for_selector(".messages >> text=Sent on Instagram.")
    api.check_assertions()
    assert "Answered on Instagram after" in page.inner_text(".clock")  # the clock stopped
    assert permalink in page.locator(
        ".answers a", has_text="Open on Instagram"
    ).first.get_attribute("href")
    shot(page, "answer-sent")

    # Ben commented under the same post: the brand answered that thread already.
    ben = page.locator(".to-answer li", has_text="@ben")
    assert "reply once" in ben.inner_text()
    ben.locator("text=Reply anyway").click()
    page.wait_for_selector("#compose >> text=Reply once: a second answer is a discussion.")
    page.fill("#id_text", "We're sorry, Ben, we're looking into it.")
    page.click("text=Save the draft")
    page.wait_for_selector("text=Draft saved.")
    page.click("button:has-text('Send on Instagram')")
    page.wait_for_selector(".messages .error >> text=Reply once: the brand answered in this thread")
    assert len(api.log) == 1  # nothing more reached Instagram
    assert serious(page) == []

    # The Q&A page, published and opened by someone who is not logged in.
    page.goto(incident_url)
    page.click(".respond >> text=The Q&A page")
    page.fill("input[name=title]", "Mouldy bread at Alpha: what you need to know")
    page.fill("textarea[name=intro]", "What we know, and what you can do.")
    page.fill("input[name=q_0]", "Which loaves?")
    page.fill("textarea[name=a_0]", "The rye loaves of 2 March; they are withdrawn.")
    page.click("button:has-text('Save draft')")
    page.wait_for_selector("text=Draft 1 saved.")
    page.click("#version-1 button:has-text('Publish')")
    page.wait_for_selector("text=Version 1 is public.")
    link = page.input_value("#qa-link")
    visitor = chromium.new_page(viewport=PHONE)  # a context of its own: logged out
    shown = visitor.goto(link)
    assert shown is not None and shown.status == 200 and visitor.url == link
    assert "The rye loaves of 2 March" in visitor.inner_text("main")
    visitor.close()

    # The next answer gets the Q&A link by itself.
    page.goto(incident_url + "answer/")
    assert link in page.input_value("#id_text")

    # The employees' notice, read through the personal link.
    page.goto(incident_url)
    page.click(".respond >> text=The employees' notice")
    page.click("text=Send to the employees")
    page.wait_for_selector("text=The notice went to 2 employees.")
    (anna,) = [
        n for n in Notification.objects.filter(topic="notice") if n.to_address.startswith("anna")
    ]
    employee = chromium.new_page(viewport=PHONE)
    employee.goto(site.url(HOST, re.sub(r"^https?://[^/]+", "", anna.link)))
    assert link in employee.inner_text(".notice-body")  # the notice links the Q&A page
    employee.close()

    # The incident: the read count and every step on its timeline.
    page.goto(incident_url)
    assert "1 of 2 read" in page.inner_text(".respond")
    timeline = page.inner_text(".timeline")
    for seen in ("Raised", "Reply #", "sent: " + permalink, "Q&A page v1 published", "Notice"):
        assert seen in timeline, seen
    shot(page, "incident-handled")
    assert serious(page) == []
    with tenancy.tenant_context(world.alpha):
        incident = Incident.objects.get(alert=alert)
        assert list(
            Response.objects.filter(incident=incident).values_list("status", flat=True)
        ) == [
            "draft",
            "sent",
        ]
    tenancy.reset_to_public()
    page.close()


def test_the_answer_desk_on_a_phone_for_staff_and_the_client(world, site, chromium, api):  # noqa: F811
    alert = crisis_on_instagram(world)
    with tenancy.tenant_context(world.alpha):
        from playbooks.services import incident_open

        incident = incident_open(client=world.alpha, alert=alert, acting_user=world.staff_a)
    tenancy.reset_to_public()
    for who, role in ((world.staff_a, "staff"), (world.viewer_a, "viewer")):
        page = log_in(chromium, site, who.email, viewport=PHONE)
        page.goto(site.url(HOST, f"/incidents/{incident.pk}/answer/"))
        assert "Answer first on Instagram" in page.inner_text(".advice")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert (page.locator("text=Save the draft").count() == 0) == (role == "viewer")
        shot(page, f"answer-phone-{role}")
        assert serious(page) == []
        page.close()
