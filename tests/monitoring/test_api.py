"""The brand-host API of monitoring: each host serves its own brand's settings."""

import pytest

from clients import tenancy
from monitoring.models import BrandSettings
from tests.conftest import ALPHA_FOLLOWERS, BRAVO_FOLLOWERS, api_client

pytestmark = pytest.mark.django_db


def test_each_host_serves_its_own_brand(world):
    alpha = api_client(world, world.admin, world.alpha, token=True).get("/api/v1/brand/").json()
    bravo = api_client(world, world.admin, world.bravo, token=True).get("/api/v1/brand/").json()
    assert (alpha["slug"], alpha["settings"]["multiplier_min_followers"]) == (
        "alpha",
        ALPHA_FOLLOWERS,
    )
    assert (bravo["slug"], bravo["settings"]["multiplier_min_followers"]) == (
        "bravo",
        BRAVO_FOLLOWERS,
    )
    assert alpha["access"] == "full"
    viewer = api_client(world, world.viewer_a, world.alpha).get("/api/v1/brand/").json()
    assert viewer["access"] == "read"


def test_staff_change_their_brand_and_the_other_stays(world):
    response = api_client(world, world.staff_a, world.alpha).patch(
        "/api/v1/brand/settings/", {"first_response_minutes": 10}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["first_response_minutes"] == 10
    with tenancy.tenant_context(world.alpha):
        assert BrandSettings.objects.get().first_response_minutes == 10
    with tenancy.tenant_context(world.bravo):
        assert BrandSettings.objects.get().first_response_minutes == 30
    # staff of alpha reaching bravo's host: refused, nothing written
    response = api_client(world, world.staff_a, world.bravo).patch(
        "/api/v1/brand/settings/", {"first_response_minutes": 1}, format="json"
    )
    assert response.status_code == 403
    with tenancy.tenant_context(world.bravo):
        assert BrandSettings.objects.get().first_response_minutes == 30


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        (
            {"multiplier_min_followers": 5},
            "multiplier_min_followers",
            "greater than or equal to 100",
        ),
        ({"bin_minutes": 0}, "bin_minutes", "greater than or equal to 1"),
        # bins of 7 minutes do not tile an hour (nor a day): the detectors cannot use them
        ({"bin_minutes": 7}, "bin_minutes", "divides an hour"),
        ({"qa_page_url": "not a url"}, "qa_page_url", "valid URL"),
        ({"bin_minute": 5}, "bin_minute", "Unknown field"),
    ],
)
def test_bad_settings_are_refused_by_field(world, payload, field, message):
    response = api_client(world, world.staff_a, world.alpha).patch(
        "/api/v1/brand/settings/", payload, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert message in " ".join(error["fields"][field])
    with tenancy.tenant_context(world.alpha):
        assert BrandSettings.objects.get().bin_minutes == 5


def test_the_brand_openapi_schema_describes_the_brand_api(world):
    response = api_client(world, world.staff_a, world.alpha).get(
        "/api/schema/", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/brand/settings/" in paths
    assert "/api/v1/clients/" not in paths
    ui = api_client(world, world.staff_a, world.alpha).get("/api/schema/swagger/")
    assert ui.status_code == 200 and b"swagger-ui" in ui.content
