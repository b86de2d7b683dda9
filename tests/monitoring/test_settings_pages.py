"""The brand's settings page: every watch setting with its meaning, unit and value; agency staff
change them through the service the API calls, with the same checks as field errors; a client
viewer reads only; another brand's settings stay out of reach."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from agency.middleware import portal_url
from agency.models import AuditEvent, User
from clients import tenancy
from monitoring.models import BrandSettings
from monitoring.services import EDITABLE_SETTINGS
from tests.conftest import ALPHA_FOLLOWERS, BRAVO_FOLLOWERS, api_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(world):  # type: ignore[no-untyped-def]
    """The pages in English, whatever the brand's language (the person's choice wins)."""
    User.objects.update(language="en")


def page(world, user, client) -> HttpClient:  # type: ignore[no-untyped-def]
    browser = HttpClient(HTTP_HOST=world.host(client))
    browser.force_login(user)
    return browser


def everything(**changes: object) -> dict[str, object]:
    """The form as the page sends it: every setting, alpha's values, with `changes`."""
    values: dict[str, object] = {
        "multiplier_min_followers": ALPHA_FOLLOWERS,
        "bin_minutes": 5,
        "first_response_minutes": 30,
        "qa_page_url": "",
        "wave_min_negative_authors": 3,
        "issue_negative_ratio": 5.0,
        "issue_min_negative": 15,
        "crisis_negative_ratio": 10.0,
        "crisis_min_negative": 40,
        "check_every_minutes_day": 30,
        "check_every_minutes_night": 60,
        "night_starts": "20:00",
        "night_ends": "08:00",
    }
    return {**values, **changes}


def stored(client) -> BrandSettings:  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        return BrandSettings.objects.get()


def test_every_setting_shows_its_meaning_unit_and_value(world):
    html = page(world, world.staff_a, world.alpha).get("/settings/").content.decode()
    assert "one of their posts can start a wave" in html
    assert f'name="multiplier_min_followers" value="{ALPHA_FOLLOWERS}"' in html
    assert str(BRAVO_FOLLOWERS) not in html  # bravo's threshold never on alpha's page
    for name in EDITABLE_SETTINGS:
        assert f'name="{name}"' in html
    assert "followers" in html and "times the usual" in html and "negative mentions" in html
    assert "It must divide an hour: 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60." in html
    # the brand itself, read only, in its own zone with the offset
    assert "Alpha Bakery" in html and "Europe/Amsterdam" in html and "Dutch" in html
    assert "Last changed" in html and ("(+01:00)" in html or "(+02:00)" in html)
    assert 'aria-current="page">Settings' in html


def test_a_good_change_is_stored_by_the_service_and_the_api_reads_it_back(world):
    browser = page(world, world.staff_a, world.alpha)
    response = browser.post(
        "/settings/", everything(first_response_minutes=12, qa_page_url="https://alpha.test/qa")
    )
    assert response.status_code == 302 and response["Location"] == "/settings/"
    assert "Settings saved." in browser.get("/settings/").content.decode()
    settings = stored(world.alpha)
    assert (settings.first_response_minutes, settings.qa_page_url) == (12, "https://alpha.test/qa")
    event = AuditEvent.objects.get(verb="brand.settings_updated", client_slug="alpha")
    assert event.actor == world.staff_a
    assert event.detail["changes"] == {
        "first_response_minutes": "12",
        "qa_page_url": "https://alpha.test/qa",
    }
    api = api_client(world, world.staff_a, world.alpha).get("/api/v1/brand/settings/").json()
    assert (api["first_response_minutes"], api["qa_page_url"]) == (12, "https://alpha.test/qa")
    assert stored(world.bravo).first_response_minutes == 30


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        # the model's own rule, which the API's serializer applies too
        (
            {"multiplier_min_followers": 5},
            "multiplier_min_followers",
            "Ensure this value is greater than or equal to 100.",
        ),
        ({"crisis_negative_ratio": "1"}, "crisis_negative_ratio", "greater than or equal to 2"),
        ({"first_response_minutes": "soon"}, "first_response_minutes", "Enter a whole number."),
        ({"qa_page_url": "not a page"}, "qa_page_url", "Enter a valid URL."),
        ({"issue_min_negative": "9" * 5000}, "issue_min_negative", "Enter a whole number."),
        # the service's rule: a bin size that tiles an hour
        ({"bin_minutes": 7}, "bin_minutes", "Use a bin size that divides an hour"),
    ],
)
def test_a_bad_value_is_a_field_error_and_nothing_is_stored(world, changes, field, message):
    response = page(world, world.staff_a, world.alpha).post(
        "/settings/", everything(**{"first_response_minutes": 11, **changes})
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field] and message in " ".join(errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()
    assert stored(world.alpha).first_response_minutes == 30


def test_the_api_refuses_what_the_page_refuses(world):
    response = api_client(world, world.staff_a, world.alpha).patch(
        "/api/v1/brand/settings/", {"multiplier_min_followers": 5}, format="json"
    )
    page_errors = (
        page(world, world.staff_a, world.alpha)
        .post("/settings/", everything(multiplier_min_followers=5))
        .context["form"]
        .errors
    )
    assert (
        response.json()["error"]["fields"]["multiplier_min_followers"]
        == (page_errors["multiplier_min_followers"])
    )


def test_a_viewer_reads_without_a_form_and_a_forged_post_is_refused(world):
    browser = page(world, world.viewer_a, world.alpha)
    html = browser.get("/settings/").content.decode()
    assert "one of their posts can start a wave" in html and f"{ALPHA_FOLLOWERS}" in html
    assert "<input" not in html.split("<main", 1)[1] and "Save settings" not in html
    assert browser.post("/settings/", everything(first_response_minutes=1)).status_code == 403
    assert stored(world.alpha).first_response_minutes == 30


def test_another_brands_settings_stay_out_of_reach(world):
    staff_a = page(world, world.staff_a, world.bravo)
    assert staff_a.get("/settings/").status_code == 403
    assert staff_a.post("/settings/", everything(first_response_minutes=1)).status_code == 403
    assert page(world, world.outsider, world.alpha).get("/settings/").status_code == 403
    assert stored(world.bravo).first_response_minutes == 30
    # bravo's own staff see bravo's threshold, not alpha's
    html = page(world, world.staff_b, world.bravo).get("/settings/").content.decode()
    assert f'value="{BRAVO_FOLLOWERS}"' in html and str(ALPHA_FOLLOWERS) not in html


def test_the_page_costs_a_fixed_number_of_queries(world):
    browser = page(world, world.staff_a, world.alpha)
    browser.get("/settings/")  # warm
    with CaptureQueriesContext(connection) as captured:
        assert browser.get("/settings/").status_code == 200
    # the brand's search path, session, user, the brand's access, the settings row, and whether
    # the person may export and offboard (a link to the portal's page for that)
    assert len(captured) == SETTINGS_QUERIES


SETTINGS_QUERIES = 6


def test_exports_and_offboarding_are_linked_for_those_who_may(world):
    link = f'href="{portal_url("/brands/alpha/")}"'
    assert link in page(world, world.manager, world.alpha).get("/settings/").content.decode()
    for who in (world.staff_a, world.viewer_a):
        assert link not in page(world, who, world.alpha).get("/settings/").content.decode()
