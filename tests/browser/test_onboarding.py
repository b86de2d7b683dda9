"""Settings, members and onboarding in Chromium: a manager onboards a brand through the form
and lands on its dashboard; staff change a watch setting on a phone; a manager gives and takes
access on a phone; a viewer reads the settings without a control; accessibility."""

from __future__ import annotations

import pytest

from agency.models import Membership, Role, User
from clients import tenancy
from clients.models import Client
from monitoring.models import BrandSettings
from tests.browser.conftest import DESK, log_in, serious, shot

pytestmark = [pytest.mark.django_db, pytest.mark.browser]


@pytest.fixture(autouse=True)
def _english(world):  # type: ignore[no-untyped-def]
    """The pages in English, whatever the brand's language (the person's choice wins)."""
    User.objects.update(language="en")


PHONE = {"width": 375, "height": 812}
ALPHA = "alpha.agency.localhost"


def no_sideways_scroll(page) -> bool:  # type: ignore[no-untyped-def]
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_manager_onboards_a_brand_and_lands_on_its_dashboard(world, site, chromium):
    page = log_in(chromium, site, world.manager.email)
    page.click("text=New brand")
    page.wait_for_selector("h1:has-text('New brand')")
    assert serious(page) == []
    # a taken slug first: the service's refusal under the field, the form kept
    page.fill("input[name=name]", "Charlie Cafés")
    page.fill("input[name=slug]", "alpha")
    page.fill("input[name=timezone]", "Europe/Paris")
    page.select_option("select[name=language]", "fr")
    page.click("text=Create the brand")
    page.wait_for_selector("#id_slug_error")
    assert "A brand with slug 'alpha' already exists." in page.inner_text("#id_slug_error")
    assert page.input_value("input[name=name]") == "Charlie Cafés"
    shot(page, "onboard-error")
    assert serious(page) == []
    page.fill("input[name=slug]", "charlie")
    page.click("text=Create the brand")
    page.wait_for_url(site.url("charlie.agency.localhost", "/"))
    assert "Charlie Cafés" in page.inner_text("h1")
    assert page.locator("nav.brand-nav a[aria-current=page]").inner_text() == "Overview"
    shot(page, "onboard-landed")
    client = Client.objects.get(slug="charlie")
    assert (client.timezone, client.language) == ("Europe/Paris", "fr")
    page.close()


def test_staff_change_a_setting_on_a_phone(world, site, chromium):
    page = log_in(chromium, site, world.staff_a.email, viewport=PHONE)
    page.goto(site.url(ALPHA, "/settings/"))
    assert "one of their posts can start a wave" in page.inner_text("main")
    assert no_sideways_scroll(page)
    shot(page, "settings-phone-staff")
    assert serious(page) == []
    page.fill("input[name=bin_minutes]", "7")
    page.click("text=Save settings")
    page.wait_for_selector("#id_bin_minutes_error")
    assert "divides an hour" in page.inner_text("#id_bin_minutes_error")
    assert no_sideways_scroll(page)
    shot(page, "settings-phone-error")
    assert serious(page) == []
    page.fill("input[name=bin_minutes]", "10")
    page.fill("input[name=first_response_minutes]", "15")
    page.click("text=Save settings")
    page.wait_for_selector("text=Settings saved.")
    page.set_viewport_size(DESK)
    shot(page, "settings-desk-staff")
    with tenancy.tenant_context(world.alpha):
        stored = BrandSettings.objects.get()
        assert (stored.bin_minutes, stored.first_response_minutes) == (10, 15)
    tenancy.reset_to_public()
    page.close()


def test_a_viewer_reads_the_settings_on_a_phone_without_a_control(world, site, chromium):
    page = log_in(chromium, site, world.viewer_a.email, viewport=PHONE)
    page.goto(site.url(ALPHA, "/settings/"))
    assert "11111" in page.inner_text("main")
    assert page.locator("main input, main button").count() == 0
    assert no_sideways_scroll(page)
    shot(page, "settings-phone-viewer")
    assert serious(page) == []
    page.close()


def test_a_manager_gives_and_takes_access_on_a_phone(world, site, chromium):
    page = log_in(chromium, site, world.manager.email, viewport=PHONE)
    page.goto(site.url(ALPHA, "/members/"))
    assert "viewer_a@example.test" in page.inner_text("main")
    assert "viewer_b@example.test" not in page.inner_text("main")
    assert no_sideways_scroll(page)
    shot(page, "members-phone-manager")
    assert serious(page) == []
    page.fill("input#id_email", "staff_b@example.test")
    page.select_option("select[name=role]", "agency_staff")
    page.click("main button:has-text('Give access')")
    page.wait_for_selector("text=staff_b@example.test has access as Agency staff.")
    assert Membership.objects.filter(
        user=world.staff_b, client=world.alpha, role=Role.AGENCY_STAFF
    ).exists()
    page.click("button[aria-label='Revoke access of viewer_a@example.test']")
    page.wait_for_selector("text=viewer_a@example.test no longer has access.")
    assert not Membership.objects.filter(user=world.viewer_a).exists()
    # a client viewer of bravo cannot be made one of alpha: the service says why, by the field
    page.fill("input#id_email", "viewer_b@example.test")
    page.select_option("select[name=role]", "client_viewer")
    page.click("main button:has-text('Give access')")
    page.wait_for_selector("#id_role_error")
    assert no_sideways_scroll(page)
    shot(page, "members-phone-error")
    assert serious(page) == []
    page.set_viewport_size(DESK)
    shot(page, "members-desk-manager")
    assert not User.objects.filter(memberships__client=world.alpha, email="viewer_b@example.test")
    page.close()
