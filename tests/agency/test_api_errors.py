"""Every error of the API, on either host, in one envelope: {"error": {status, code, message,
fields}}; and OPTIONS answers on every endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory

from agency.api_errors import exception_handler
from tests.conftest import api_client
from tests.monitoring.factories import make_alert, make_source

pytestmark = pytest.mark.django_db


def envelope(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"status", "code", "message", "fields"}
    assert error["status"] == status and error["message"]
    if code is not None:
        assert error["code"] == code
    return dict(error)


@pytest.mark.parametrize("path", ["/api/v1/sources/999999/", "/api/v1/alerts/999999/"])
def test_an_object_that_is_not_there_is_a_404_in_the_envelope(world, path):
    response = api_client(world, world.staff_a, world.alpha).get(path)
    assert envelope(response, 404, "not_found")["fields"] == {}


def test_another_brands_objects_are_404s_in_the_envelope(world):
    source = make_source(world.bravo, name="Bravo's own")
    alert = make_alert(world.bravo)
    api = api_client(world, world.admin, world.alpha)
    for path in (f"/api/v1/sources/{source.pk + 1000}/", f"/api/v1/alerts/{alert.pk + 1000}/"):
        envelope(api.get(path), 404, "not_found")
    # and on bravo's own host they are there
    bravo = api_client(world, world.admin, world.bravo)
    assert bravo.get(f"/api/v1/sources/{source.pk}/").json()["name"] == "Bravo's own"


@pytest.mark.parametrize("exc", [Http404("No Source matches."), PermissionDenied("Not yours.")])
def test_djangos_own_exceptions_get_the_envelope(exc):
    response = exception_handler(exc, {})
    assert response is not None
    assert set(response.data["error"]) == {"status", "code", "message", "fields"}
    assert response.data["error"]["message"] == str(exc)


def test_no_credentials_is_a_401_that_names_the_scheme(world):
    response = APIClient(HTTP_HOST=world.host(world.alpha)).get("/api/v1/brand/")
    envelope(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_a_token_that_is_not_valid_is_a_401(world):
    api = APIClient(HTTP_HOST=world.host(None))
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    envelope(api.get("/api/v1/me/"), 401, "authentication_failed")


def test_refusals_are_403s_in_the_envelope(world):
    envelope(api_client(world, world.outsider, world.alpha).get("/api/v1/brand/"), 403)
    # read-only access
    response = api_client(world, world.viewer_a, world.alpha).patch(
        "/api/v1/brand/settings/", {"bin_minutes": 10}, format="json"
    )
    assert "read-only" in envelope(response, 403, "permission_denied")["message"]
    # the agency API is for agency staff
    envelope(api_client(world, world.viewer_a, None).get("/api/v1/clients/"), 403)


def test_a_wrong_method_is_a_405_in_the_envelope(world):
    response = api_client(world, world.admin, world.alpha).delete("/api/v1/brand/")
    envelope(response, 405, "method_not_allowed")


def test_an_accept_header_we_cannot_answer_is_a_406_in_the_envelope(world):
    response = api_client(world, world.admin, world.alpha).get(
        "/api/v1/brand/", HTTP_ACCEPT="application/xml"
    )
    envelope(response, 406, "not_acceptable")


def test_a_body_type_we_do_not_take_is_a_415_in_the_envelope(world):
    response = api_client(world, world.staff_a, world.alpha).patch(
        "/api/v1/brand/settings/", "bin_minutes=10", content_type="text/plain"
    )
    envelope(response, 415, "unsupported_media_type")


def test_a_body_that_is_not_json_is_a_400_in_the_envelope(world):
    response = api_client(world, world.staff_a, world.alpha).patch(
        "/api/v1/brand/settings/", "{bad", content_type="application/json"
    )
    envelope(response, 400, "parse_error")


def test_too_many_token_requests_are_429s_in_the_envelope(world):
    api = APIClient(HTTP_HOST=world.host(None), REMOTE_ADDR="198.51.100.29")
    for _ in range(30):
        # (an incomplete body: the throttle counts it, and no password is hashed)
        response = api.post("/api/v1/auth/token/", {}, format="json")
        if response.status_code == 429:
            break
        envelope(response, 400, "invalid")
    envelope(response, 429)
    assert int(response["Retry-After"]) > 0


class NoSerializer(GenericAPIView):  # type: ignore[type-arg]
    """A generic view that names no serializer (as the batch POST did)."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    def post(self, request: Request) -> Response:
        return Response({})


def test_options_on_a_generic_view_without_serializer_describes_it():
    request = APIRequestFactory().options("/")
    response = NoSerializer.as_view()(request)
    assert response.status_code == 200
    assert response.data["name"] == "No Serializer"
    assert "actions" not in response.data


def _concrete(path: str, ids: dict[str, Any]) -> str:
    kind = path.split("/")[3]
    path = path.replace("{id}", str(ids.get(kind, 1))).replace("{export_id}", "1")
    path = path.replace("{step}", str(ids.get("steps", 1)))
    return path.replace("{slug}", "alpha").replace("{public_id}", str(ids.get(kind, 1)))


def test_options_answers_on_every_endpoint_and_refuses_outsiders(world):
    source = make_source(world.alpha)
    alert = make_alert(world.alpha)
    ids: dict[str, Any] = {"sources": source.pk, "alerts": alert.pk, "waves": alert.wave_id}
    ids["hooks"] = source.public_id
    for host_client in (None, world.alpha):
        admin = api_client(world, world.admin, host_client)
        schema = admin.get("/api/schema/", HTTP_ACCEPT="application/json").json()
        assert schema["paths"]
        for template in schema["paths"]:
            path = _concrete(template, ids)
            if template.startswith("/api/v1/hooks/"):
                # Plain Django views for the platforms, with their documented methods only.
                envelope(admin.options(path), 405)
                continue
            response = admin.options(path)
            assert response.status_code == 200, (path, response.content)
            assert response.json()["name"]
            if template not in ("/api/v1/auth/token/", "/api/v1/me/"):
                refused = api_client(world, world.outsider, host_client).options(path)
                envelope(refused, 403)
