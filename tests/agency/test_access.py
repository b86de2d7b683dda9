"""The role matrix: every route of a brand host, for every kind of user, on their own brand and
on another one. A new route is picked up here automatically, and fails closed or fails this test."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from clients import tenancy
from monitoring.models import DeadLetter, ImportJob
from monitoring.services.ingestion import mentions_ingest
from playbooks.services import incident_open
from tests.conftest import api_client
from tests.monitoring.factories import make_alert, make_source

pytestmark = pytest.mark.django_db


def _paths(patterns: list, prefix: str = "") -> list[str]:
    paths = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            paths += _paths(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            paths.append("/" + route.lstrip("^").rstrip("$"))
    return paths


BRAND_PATHS = _paths(get_resolver("agency.urls_tenant").url_patterns)
# Routes that take only POST: a GET by a member is 405, never data.
POST_ONLY = {
    "/api/v1/sources/<int:pk>/mentions/",
    "/api/v1/dead-letters/<int:pk>/replay/",
    "/api/v1/dead-letters/<int:pk>/discard/",
    "/api/v1/sources/<int:pk>/test/",
    "/api/v1/alerts/<int:pk>/acknowledge/",
    "/api/v1/alerts/<int:pk>/resolve/",
    "/api/v1/alerts/<int:pk>/dismiss/",
    "/api/v1/watch/checks/",
    "/alerts/<int:pk>/acknowledge/",
    "/alerts/<int:pk>/resolve/",
    "/alerts/<int:pk>/dismiss/",
    "/sources/<int:pk>/settings/",
    "/sources/<int:pk>/credentials/",
    "/sources/<int:pk>/test/",
    "/sources/<int:pk>/pause/",
    "/sources/<int:pk>/resume/",
    "/members/grant/",
    "/members/revoke/",
    "/dead-letters/<int:pk>/replay/",
    "/dead-letters/<int:pk>/discard/",
    "/api/v1/incidents/<int:pk>/origin/",
    "/api/v1/incidents/<int:pk>/steps/<int:step>/done/",
    "/api/v1/incidents/<int:pk>/status/",
    "/api/v1/incidents/<int:pk>/close/",
    "/incidents/<int:pk>/origin/",
    "/incidents/<int:pk>/steps/<int:step>/done/",
    "/incidents/<int:pk>/status/",
    "/incidents/<int:pk>/close/",
    "/incidents/for-alert/<int:pk>/open/",
    "/employees/<int:pk>/active/",
    "/incidents/<int:pk>/qa/draft/",
    "/incidents/<int:pk>/qa/versions/<int:number>/publish/",
    "/incidents/<int:pk>/lead/",
    "/incidents/<int:pk>/join/",
    "/incidents/<int:pk>/note/",
    "/incidents/<int:pk>/answer/draft/",
    "/incidents/<int:pk>/answer/record/",
    "/incidents/<int:pk>/answer/<int:rid>/edit/",
    "/incidents/<int:pk>/answer/<int:rid>/approve/",
    "/incidents/<int:pk>/answer/<int:rid>/send/",
    "/incidents/<int:pk>/answer/<int:rid>/discard/",
    "/api/v1/incidents/<int:pk>/responses/record/",
    "/api/v1/responses/<int:pk>/approve/",
    "/api/v1/responses/<int:pk>/send/",
    "/response-settings/holidays/",
    "/response-settings/holidays/remove/",
    "/tone/",
}
# Pages that send a member elsewhere with the reason while the incident is open (the lessons
# editor is for a closed incident with lessons: tests/playbooks/test_lessons.py).
REDIRECTED = {"/incidents/<int:pk>/lessons/"}
# The agency's own on a brand (its people and their order): a client viewer gets 403.
AGENCY_ONLY = {"/escalation/", "/api/v1/escalation/", "/incidents/<int:pk>/lessons/"}
# Machine routes: authenticated by a signature, not by membership.
SIGNED = {"/api/v1/hooks/<uuid:public_id>/", "/api/v1/hooks/<uuid:public_id>/meta/"}
# Pages for anyone holding their own signed link (an employee's notice): no login, and nothing
# without a valid token (tests/playbooks/test_notices.py reads them with one).
PUBLIC = {"/notice/<str:token>/"}
# The crisis Q&A page: the same public page for anyone (another brand's code is a 404 there:
# tests/playbooks/test_qa.py).
QA_PUBLIC = {"/qa/<slug:code>/"}


@pytest.fixture
def alpha_objects(world):
    """One of each object a brand route names, in alpha."""
    source = make_source(world.alpha, credentials={"webhook_secret": "s", "app_secret": "a"})
    with tenancy.tenant_context(world.alpha):
        mentions_ingest(client=world.alpha, source=source, items=[{"junk": 1}], channel="api")
        letter = DeadLetter.objects.get()
        job = ImportJob.objects.create(
            source=source, filename="f.csv", path="/x", file_format="csv"
        )
    alert = make_alert(world.alpha)
    with tenancy.tenant_context(world.alpha):
        from playbooks.models import Employee

        employee = Employee.objects.create(email="anna@alpha.test")
        incident = incident_open(client=world.alpha, alert=alert, acting_user=world.staff_a)
        step = incident.steps.first()
        from playbooks.models import Playbook

        playbook = Playbook.objects.order_by("id").first()
        from playbooks import qa

        page = qa.qa_page_for(client=world.alpha, incident=incident)
        version = qa.qa_draft_save(
            client=world.alpha,
            page=page,
            acting_user=world.staff_a,
            title="t",
            intro="",
            entries=[{"q": "q", "a": "a"}],
            language="nl",
        )
        qa.qa_publish(client=world.alpha, version=version, acting_user=world.staff_a)
        from playbooks.sending import response_draft

        draft = response_draft(
            client=world.alpha,
            incident=incident,
            kind="post",
            platform="instagram",
            text="We're looking into it.",
            acting_user=world.staff_a,
        )
    return {
        "<int:rid>": str(draft.pk),
        "/api/v1/responses/<int:pk>": f"/api/v1/responses/{draft.pk}",
        "<int:number>": "1",
        "<slug:code>": page.code,
        "/employees/<int:pk>": f"/employees/{employee.pk}",
        "<str:token>": "not-a-signed-token",
        "/playbooks/<int:pk>": f"/playbooks/{playbook.pk if playbook else 0}",
        "/api/v1/incidents/<int:pk>": f"/api/v1/incidents/{incident.pk}",
        "/incidents/<int:pk>": f"/incidents/{incident.pk}",
        "/incidents/for-alert/<int:pk>": f"/incidents/for-alert/{alert.pk}",
        "<int:step>": str(step.pk if step else 0),
        "/api/v1/alerts/<int:pk>": f"/api/v1/alerts/{alert.pk}",
        "/alerts/<int:pk>": f"/alerts/{alert.pk}",
        "/api/v1/waves/<int:pk>": f"/api/v1/waves/{alert.wave_id}",
        "<int:pk>": str(source.pk),
        "<uuid:public_id>": str(source.public_id),
        "/api/v1/dead-letters/<int:pk>": f"/api/v1/dead-letters/{letter.pk}",
        "/api/v1/imports/<int:pk>": f"/api/v1/imports/{job.pk}",
        "/waves/<int:pk>": f"/waves/{alert.wave_id}",
        "/dead-letters/<int:pk>": f"/dead-letters/{letter.pk}",
        "/imports/<int:pk>": f"/imports/{job.pk}",
    }


def concrete(path: str, objects: dict) -> str:
    # Longest placeholders first: a route's own object before the generic source id.
    for placeholder in sorted(objects, key=len, reverse=True):
        path = path.replace(placeholder, objects[placeholder])
    assert "<" not in path, f"give {path} sample arguments in this test"
    return path


def test_the_matrix_covers_the_brand_routes():
    assert {"/", "/api/v1/brand/", "/api/v1/brand/settings/", "/api/schema/"} <= set(BRAND_PATHS)
    assert set(BRAND_PATHS) >= SIGNED | POST_ONLY | AGENCY_ONLY


@pytest.mark.parametrize("path", sorted(set(BRAND_PATHS) - SIGNED - PUBLIC - QA_PUBLIC))
@pytest.mark.parametrize("who", ["staff_a", "viewer_a", "admin", "manager"])
def test_members_open_every_brand_route(world, who, path, alpha_objects):
    response = api_client(world, getattr(world, who), world.alpha).get(
        concrete(path, alpha_objects)
    )
    expected = 405 if path in POST_ONLY else 302 if path in REDIRECTED else 200
    if who == "viewer_a" and path in AGENCY_ONLY:
        expected = 403
    assert response.status_code == expected, response.content[:300]


@pytest.mark.parametrize("path", sorted(SIGNED))
@pytest.mark.parametrize("who", ["admin", "staff_b", "outsider", None])
def test_signed_routes_refuse_everyone_without_the_signature(world, who, path, alpha_objects):
    api = api_client(world, getattr(world, who) if who else None, world.alpha)
    response = api.post(concrete(path, alpha_objects), [{"external_id": "1"}], format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "bad_signature"


@pytest.mark.parametrize("path", BRAND_PATHS)
@pytest.mark.parametrize("who", ["staff_b", "viewer_b", "outsider"])
@pytest.mark.parametrize("token", [False, True], ids=["session", "token"])
def test_non_members_get_403_on_every_brand_route(world, who, path, token, alpha_objects):
    url = concrete(path, alpha_objects)
    response = api_client(world, getattr(world, who), world.alpha, token=token).get(url)
    if path in SIGNED:
        assert response.status_code in (403, 405)  # no signature, no data
        assert b"junk" not in response.content
        return
    if path in PUBLIC:
        assert response.status_code == 400  # no valid token, no data
        assert b"Alpha" not in response.content
        return
    if path in QA_PUBLIC:
        assert response.status_code == 200  # public by design, the published version only
        return
    if token and not path.startswith("/api/"):
        # Pages take sessions only: a token is no login there.
        assert response.status_code == 302
        return
    assert response.status_code == 403, response.content[:300]
    assert b"Alpha" not in response.content or b"no access to Alpha" in response.content


@pytest.mark.parametrize("path", sorted(set(BRAND_PATHS) - SIGNED - PUBLIC - QA_PUBLIC))
def test_anonymous_is_sent_to_log_in(world, path, alpha_objects):
    response = api_client(world, None, world.alpha).get(concrete(path, alpha_objects))
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
