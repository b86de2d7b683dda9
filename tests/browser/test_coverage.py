"""The coverage board in Chromium: a manager opens it from the desk; on a phone the board
scrolls inside its frame, not the page; accessibility."""

from __future__ import annotations

import pytest

from tests.agency.test_coverage import day_desk
from tests.browser.conftest import DESK, PHONE, log_in, serious, shot

pytestmark = [pytest.mark.django_db, pytest.mark.browser]


def test_the_board_from_the_desk_at_desk_and_phone_size(world, site, chromium):
    day_desk(world, [world.alpha], [world.staff_a])
    for viewport, name in ((DESK, "coverage"), (PHONE, "coverage-phone")):
        page = log_in(chromium, site, world.manager.email, viewport=viewport)
        page.click("text=Coverage")
        page.wait_for_selector("table.coverage")
        assert page.locator("svg.day").count() == 2 * 14
        assert "336 hours without cover" in page.inner_text("table.coverage")
        if viewport is PHONE:
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot(page, name)
        assert serious(page) == []
        page.close()
