"""The agency desk and the roles, in Chromium: what each role lands on, a new alert showing on
the open desk without a reload (with its notification), the phone layout, accessibility."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from clients import tenancy
from monitoring.services.status import brand_status_refresh
from tests.browser.conftest import DESK, PHONE, log_in, shot
from tests.monitoring.factories import make_alert

pytestmark = [pytest.mark.django_db, pytest.mark.browser]

# Records the notifications the page raises, with permission granted (run before the page's
# own scripts; the Content-Security-Policy does not apply to it).
NOTIFICATIONS = """
window.__notifications = [];
window.Notification = class {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) { window.__notifications.push(options.body); }
};
"""


def refresh(client) -> None:  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        brand_status_refresh(client=client)
    tenancy.reset_to_public()


def test_a_new_alert_shows_on_the_open_desk_without_a_reload(world, site, chromium):
    refresh(world.alpha)
    page = log_in(chromium, site, world.staff_a.email, init_script=NOTIFICATIONS)
    page.wait_for_selector("article.brand.state-calm")
    page.click("#desk-alerts-on")  # sound and notifications on
    loaded = page.evaluate("performance.timeOrigin")

    make_alert(world.alpha, level="crisis")
    refresh(world.alpha)
    page.wait_for_selector("article.brand.state-crisis", timeout=10_000)
    page.wait_for_selector("#desk-news .news-item.level-crisis")
    assert "Alpha Bakery" in page.inner_text("#desk-news")
    assert page.evaluate("window.__notifications") == [
        "Alpha Bakery — crisis: 12 negative mentions"
    ]
    assert page.evaluate("performance.timeOrigin") == loaded  # the same page: no reload
    shot(page, "desk-new-alert")
    page.close()


def test_each_role_lands_where_it_may_and_not_on_another_brand(world, site, chromium):
    viewer = log_in(chromium, site, world.viewer_a.email)
    assert viewer.url == site.url("alpha.agency.localhost")  # straight to their brand
    forbidden = viewer.goto(site.url("bravo.agency.localhost"))
    assert forbidden is not None and forbidden.status == 403
    viewer.close()

    staff = log_in(chromium, site, world.staff_a.email)
    assert staff.url == site.url("agency.localhost")
    assert staff.locator("article.brand").count() == 1  # alpha only
    assert staff.goto(site.url("bravo.agency.localhost")).status == 403  # type: ignore[union-attr]
    staff.close()

    outsider = log_in(chromium, site, world.outsider.email)
    assert "not assigned to any brand" in outsider.inner_text("main")
    outsider.close()


def test_the_desk_on_a_phone_is_readable_and_passes_axe(world, site, chromium):
    make_alert(world.bravo, level="crisis")
    for client in (world.alpha, world.bravo):
        refresh(client)
    for name, viewport in (("desk-phone", PHONE), ("desk", DESK)):
        page = log_in(chromium, site, world.manager.email, viewport=viewport)
        cards = page.locator("article.brand")
        assert cards.count() == 2
        assert "Bravo Boats" in cards.first.inner_text()  # what burns on top
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"]  # nothing wider than the screen
        shot(page, name)
        results = Axe().run(page)
        serious = [
            v["id"]
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], results.generate_report()
        page.close()


def test_the_login_page_is_the_desks_with_no_sign_up(world, site, chromium):
    page = chromium.new_page(viewport=PHONE)
    page.goto(site.url("agency.localhost", "/accounts/login/"))
    text = page.inner_text("main")
    assert "Log in to Stormdesk" in text and "there is no sign-up" in text
    assert page.locator("a[href*='signup']").count() == 0
    assert page.locator("link[href$='stormdesk.css']").count() == 1
    shot(page, "login-phone")
    results = Axe().run(page)
    assert [
        v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")
    ] == []
    page.close()
    # the two-factor page after logging in wears the same layout
    staff = log_in(chromium, site, world.staff_a.email)
    staff.goto(site.url("agency.localhost", "/accounts/2fa/"))
    assert staff.locator("header.top .logo").count() == 1
    staff.close()
