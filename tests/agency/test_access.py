"""The role matrix: every route of a brand host, for every kind of user, on their own brand and
on another one. A new route is picked up here automatically, and fails closed or fails this test."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import api_client

pytestmark = pytest.mark.django_db


def _paths(patterns: list, prefix: str = "") -> list[str]:
    paths = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            paths += _paths(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            assert "<" not in route, f"give {route} sample arguments in this test"
            paths.append("/" + route.lstrip("^").rstrip("$"))
    return paths


BRAND_PATHS = _paths(get_resolver("agency.urls_tenant").url_patterns)


def test_the_matrix_covers_the_brand_routes():
    assert {"/", "/api/v1/brand/", "/api/v1/brand/settings/", "/api/schema/"} <= set(BRAND_PATHS)


@pytest.mark.parametrize("path", BRAND_PATHS)
@pytest.mark.parametrize("who", ["staff_a", "viewer_a", "admin", "manager"])
def test_members_open_every_brand_route(world, who, path):
    response = api_client(world, getattr(world, who), world.alpha).get(path)
    assert response.status_code == 200, response.content[:300]


@pytest.mark.parametrize("path", BRAND_PATHS)
@pytest.mark.parametrize("who", ["staff_b", "viewer_b", "outsider"])
@pytest.mark.parametrize("token", [False, True], ids=["session", "token"])
def test_non_members_get_403_on_every_brand_route(world, who, path, token):
    response = api_client(world, getattr(world, who), world.alpha, token=token).get(path)
    if token and not path.startswith("/api/"):
        # Pages take sessions only: a token is no login there.
        assert response.status_code == 302
        return
    assert response.status_code == 403, response.content[:300]
    assert b"Alpha" not in response.content or b"no access to Alpha" in response.content


@pytest.mark.parametrize("path", BRAND_PATHS)
def test_anonymous_is_sent_to_log_in(world, path):
    response = api_client(world, None, world.alpha).get(path)
    if path.startswith("/api/"):
        assert response.status_code == 401
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("http://agency.localhost")
        assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("who", ["viewer_a", "staff_b", "viewer_b", "outsider"])
def test_only_agency_members_of_the_brand_may_change_it(world, who):
    response = api_client(world, getattr(world, who), world.alpha).patch(
        "/api/v1/brand/settings/", {"first_response_minutes": 5}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] in {"permission_denied"}


def test_a_viewer_is_read_only_on_pages_too(world):
    response = api_client(world, world.viewer_a, world.alpha).post("/")
    assert response.status_code == 403
    assert b"read-only" in response.content


AGENCY_API = ["/api/v1/clients/", "/api/v1/clients/alpha/", "/api/schema/"]


@pytest.mark.parametrize("path", AGENCY_API)
@pytest.mark.parametrize("who", ["viewer_a", "viewer_b", "outsider"])
def test_client_viewers_and_outsiders_get_403_on_the_agency_api(world, who, path):
    response = api_client(world, getattr(world, who), None).get(path)
    assert response.status_code == 403


def test_everyone_signed_in_may_ask_who_they_are(world):
    body = api_client(world, world.viewer_a, None).get("/api/v1/me/").json()
    assert body["role"] == "client_viewer"
    assert [c["slug"] for c in body["clients"]] == ["alpha"]
