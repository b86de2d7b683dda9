"""Both OpenAPI schemas run through schemathesis, per role, in-process over WSGI.

The assertions are schemathesis' own checks: no 5xx, and every status code, content type,
header and body as the schema documents it. On top: a user without access to the host is
refused everything in the error envelope, and nothing a role gets on alpha's host carries
bravo's data.

Every request runs in a savepoint that is rolled back once it has answered, inside the test's
transaction: each example starts from the same seeded brands, and an offboarding (DELETE
clients/<slug>/, which drops a schema and writes an archive) leaves no trace. Offboarding only
ever reaches a throwaway brand onboarded in the test (a DELETE of alpha or bravo is never
sent), and archives and uploads go to the test's tmp_path. Nothing is committed, so no Celery
task leaves (they are sent on commit).

Budget: SCHEMATHESIS_MAX_EXAMPLES examples per operation and role (positive, negative, and
positive on the seeded objects' ids); derandomized, so CI runs the same cases every time. A
longer run by hand: `SCHEMATHESIS_MAX_EXAMPLES=200 bin/test tests/agency/test_openapi_contract.py`.

schemathesis' pytest loader (`schemathesis.pytest.from_fixture`) does not run under pytest 9.2
(it sets `Function._nodeid`, which pytest no longer has), so operations are driven here with
its public `as_strategy`, `Case.call` and `Case.validate_response`, one subtest each.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import hypothesis
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import Client as DjangoClient
from django.urls import Resolver404, resolve
from django.utils import timezone
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from clients import tenancy
from clients.middleware import TenantMiddleware
from clients.models import Client
from clients.services import client_export_request, client_onboard
from monitoring.models import Author, DeadLetter, ImportJob, Mention, Source, WatchCheck, Wave
from playbooks.models import Response
from playbooks.services import incident_open
from tests.conftest import World
from tests.monitoring.factories import make_alert, make_source, mention
from tests.monitoring.test_detection import ANGRY, ingest, item, quiet_history
from tests.monitoring.test_detection import NOW as DETECTION_NOW

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
THROWAWAY = "throwaway"
PROTECTED_SLUGS = {"alpha", "bravo"}
# Only bravo's seeded data holds this: no response on alpha's host may contain it.
BRAVO_MARKER = "bravo-only-7f3a"

AGENCY_ROLES = ["admin", "manager", "staff_a", "viewer_a", "outsider"]
# On the agency host anyone signed in may ask who they are, and anyone may ask for a token.
OPEN_TO_ALL = {"/api/v1/me/", "/api/v1/auth/token/"}
BRAND_ROLES = ["admin", "manager", "staff_a", "viewer_a", "staff_b", "outsider"]
# Agency staff of bravo and a user with no role: alpha's host refuses them everything.
REFUSED_ON_ALPHA = {"staff_b", "outsider"}
HOOKS = "/api/v1/hooks/"

WSGI = WSGIHandler()


def _served_schema(world: World, client: Client | None) -> dict[str, Any]:
    http = DjangoClient(HTTP_HOST=world.host(client))
    http.force_login(world.admin)
    response = http.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content
    return dict(json.loads(response.content))


@pytest.fixture(scope="session")
def served_schemas(world, django_db_blocker) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    """/api/schema/ as the agency host and alpha's host serve it."""
    with django_db_blocker.unblock():
        schemas = {
            "agency": _served_schema(world, None),
            "brand": _served_schema(world, world.alpha),
        }
    tenancy.reset_to_public()
    return schemas


@pytest.fixture
def in_process(db, settings, tmp_path) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """The WSGI handler serves inside the test's transaction (as Django's test client does:
    its signals would otherwise close the connection, and the transaction with it)."""
    settings.EXPORT_ROOT = tmp_path / "exports"
    settings.IMPORT_ROOT = tmp_path / "imports"
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """The WSGI handler, each request in a savepoint rolled back once the body is read."""
    with transaction.atomic():
        try:
            result = WSGI(environ, start_response)  # type: ignore[arg-type]
            try:
                body = b"".join(result)  # streamed CSV reads the brand's schema as it goes
            finally:
                result.close()
        finally:
            transaction.set_rollback(True)
    tenancy.reset_to_public()
    TenantMiddleware.forget()  # a brand onboarded or offboarded in the savepoint is gone
    return [body]


def _seed_brand(client: Client, *, marker: str) -> dict[str, list[Any]]:
    """One of everything the brand API lists, `marker` in its text; the ids by URL segment."""
    now = timezone.now()
    source = make_source(client, name=f"Mentions on X {marker}")
    # A feed whose test connection is refused at once, on this machine.
    make_source(
        client,
        name=f"Blog {marker}",
        platform="news",
        kind="feed",
        settings={"url": "http://127.0.0.1:9/feed.xml"},
    )
    alert = make_alert(client, close_note=f"note {marker}")
    closed = make_alert(
        client, wave_status="closed", status="resolved", closed_at=now, close_note=marker
    )
    with tenancy.tenant_context(client):
        author = Author.objects.create(platform="x", handle=f"someone-{marker}", followers=120)
        for n, who in enumerate([author, None]):  # a mention without author too
            Mention.objects.create(
                source=source,
                platform="x",
                external_id=f"{marker}-{n}",
                author=who,
                text=f"late parcel {marker}",
                posted_at=now,
                received_at=now,
            )
        letter = DeadLetter.objects.create(
            source=source,
            channel="api",
            payload={"text": marker},
            errors=[{"field": "posted_at", "message": "Field required"}],
        )
        discarded = DeadLetter.objects.create(
            source=source, channel="api", payload={}, status="discarded", resolved_at=now
        )
        job = ImportJob.objects.create(
            source=source, filename=f"{marker}.csv", path="/nonexistent", file_format="csv"
        )
        WatchCheck.objects.create(
            checked_at=now, by=f"{marker}@example.test", outcome="alert", alert=alert, note=marker
        )
        incident = incident_open(client=client, alert=alert, acting_user=None)
        # A draft reply to the mention, and an own post: the responses' endpoints have their ids.
        reply = Response.objects.create(
            incident=incident,
            kind="reply",
            platform="x",
            mention=Mention.objects.get(external_id=f"{marker}-0"),
            thread_key=f"x:{marker}-0",
            author_key=f"x:someone-{marker}",
            text=f"We are sorry {marker}",
            status="draft",
            created_by=f"{marker}@example.test",
            created_at=now,
        )
        post = Response.objects.create(
            incident=incident,
            kind="post",
            platform="x",
            text=f"Our statement {marker}",
            status="draft",
            created_by=f"{marker}@example.test",
            created_at=now,
        )
    return {
        "incidents": [incident.pk],
        "responses": [reply.pk, post.pk],
        "sources": [source.pk],
        "hooks": [str(source.public_id)],
        "dead-letters": [letter.pk, discarded.pk],
        "imports": [job.pk],
        "alerts": [alert.pk, closed.pk],
        "waves": [alert.wave_id, closed.wave_id],
    }


def _token(user: Any) -> str:
    return str(Token.objects.get_or_create(user=user)[0].key)


def _strategy(operation: Any, fixed: list[dict[str, Any]]) -> Any:
    """Positive and negative cases, and positive ones on each set of fixed path parameters."""
    options = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    names = {p.name for p in operation.path_parameters}
    options += [
        operation.as_strategy(GenerationMode.POSITIVE, path_parameters=params)
        for params in fixed
        if names and set(params) == names
    ]
    return st.one_of(options)


def _run(
    raw_schema: dict[str, Any],
    *,
    host: str,
    token: str,
    fixed: Callable[[Any], list[dict[str, Any]]],
    also: Callable[[Any, Any], None],
    subtests: Any,
) -> None:
    """Every operation of the schema, as the user of `token` on `host`: one subtest each."""
    schema = schemathesis.openapi.from_dict(raw_schema)
    for result in schema.get_all_operations():
        operation = result.ok()

        @hypothesis.settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate, hypothesis.Phase.shrink],
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        @hypothesis.given(case=_strategy(operation, fixed(operation)))
        def check(case: Any) -> None:
            if case.method == "DELETE" and case.path_parameters.get("slug") in PROTECTED_SLUGS:
                return  # never offboard the session's brands
            response = case.call(
                app=_app,
                base_url=f"http://{host}",
                headers={"Authorization": f"Token {token}"},
                # An address of its own: the token endpoint's throttle counts per address,
                # in the cache, which outlives this test's transaction.
                environ_base={"REMOTE_ADDR": "203.0.113.10"},
            )
            case.validate_response(response, checks=CHECKS)
            also(case, response)

        with subtests.test(operation=operation.label):
            check()


def _refused(response: Any, urlconf: str) -> None:
    """Refused in the envelope; or a 404 for a path that names no endpoint (an id of -1)."""
    error = response.json()["error"]
    assert error["status"] == response.status_code and error["message"]
    if response.status_code == 404:
        with pytest.raises(Resolver404):
            resolve(urlsplit(response.request.url).path, urlconf)
        return
    assert response.status_code in (401, 403), (response.status_code, response.content[:300])


@pytest.mark.parametrize("role", AGENCY_ROLES)
def test_the_agency_api_keeps_its_schema(role, world, served_schemas, in_process, subtests):  # type: ignore[no-untyped-def]
    client_onboard(name="Throwaway", slug=THROWAWAY)
    client_export_request(client=world.alpha)  # requested by nobody: the CLI's way

    def fixed(operation: Any) -> list[dict[str, Any]]:
        if operation.method.upper() == "DELETE":
            return [{"slug": THROWAWAY}]
        return [{"slug": "alpha"}, {"slug": "bravo"}, {"slug": THROWAWAY}]

    def also(case: Any, response: Any) -> None:
        if role in ("viewer_a", "outsider") and case.path not in OPEN_TO_ALL:
            _refused(response, "agency.urls_public")
        if role in ("staff_a", "viewer_a", "outsider"):  # none of them may see bravo
            assert b'"slug":"bravo"' not in response.content

    _run(
        served_schemas["agency"],
        host=world.host(None),
        token=_token(getattr(world, role)),
        fixed=fixed,
        also=also,
        subtests=subtests,
    )


@pytest.mark.parametrize("role", BRAND_ROLES)
def test_the_brand_api_keeps_its_schema(role, world, served_schemas, in_process, subtests):  # type: ignore[no-untyped-def]
    ids = {
        "alpha": _seed_brand(world.alpha, marker="alpha"),
        # Looked up on alpha's host, bravo's ids find alpha's objects or nothing.
        "bravo": _seed_brand(world.bravo, marker=BRAVO_MARKER),
    }

    def fixed(operation: Any) -> list[dict[str, Any]]:
        kind = operation.path.split("/")[3]  # /api/v1/<kind>/{id}/...
        name = "public_id" if kind == "hooks" else "id"
        return [{name: pk} for brand in ids.values() for pk in brand.get(kind, [])]

    def also(case: Any, response: Any) -> None:
        # The webhooks take no user (their signature is the credential): nobody's token opens
        # them, and an unknown source is a 404 to everyone.
        if role in REFUSED_ON_ALPHA and not case.path.startswith(HOOKS):
            _refused(response, "agency.urls_tenant")
        if case.path.startswith(HOOKS):  # nobody here can sign
            assert response.status_code in (403, 404), (response.status_code, response.content)
            if case.path_parameters.get("public_id") in ids["bravo"]["hooks"]:
                assert response.status_code == 404  # bravo's source is not found on alpha's host
        assert BRAVO_MARKER.encode() not in response.content

    _run(
        served_schemas["brand"],
        host=world.host(world.alpha),
        token=_token(getattr(world, role)),
        fixed=fixed,
        also=also,
        subtests=subtests,
    )


# --- Answers that did not match the schema, one case each --------------------------------------


def _exchange(
    raw_schema: dict[str, Any], method: str, path: str, *, host: str, user: Any, **case: Any
) -> Any:
    """One request as `user`, checked against the schema like the generated ones."""
    operation = schemathesis.openapi.from_dict(raw_schema)[path][method]
    request = operation.Case(**case)
    response = request.call(
        app=_app, base_url=f"http://{host}", headers={"Authorization": f"Token {_token(user)}"}
    )
    request.validate_response(response, checks=CHECKS)
    return response


def test_a_mention_without_author_is_as_documented(world, served_schemas, in_process):
    _seed_brand(world.alpha, marker="alpha")
    response = _exchange(
        served_schemas["brand"],
        "GET",
        "/api/v1/mentions/",
        host=world.host(world.alpha),
        user=world.viewer_a,
    )
    assert None in [mention["author"] for mention in response.json()["results"]]


def test_object_404s_are_documented_errors(world, served_schemas, in_process):
    for path in ("/api/v1/sources/{id}/", "/api/v1/alerts/{id}/"):
        response = _exchange(
            served_schemas["brand"],
            "GET",
            path,
            host=world.host(world.alpha),
            user=world.staff_a,
            path_parameters={"id": 999999},
        )
        assert response.json()["error"]["code"] == "not_found"


def test_a_written_source_answers_its_whole_health(world, served_schemas, in_process):
    seeded = _seed_brand(world.alpha, marker="alpha")["sources"][0]  # two mentions just now
    for method, path, params, mentions in (
        ("POST", "/api/v1/sources/", {}, 0),
        ("PATCH", "/api/v1/sources/{id}/", {"id": seeded}, 2),
    ):
        response = _exchange(
            served_schemas["brand"],
            method,
            path,
            host=world.host(world.alpha),
            user=world.staff_a,
            path_parameters=params,
            body={"name": "Reviews", "platform": "reviews", "kind": "feed"},
            media_type="application/json",
        )
        health = response.json()["health"]
        assert (health["mentions_last_hour"], health["silent"]) == (mentions, False)


@pytest.mark.parametrize("settings_part", ["null", "[1]", '{"url": "\\u0000"}'])
def test_source_settings_in_a_form_must_be_a_storable_object(
    world, served_schemas, in_process, settings_part
):
    with tenancy.tenant_context(world.alpha):
        before = Source.objects.count()
    response = _exchange(
        served_schemas["brand"],
        "POST",
        "/api/v1/sources/",
        host=world.host(world.alpha),
        user=world.staff_a,
        media_type="multipart/form-data",
        body={"name": "Blog", "platform": "news", "kind": "feed", "settings": settings_part},
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["settings"]
    with tenancy.tenant_context(world.alpha):
        assert Source.objects.count() == before
    with tenancy.tenant_context(world.bravo):
        assert not Source.objects.filter(name="Blog").exists()


def test_a_brands_exports_are_a_cursor_page(world, served_schemas, in_process):
    client_export_request(client=world.alpha)
    client_export_request(client=world.bravo)
    response = _exchange(
        served_schemas["agency"],
        "GET",
        "/api/v1/clients/{slug}/exports/",
        host=world.host(None),
        user=world.manager,
        path_parameters={"slug": "alpha"},
    )
    assert [e["client_slug"] for e in response.json()["results"]] == ["alpha"]


def test_offboarding_answers_the_archive_as_documented(world, served_schemas, in_process):
    client_onboard(name="Throwaway", slug=THROWAWAY)
    response = _exchange(
        served_schemas["agency"],
        "DELETE",
        "/api/v1/clients/{slug}/",
        host=world.host(None),
        user=world.admin,
        path_parameters={"slug": THROWAWAY},
    )
    assert response.status_code == 200 and response.json()["client_slug"] == THROWAWAY


# --- What a new user found missing in the schema (issue 12, point 10) ---------------------------


def _signed_headers(body: bytes, secret: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Stormdesk-Timestamp": stamp, "X-Stormdesk-Signature": f"v1={digest}"}


def test_a_batch_with_a_rejected_item_answers_as_documented(world, served_schemas, in_process):
    source = make_source(world.alpha)
    good = mention(1, posted_at=timezone.now().isoformat())
    for body in ({"mentions": [good, mention(2, likes=-1)]}, [mention(3, likes=-1)]):
        response = _exchange(
            served_schemas["brand"],
            "POST",
            "/api/v1/sources/{id}/mentions/",
            host=world.host(world.alpha),
            user=world.staff_a,
            path_parameters={"id": source.pk},
            body=body,
            media_type="application/json",
        )
        rejected = response.json()["rejected"]
        assert response.status_code in (207, 422) and rejected[-1]["dead_letter"] is not None
        assert rejected[-1]["errors"][0]["field"] == "likes"


def test_the_webhooks_answer_as_their_schema_says(world, served_schemas, in_process):
    secret = "whsec-contract"
    source = make_source(
        world.alpha, credentials={"webhook_secret": secret, "verify_token": "vt-contract"}
    )
    body = json.dumps({"mentions": [mention(1, posted_at=timezone.now().isoformat()), {}]}).encode()
    signed = _exchange(
        served_schemas["brand"],
        "POST",
        "/api/v1/hooks/{public_id}/",
        host=world.host(world.alpha),
        user=world.outsider,  # the token is no credential here: the signature is
        path_parameters={"public_id": str(source.public_id)},
        headers=_signed_headers(body, secret),
        body=body,  # as bytes: sent as signed
        media_type="application/json",
    )
    assert signed.status_code == 207 and signed.json()["accepted"] == 1
    handshake = _exchange(
        served_schemas["brand"],
        "GET",
        "/api/v1/hooks/{public_id}/meta/",
        host=world.host(world.alpha),
        user=world.outsider,
        path_parameters={"public_id": str(source.public_id)},
        query={"hub.mode": "subscribe", "hub.verify_token": "vt-contract", "hub.challenge": "42"},
    )
    assert (handshake.status_code, handshake.text) == (200, "42")
    # bravo's hosts do not know alpha's source
    refused = _exchange(
        served_schemas["brand"],
        "POST",
        "/api/v1/hooks/{public_id}/",
        host=world.host(world.bravo),
        user=world.outsider,
        path_parameters={"public_id": str(source.public_id)},
        headers=_signed_headers(body, secret),
        body=body,  # as bytes: sent as signed
        media_type="application/json",
    )
    assert refused.status_code == 404


def test_a_real_waves_reasons_and_figures_are_as_documented(world, served_schemas, in_process):
    source = make_source(world.alpha)
    quiet_history(world.alpha, source)
    at = DETECTION_NOW - timedelta(minutes=5)
    ingest(
        world.alpha,
        source,
        [
            *[item(n, at, ANGRY[n % 6], f"c{n}", 40) for n in range(8)],
            item(50, at, "Shocking how they treat people. Disgrace!", "bignews", 250_000),
        ],
    )
    with tenancy.tenant_context(world.alpha):
        wave = Wave.objects.select_related("alert").get()
    documented = served_schemas["brand"]["components"]["schemas"]["Figures"]["properties"]
    assert wave.figures["multipliers"] and set(wave.figures) <= set(documented)
    for path, pk in (("/api/v1/waves/{id}/", wave.pk), ("/api/v1/alerts/{id}/", wave.alert.pk)):
        response = _exchange(
            served_schemas["brand"],
            "GET",
            path,
            host=world.host(world.alpha),
            user=world.viewer_a,
            path_parameters={"id": pk},
        )
        body = response.json()
        wave_body = body.get("wave", body)
        assert wave_body["figures"]["multipliers"][0]["handle"] == "bignews"
        assert all(isinstance(reason, str) for reason in body["reasons"])


def test_a_sources_page_is_a_cursor_page(world, served_schemas, in_process):
    _seed_brand(world.alpha, marker="alpha")
    response = _exchange(
        served_schemas["brand"],
        "GET",
        "/api/v1/sources/",
        host=world.host(world.alpha),
        user=world.viewer_a,
    )
    assert [s["name"] for s in response.json()["results"]] == ["Blog alpha", "Mentions on X alpha"]
