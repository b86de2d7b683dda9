"""What a new user found missing in the OpenAPI schemas and the portal (issue 12, point 10):
a developer can wire a source, a webhook and a wave from the schema alone, and every "API"
link a person sees opens a schema they may read."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client as HttpClient

from clients import tenancy
from monitoring.payloads import MAX_ITEMS
from monitoring.schemas import MENTION, PLATFORMS
from tests.conftest import World, api_client

pytestmark = pytest.mark.django_db

HREF = re.compile(r'href="([^"]+)"')


def _schema(world: World, client: Any, user: Any = None) -> dict[str, Any]:
    response = api_client(world, user or world.admin, client).get(
        "/api/schema/", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    return dict(response.json())


def _component(schema: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    return dict(schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[-1]])


# --- a. the batch endpoint ----------------------------------------------------------------------


def test_the_batch_body_is_described_field_by_field(world):
    schema = _schema(world, world.alpha)
    operation = schema["paths"]["/api/v1/sources/{id}/mentions/"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    envelope, bare = body["oneOf"]
    batch = _component(schema, envelope)
    assert batch["required"] == ["mentions"]
    assert batch["properties"]["mentions"]["maxItems"] == MAX_ITEMS
    assert bare == {"type": "array", "items": batch["properties"]["mentions"]["items"]} | {
        "maxItems": MAX_ITEMS
    }
    item = _component(schema, bare["items"])
    # every field the validator (monitoring.schemas.MentionIn) takes, and no other
    validator = MENTION.json_schema()
    assert set(item["properties"]) == set(validator["properties"])
    assert set(item["required"]) == set(validator["required"]) == {"external_id", "posted_at"}
    assert item["properties"]["external_id"]["maxLength"] == 200
    assert item["properties"]["likes"]["minimum"] == 0
    platforms = _component(schema, item["properties"]["platform"]["oneOf"][0])["enum"]
    assert set(platforms) == set(PLATFORMS) | {"twitter"}
    author = _component(schema, item["properties"]["author"]["allOf"][0])
    assert set(author["properties"]) == set(validator["$defs"]["AuthorIn"]["properties"])
    assert author["required"] == validator["$defs"]["AuthorIn"]["required"] == ["handle"]


def test_the_batch_answers_list_each_rejected_item_with_its_errors(world):
    schema = _schema(world, world.alpha)
    responses = schema["paths"]["/api/v1/sources/{id}/mentions/"]["post"]["responses"]
    for status in ("200", "207", "422"):
        assert responses[status]["description"]
        result = _component(schema, responses[status]["content"]["application/json"]["schema"])
        assert set(result["required"]) >= {"accepted", "rejected", "duplicates"}
    rejection = _component(schema, result["properties"]["rejected"]["items"])
    assert set(rejection["properties"]) == {"index", "dead_letter", "errors"}
    error = _component(schema, rejection["properties"]["errors"]["items"])
    assert set(error["properties"]) == {"field", "message"}
    assert "nothing stored" in responses["413"]["description"]


# --- b. the webhooks ----------------------------------------------------------------------------


def test_the_brand_schema_lists_the_webhooks_with_their_signatures(world):
    schema = _schema(world, world.alpha)
    signed = schema["paths"]["/api/v1/hooks/{public_id}/"]["post"]
    meta = schema["paths"]["/api/v1/hooks/{public_id}/meta/"]
    for operation in (signed, meta["get"], meta["post"]):
        assert operation["security"] == []  # no log-in, no token: the signature
        assert {"403", "404"} <= set(operation["responses"])
    headers = {p["name"] for p in signed["parameters"] if p["in"] == "header"}
    assert headers == {"X-Stormdesk-Timestamp", "X-Stormdesk-Signature"}
    assert {p["name"] for p in meta["post"]["parameters"] if p["in"] == "header"} == {
        "X-Hub-Signature-256"
    }
    assert {p["name"] for p in meta["get"]["parameters"] if p["in"] == "query"} == {
        "hub.mode",
        "hub.verify_token",
        "hub.challenge",
    }
    assert set(meta["get"]["responses"]["200"]["content"]) == {"text/plain"}
    # the same body as the batch endpoint
    batch = schema["paths"]["/api/v1/sources/{id}/mentions/"]["post"]["requestBody"]
    assert signed["requestBody"]["content"] == batch["content"]
    assert {"200", "207", "400", "413", "422"} <= set(signed["responses"])
    # every reference resolves
    for ref in re.findall(r"#/components/schemas/(\w+)", str(schema["paths"])):
        assert ref in schema["components"]["schemas"], ref


def test_the_agency_schema_has_no_webhooks(world):
    assert not [path for path in _schema(world, None)["paths"] if "/hooks/" in path]


def test_the_webhook_addresses_a_source_gives_are_the_documented_ones(world):
    from tests.monitoring.factories import make_source

    source = make_source(world.alpha)
    paths = _schema(world, world.alpha)["paths"]
    urls = api_client(world, world.staff_a, world.alpha).get(f"/api/v1/sources/{source.pk}/")
    for url in urls.json()["webhook_urls"].values():
        assert url.replace(str(source.public_id), "{public_id}") in paths


# --- c. reasons and figures ---------------------------------------------------------------------


def test_reasons_and_figures_are_typed(world):
    schemas = _schema(world, world.alpha)["components"]["schemas"]
    for component in ("Wave", "Alert"):
        reasons = schemas[component]["properties"]["reasons"]
        assert reasons["type"] == "array" and reasons["items"] == {"type": "string"}
    figures = schemas["Wave"]["properties"]["figures"]["allOf"][0]
    known = _component({"components": {"schemas": schemas}}, figures)["properties"]
    assert known["negative_authors"]["type"] == "integer"
    assert known["platforms"]["additionalProperties"] == {"type": "integer"}
    assert set(schemas["Peak"]["properties"]) == {
        "series",
        "value",
        "expected",
        "minutes",
        "start",
        "evidence",
        "negative",
    }
    assert schemas["Multiplier"]["properties"]["followers"]["nullable"] is True


# --- d. sources -------------------------------------------------------------------------------


def test_the_sources_list_is_documented_as_a_cursor_page(world):
    ok = _schema(world, world.alpha)["paths"]["/api/v1/sources/"]["get"]["responses"]["200"]
    page = ok["content"]["application/json"]["schema"]["$ref"]
    assert page.endswith("/PaginatedSourceList")
    assert "cursor" in {
        p["name"]
        for p in _schema(world, world.alpha)["paths"]["/api/v1/sources/"]["get"]["parameters"]
    }


# --- f. the API links a person sees ------------------------------------------------------------


def _api_links(html: str) -> list[str]:
    return [href for href in HREF.findall(html) if "/api/" in href]


def _get(url_or_path: str, user: Any, default_host: str) -> Any:
    match = re.match(r"https?://([^/]+)(/.*)", url_or_path)
    host, path = (
        (match.group(1).split(":")[0], match.group(2)) if match else (default_host, url_or_path)
    )
    http = HttpClient(HTTP_HOST=host)
    http.force_login(user)
    return http.get(path)


def test_a_client_viewers_api_link_opens_their_brands_schema(world):
    portal = HttpClient(HTTP_HOST=world.host(None))
    portal.force_login(world.viewer_a)
    landing = portal.get("/")
    assert landing.status_code == 302 and landing["Location"].startswith("http://alpha.")
    home = _get(landing["Location"], world.viewer_a, world.host(world.alpha))
    assert home.status_code == 200
    links = _api_links(home.content.decode())
    assert links, "the brand's page links its API"
    for link in links:
        page = _get(link, world.viewer_a, world.host(world.alpha))
        assert page.status_code == 200, link
        assert b"No access" not in page.content
    # and the schema the page shows
    assert _get("/api/schema/", world.viewer_a, world.host(world.alpha)).status_code == 200
    tenancy.reset_to_public()
    # the agency's schema stays closed to them, so no link may lead there
    assert _get("/api/schema/swagger/", world.viewer_a, world.host(None)).status_code == 403


def test_the_portal_shows_nobody_an_api_link_they_cannot_open(world):
    for user in (world.outsider, world.viewer_a, world.staff_a, world.admin):
        portal = HttpClient(HTTP_HOST=world.host(None))
        portal.force_login(user)
        page = portal.get("/", follow=False)
        if page.status_code == 302:  # a viewer goes to their brand (above)
            continue
        for link in _api_links(page.content.decode()):
            assert _get(link, user, world.host(None)).status_code == 200, (user.email, link)
        tenancy.reset_to_public()
    outsider = HttpClient(HTTP_HOST=world.host(None))
    outsider.force_login(world.outsider)
    assert _api_links(outsider.get("/").content.decode()) == []
