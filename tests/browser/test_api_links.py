"""The "API" links in Chromium: a client viewer follows theirs to the brand's schema page and
reads it (webhooks included); a user without a brand is shown no link that would refuse them."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, log_in, serious, shot

pytestmark = [pytest.mark.django_db, pytest.mark.browser]


def test_a_viewer_follows_the_api_link_to_the_brands_schema(world, site, chromium):
    page = log_in(chromium, site, world.viewer_a.email, viewport=PHONE)
    assert page.url.startswith(site.url("alpha.agency.localhost"))  # the portal sent them here
    page.click("a[href='/api/schema/swagger/']")
    page.wait_for_selector(".swagger-ui .opblock-tag")
    text = page.inner_text(".swagger-ui")
    assert "No access" not in text
    assert "webhooks" in text and "/api/v1/sources/{id}/mentions/" in text
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "api-schema-phone-viewer")
    page.close()


def test_a_user_without_a_brand_sees_no_api_link(world, site, chromium):
    page = log_in(chromium, site, world.outsider.email)
    assert "You are not assigned to any brand yet" in page.inner_text("main")
    assert page.locator("a[href*='/api/']").count() == 0
    shot(page, "portal-home-no-brand")
    assert serious(page) == []
    page.close()
