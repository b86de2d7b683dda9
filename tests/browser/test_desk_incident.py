"""The open incident on the agency desk, in Chromium: staff see its first-response clock (red
once late) and the wave's other platforms, one where the brand has no account marked; the
answer on the origin platform stops the clock on the open desk without a reload; at desk and
phone size (no sideways scroll), accessibility; another brand's staff never see it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from clients import tenancy
from monitoring.models import BrandSettings, Mention
from monitoring.services.status import brand_status_refresh
from playbooks.services import incident_open, response_record
from tests.browser.conftest import DESK, PHONE, log_in, serious, shot
from tests.playbooks.test_desk_incident import NO_ACCOUNT, storm

pytestmark = [pytest.mark.django_db, pytest.mark.browser]


def test_staff_follow_the_clock_and_the_other_platforms_on_the_desk(
    world, site, chromium, django_capture_on_commit_callbacks
):
    start = timezone.now() - timedelta(minutes=12)
    alert = storm(world.alpha, start)
    with tenancy.tenant_context(world.alpha), django_capture_on_commit_callbacks(execute=True):
        BrandSettings.objects.update(first_response_minutes=10)  # 12 minutes: late
        incident = incident_open(client=world.alpha, alert=alert, acting_user=world.staff_a)
        brand_status_refresh(client=world.alpha)
    tenancy.reset_to_public()

    page = log_in(chromium, site, world.staff_a.email, viewport=DESK)
    part = page.locator("article[data-brand=alpha] .desk-incident")
    part.wait_for()
    clock = part.locator(".desk-clock")
    assert "since the first negative message on Instagram, no answer there yet (target 10)" in (
        clock.inner_text()
    )
    assert "late" in (clock.get_attribute("class") or "")
    assert clock.evaluate("el => getComputedStyle(el).color") == "rgb(163, 34, 27)"  # red
    link = part.locator(f"a[href$='/incidents/{incident.pk}/']")
    assert link.inner_text() == "crisis: 40 negative mentions on Instagram"
    x = part.locator("li[data-platform=x]")
    assert NO_ACCOUNT in x.inner_text() and "@dave" in x.inner_text()
    assert NO_ACCOUNT not in part.locator("li[data-platform=facebook]").inner_text()
    assert "LinkedIn" in part.inner_text()  # quiet so far, where the brand has its page
    shot(page, "desk-incident-late")
    assert serious(page) == []

    # The holding reply on Instagram: the open desk shows the clock stopped at its next poll.
    # The page's polls share this test's database connection: they are held while it writes.
    held: list[Any] = []
    page.route("**/desk/rows/", lambda route: held.append(route))
    page.wait_for_timeout(1500)  # a poll already on its way is answered
    loaded = page.evaluate("performance.timeOrigin")
    with tenancy.tenant_context(world.alpha), django_capture_on_commit_callbacks(execute=True):
        response_record(
            client=world.alpha,
            acting_user=world.staff_a,
            kind="reply",
            platform="instagram",
            text="We're sorry; we are looking into it and will update you here.",
            mention=Mention.objects.get(external_id="i1"),
            incident=incident,
            at=start + timedelta(minutes=9),
        )
    tenancy.reset_to_public()
    for poll in held:
        poll.continue_()
    page.unroute("**/desk/rows/")
    page.wait_for_selector("text=Answered on Instagram after 9 minutes (target 10).")
    assert "late" not in (clock.get_attribute("class") or "")
    assert page.evaluate("performance.timeOrigin") == loaded  # no reload
    shot(page, "desk-incident-answered")
    page.close()

    phone = log_in(chromium, site, world.staff_a.email, viewport=PHONE)
    phone.locator("article[data-brand=alpha] .desk-incident").wait_for()
    assert "Answered on Instagram" in phone.inner_text(".desk-incident")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(phone, "desk-incident-phone")
    assert serious(phone) == []
    phone.close()

    other = log_in(chromium, site, world.staff_b.email)
    assert other.locator(".desk-incident").count() == 0
    assert "@dave" not in other.inner_text("main")
    other.close()
