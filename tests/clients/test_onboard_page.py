"""Onboarding a brand from the portal: agency admins and account managers fill in a form that
calls the onboarding service the API calls, and land on the new brand's dashboard on its own
host; the service's refusals are field errors; nobody else may; no input makes it fail."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from django.test import Client as HttpClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agency.models import AuditEvent, User
from clients import tenancy
from clients.models import Client
from monitoring.models import BrandSettings

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(world):  # type: ignore[no-untyped-def]
    """The pages in English, whatever the brand's language (the person's choice wins)."""
    User.objects.update(language="en")


def portal(world, user) -> HttpClient:  # type: ignore[no-untyped-def]
    browser = HttpClient(HTTP_HOST=world.host(None))
    if user is not None:
        browser.force_login(user)
    return browser


GOOD = {"name": "Charlie Cafés", "slug": "charlie", "timezone": "Europe/Paris", "language": "fr"}


def test_the_form_offers_the_time_zones_and_languages(world):
    response = portal(world, world.manager).get("/brands/new/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<datalist id="time-zones">' in html and '<option value="Asia/Tokyo">' in html
    assert 'list="time-zones"' in html
    assert '<option value="sv">Swedish</option>' in html


def test_a_manager_creates_a_brand_and_lands_on_its_dashboard(world):
    browser = portal(world, world.manager)
    started = time.monotonic()
    response = browser.post("/brands/new/", GOOD)
    took = time.monotonic() - started
    assert response.status_code == 302, response.content
    client = Client.objects.get(slug="charlie")
    assert response["Location"] == client.get_absolute_url()
    assert (client.name, client.timezone, client.language) == (
        "Charlie Cafés",
        "Europe/Paris",
        "fr",
    )
    assert AuditEvent.objects.get(verb="client.onboarded", client_slug="charlie").actor == (
        world.manager
    )
    with tenancy.tenant_context(client):
        assert BrandSettings.objects.get().multiplier_min_followers == 10_000
    tenancy.reset_to_public()
    # following the redirect: the new brand's own host answers with its dashboard
    where = urlsplit(response["Location"])
    landed = browser.get(where.path, HTTP_HOST=where.netloc)
    assert landed.status_code == 200, landed.content
    assert landed.wsgi_request.get_host().startswith("charlie.")
    assert b"Charlie Caf\xc3\xa9s" in landed.content
    print(f"onboarding took {took:.2f} s")  # reported with -s


def test_an_admin_may_too_and_the_desk_offers_the_link_to_both(world):
    for user in (world.admin, world.manager):
        assert 'href="/brands/new/"' in portal(world, user).get("/").content.decode()
    assert 'href="/brands/new/"' not in portal(world, world.staff_a).get("/").content.decode()
    response = portal(world, world.admin).post("/brands/new/", {**GOOD, "slug": "delta-dry"})
    assert response.status_code == 302
    assert Client.objects.filter(slug="delta-dry").exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"slug": "alpha"}, "slug", "A brand with slug 'alpha' already exists."),
        ({"slug": "Alpha "}, "slug", "A brand with slug 'alpha' already exists."),
        ({"slug": "admin"}, "slug", "'admin' is reserved"),
        ({"slug": "no_underscores"}, "slug", "lowercase letters, digits and hyphens"),
        ({"slug": "x" * 41}, "slug", "at most 40 characters"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "is not an IANA time zone"),
        ({"timezone": ""}, "timezone", "This field is required."),
        ({"name": "   "}, "name", "This field is required."),
        ({"language": "tlh"}, "language", "Select a valid choice."),
    ],
)
def test_the_services_refusals_are_field_errors(world, changes, field, message):
    before = Client.objects.count()
    response = portal(world, world.manager).post("/brands/new/", {**GOOD, **changes})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field] and message in " ".join(errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()
    assert Client.objects.count() == before


@pytest.mark.parametrize("who", ["staff_a", "viewer_a", "outsider"])
def test_nobody_else_may_onboard(world, who):
    browser = portal(world, getattr(world, who))
    assert browser.get("/brands/new/").status_code == 403
    assert browser.post("/brands/new/", GOOD).status_code == 403
    assert not Client.objects.filter(slug="charlie").exists()


def test_a_visitor_is_sent_to_log_in(world):
    response = portal(world, None).post("/brands/new/", GOOD)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Client.objects.filter(slug="charlie").exists()


def test_the_page_is_on_the_portal_only(world):
    browser = HttpClient(HTTP_HOST=world.host(world.alpha))
    browser.force_login(world.manager)
    assert browser.get("/brands/new/").status_code == 404


text = st.text(max_size=80) | st.text(alphabet="abcdefghij-_ ", max_size=45)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=text,
    slug=text,
    # mostly not a zone: each brand that is created costs a schema
    timezone=st.sampled_from(["UTC", "Europe/Oslo"]) | st.text(max_size=70),
    language=st.sampled_from(["en", "nl", "", "xx"]) | st.text(max_size=10),
)
def test_the_form_never_fails_whatever_is_posted(world, name, slug, timezone, language):
    data = {"name": name, "slug": slug, "timezone": timezone, "language": language}
    before = set(Client.objects.values_list("slug", flat=True))
    response = portal(world, world.manager).post("/brands/new/", data)
    assert response.status_code in (302, 400)
    after = set(Client.objects.values_list("slug", flat=True))
    if response.status_code == 302:
        [created] = after - before
        assert response["Location"] == Client.objects.get(slug=created).get_absolute_url()
    else:
        assert after == before
    tenancy.reset_to_public()
