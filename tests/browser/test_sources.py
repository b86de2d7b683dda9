"""The source pages in Chromium: staff add a source, get a field error, correct it and test the
connection (htmx swaps the platform's answer in); the list and a source's page on a phone, for
staff and for a viewer who finds no control that writes; accessibility."""

from __future__ import annotations

import json

import pytest

from agency.models import User
from clients import tenancy
from monitoring.models import Source
from tests.browser.conftest import PHONE, log_in, serious, shot
from tests.monitoring.test_source_pages import (
    SEARCH,
    SECRET,
    recordings,
    sources_with_health,
    x_api,  # noqa: F401 (a fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.browser]

HOST = "alpha.agency.localhost"


@pytest.fixture(autouse=True)
def _english(world):  # type: ignore[no-untyped-def]
    """The pages in English, whatever the brand's language (the person's choice wins)."""
    User.objects.update(language="en")


def test_staff_add_a_source_correct_an_error_and_test_the_connection(world, site, chromium, x_api):  # noqa: F811
    x_api.expect_request(SEARCH, headers={"Authorization": f"Bearer {SECRET}"}).respond_with_json(
        recordings.body("search-page1.json")
    )
    sources_with_health(world.alpha)
    page = log_in(chromium, site, world.staff_a.email)
    page.goto(site.url(HOST, "/sources/"))
    assert "X refused the credentials (401)" in page.inner_text("table.source-list")
    shot(page, "sources-desk")
    assert serious(page) == []
    page.fill("input[name=name]", "Alpha on X")
    page.select_option("select[name=platform]", "x")
    page.select_option("select[name=kind]", "keyword")
    page.check("input[name=pull]")
    page.fill("textarea[name=settings]", '["bakkerij alpha"]')
    page.fill("textarea[name=credentials]", json.dumps({"bearer_token": SECRET}))
    page.click("text=Add the source")
    page.wait_for_selector("text=Expected a JSON object.")
    assert SECRET not in page.content()  # the secret typed is not sent back
    assert page.input_value("textarea[name=settings]") == '["bakkerij alpha"]'
    shot(page, "source-add-error")
    assert serious(page) == []
    page.fill("textarea[name=settings]", '{"query": "bakkerij alpha"}')
    page.fill("textarea[name=credentials]", json.dumps({"bearer_token": SECRET}))
    page.click("text=Add the source")
    page.wait_for_selector("text=Source added: test its connection.")
    with tenancy.tenant_context(world.alpha):
        source = Source.objects.get(name="Alpha on X")
    tenancy.reset_to_public()
    detail = site.url(HOST, f"/sources/{source.pk}/")
    assert page.url.split("#")[0] == detail
    page.click("text=Test connection")
    page.wait_for_selector("#source-check >> text=The connection works.")
    assert "X accepts the bearer token" in page.inner_text("#source-check")
    assert page.url.split("#")[0] == detail  # swapped in by htmx, not a new page
    assert SECRET not in page.content()
    shot(page, "source-detail-desk")
    assert serious(page) == []
    page.close()


def test_the_list_and_a_source_on_a_phone(world, site, chromium):
    _alive, _silent, failing, _paused = sources_with_health(world.alpha)
    for who in (world.staff_a, world.viewer_a):
        page = log_in(chromium, site, who.email, viewport=PHONE)
        role = "staff" if who == world.staff_a else "viewer"
        for name, path in (("sources", "/sources/"), ("source", f"/sources/{failing.pk}/")):
            page.goto(site.url(HOST, path))
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            shot(page, f"{name}-phone-{role}")
            assert serious(page) == [], (role, path)
        if role == "viewer":
            assert page.locator("form[method=post] button").count() == 1  # log out only
            assert page.locator("input[type=password]").count() == 0
        page.close()
