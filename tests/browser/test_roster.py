"""The roster in Chromium: an account manager approves a swap at desk size and the calendar
shows the taker; a staff member reads "my shifts" on a phone and offers one; a client viewer
reads who watches their brand on its watch page; the week calendar on a phone; accessibility
and no sideways scrolling on a phone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from agency.models import ShiftSwap, SwapStatus, User
from agency.roster import PersonShift, person_shifts, swap_offer, swap_take
from tests.agency.test_roster_pages import AMS, desks
from tests.browser.conftest import DESK, PHONE, log_in, serious, shot
from tests.conftest import World

pytestmark = [pytest.mark.django_db, pytest.mark.browser]

NO_SIDEWAYS = "document.documentElement.scrollWidth"


def _next_shift(world: World) -> PersonShift:
    """staff_a's next whole shift as primary (on Alpha's desk)."""
    now = timezone.now()
    found = person_shifts(user=world.staff_a, start=now, end=now + timedelta(days=4))
    return next(s for s in found if s.role == "primary" and s.start > now)


def test_an_account_manager_approves_a_swap_at_desk_size(world, site, chromium):
    made = desks(world)
    shift = _next_shift(world)
    swap = swap_take(
        swap=swap_offer(
            schedule=made["alpha"],
            offered_by=world.staff_a,
            start=shift.start,
            end=shift.end,
            note="Dentist",
        ),
        taken_by=world.staff_b,
    )
    page = log_in(chromium, site, world.manager.email, viewport=DESK)
    page.click("nav.portal-nav >> text=Shift swaps")
    page.wait_for_selector("#awaiting-title")
    awaiting = page.inner_text("section[aria-labelledby=awaiting-title]")
    assert "Alpha desk" in awaiting and "Dentist" in awaiting
    shot(page, "roster-swaps-desk")
    assert serious(page) == []
    page.click("section[aria-labelledby=awaiting-title] button:has-text('Approve')")
    page.wait_for_selector("text=Swap approved: the calendar shows it.")
    swap.refresh_from_db()
    assert swap.status == SwapStatus.APPROVED and swap.decided_by == world.manager
    assert "No swap awaits a decision." in page.inner_text("main")
    # the week of the shift shows the taker, marked as an override
    year, week, _ = shift.start.astimezone(AMS).isocalendar()
    path = f"/schedules/{made['alpha'].pk}/?week={year}-W{week:02d}"
    page.goto(site.url("agency.localhost", path))
    page.wait_for_selector(".week")
    overrides = page.locator(".blocks.primary .block.override")
    assert overrides.count() >= 1
    assert (world.staff_b.full_name or world.staff_b.email) in overrides.first.inner_text()
    assert page.locator(".week .day").count() == 7
    shot(page, "roster-week-desk")
    assert serious(page) == []
    page.close()


def test_staff_read_my_shifts_on_a_phone_and_offer_one(world, site, chromium):
    desks(world)
    page = log_in(chromium, site, world.staff_a.email, viewport=PHONE)
    page.click("nav.portal-nav >> text=My shifts")
    page.wait_for_selector("ol.shift-list")
    text = page.inner_text("ol.shift-list")
    assert "Alpha desk" in text and "Alpha Bakery" in text and "Bravo" not in text
    assert "(+01:00)" in text or "(+02:00)" in text
    assert page.evaluate(NO_SIDEWAYS) <= PHONE["width"]
    shot(page, "roster-shifts-phone")
    assert serious(page) == []
    first = page.locator("li.shift.role-primary details.offer").first
    first.locator("summary").click()
    first.locator("input[name=note]").fill("Family visit")
    first.locator("button:has-text('Offer it')").click()
    page.wait_for_selector("text=Your shift is offered")
    swap = ShiftSwap.objects.get()
    assert (swap.offered_by, swap.status, swap.note) == (world.staff_a, "offered", "Family visit")
    assert "Family visit" in page.inner_text("section[aria-labelledby=mine-title]")
    assert page.evaluate(NO_SIDEWAYS) <= PHONE["width"]
    shot(page, "roster-swaps-phone")
    assert serious(page) == []
    # the week calendar on a phone: a list of days
    page.goto(site.url("agency.localhost", "/schedules/"))
    page.click("text=Alpha desk")
    page.wait_for_selector(".week")
    assert page.evaluate(NO_SIDEWAYS) <= PHONE["width"]
    boxes = [page.locator(".week .day").nth(n).bounding_box() for n in range(2)]
    assert boxes[0] and boxes[1] and boxes[1]["y"] > boxes[0]["y"]  # one under the other
    shot(page, "roster-week-phone")
    assert serious(page) == []
    page.close()


def test_a_client_viewer_sees_who_watches_on_the_watch_page(world, site, chromium):
    desks(world)
    for viewport, name in ((DESK, "roster-who-watches"), (PHONE, "roster-who-watches-phone")):
        page = log_in(chromium, site, world.viewer_a.email, viewport=viewport)
        page.goto(site.url("alpha.agency.localhost", "/watch/"))
        page.wait_for_selector(".who-watches .cover-now")
        text = page.inner_text(".who-watches")
        assert "On duty now:" in text
        assert world.staff_a.full_name in text and world.staff_b.full_name in text
        assert "@" not in text and "Bravo" not in text
        assert page.locator("form[method=post] button").count() == 1  # log out, nothing else
        if viewport is PHONE:
            assert page.evaluate(NO_SIDEWAYS) <= PHONE["width"]
        shot(page, name)
        assert serious(page) == []
        page.close()


@pytest.mark.parametrize("language", ["nl", "sv"])
def test_the_roster_pages_fit_a_phone_in_dutch_and_swedish(world, site, chromium, language):
    made = desks(world)
    User.objects.filter(pk__in=[world.manager.pk, world.viewer_a.pk]).update(language=language)
    page = log_in(chromium, site, world.manager.email, viewport=PHONE)
    for path in (
        "/schedules/",
        f"/schedules/{made['night'].pk}/?week=2026-W43",
        "/shifts/",
        "/swaps/",
    ):
        page.goto(site.url("agency.localhost", path))
        assert page.evaluate(NO_SIDEWAYS) <= PHONE["width"], path
        assert serious(page) == [], path
    assert page.locator("html").get_attribute("lang") == language
    shot(page, f"roster-swaps-phone-{language}")
    page.goto(site.url("agency.localhost", f"/schedules/{made['night'].pk}/?week=2026-W43"))
    shot(page, f"roster-week-autumn-phone-{language}")
    page.close()
    viewer = log_in(chromium, site, world.viewer_a.email, viewport=PHONE)
    viewer.goto(site.url("alpha.agency.localhost", "/watch/"))
    viewer.wait_for_selector(".who-watches .cover-now")
    assert viewer.evaluate(NO_SIDEWAYS) <= PHONE["width"]
    assert serious(viewer) == []
    viewer.close()
