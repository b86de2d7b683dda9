"""Incidents on the API: open from an alert, the checklist and timeline, the writes through the
services, validation, roles (client viewers read), and brands kept apart."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agency.models import AuditEvent
from clients import tenancy
from playbooks.models import Incident
from tests.conftest import api_client
from tests.monitoring.test_escalation import raise_alert
from tests.playbooks.test_incident_pages import _page_sent, opened
from tests.playbooks.test_incidents import NIGHT

pytestmark = pytest.mark.django_db


def test_staff_open_an_incident_from_an_alert_with_its_playbook_and_checklist(world):
    alert = raise_alert(world.alpha, at=NIGHT)
    api = api_client(world, world.staff_a, world.alpha)
    response = api.post("/api/v1/incidents/", {"alert": alert.pk}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["alert"], body["wave"], body["status"]) == (
        alert.pk,
        alert.wave_id,
        "investigating",
    )
    assert body["playbook_name"] == "Nachtelijke crisis"
    assert body["why"] == "night + crisis → Nachtelijke crisis"
    assert body["playbook_reason"] == "night + crisis -> Nachtelijke crisis"
    assert (body["lead"], body["responders"]) == (world.staff_a.email, [world.staff_a.email])
    steps = body["steps"]
    assert [s["kind"] for s in steps][:3] == ["acknowledge", "wake_manager", "holding_reply"]
    assert steps[0]["who"] == "on_duty" and steps[0]["overdue"] is False
    assert [(e["part"], e["kind"]) for e in body["timeline"]] == [
        ("alert", "raised"),
        ("incident", "opened"),
        ("incident", "playbook"),
        ("alert", "acknowledged"),  # the person who opened it is on it: the paging stops
    ]
    # Again: the open one, not a second.
    again = api.post("/api/v1/incidents/", {"alert": alert.pk}, format="json")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    with tenancy.tenant_context(world.alpha):
        assert Incident.objects.count() == 1


def test_origin_step_status_and_close_with_the_review(world):
    incident = opened(world.alpha, by=world.staff_a)
    api = api_client(world, world.staff_a, world.alpha)
    url = f"/api/v1/incidents/{incident.pk}/"
    body = api.post(f"{url}origin/", {"origin": "leak"}, format="json").json()
    assert body["origin"] == "leak" and body["why"].startswith("a leak → ")
    first = body["steps"][0]
    assert first["overdue"] is True  # opened at night, months ago
    done = api.post(f"{url}steps/{first['id']}/done/", {"note": "seen"}, format="json").json()
    assert (done["steps"][0]["done_by"], done["steps"][0]["note"]) == (world.staff_a.email, "seen")
    assert done["overdue"] == len(done["steps"]) - 1
    body = api.post(f"{url}status/", {"status": "monitoring"}, format="json").json()
    assert body["status"] == "monitoring"
    refused = api.post(f"{url}status/", {"status": "closed"}, format="json")
    assert refused.status_code == 400 and "status" in refused.json()["error"]["fields"]
    refused = api.post(f"{url}close/", {"truth": "yes"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {
        "improvements": ["Say what the brand should improve."]
    }
    body = api.post(
        f"{url}close/", {"truth": "yes", "improvements": "Answer within 15 minutes"}, format="json"
    ).json()
    assert (body["status"], body["truth"], body["overdue"]) == ("closed", "yes", 0)
    assert body["closed_at"] is not None
    assert [e["kind"] for e in body["timeline"] if e["part"] == "incident"] == [
        "opened",
        "playbook",
        "playbook",
        "step_done",
        "status",
        "closed",
    ]
    closed = api.post(f"{url}steps/{body['steps'][1]['id']}/done/", {}, format="json")
    assert closed.status_code == 400 and closed.json()["error"]["code"] == "invalid_incident"
    verbs = AuditEvent.objects.filter(client_slug="alpha", verb__startswith="incident.")
    assert list(verbs.order_by("id").values_list("verb", flat=True)) == [
        "incident.opened",
        "incident.origin_set",
        "incident.step_done",
        "incident.status",
        "incident.closed",
    ]


def test_validation_answers_by_field(world):
    incident = opened(world.alpha, by=world.staff_a)
    api = api_client(world, world.staff_a, world.alpha)
    url = f"/api/v1/incidents/{incident.pk}/"
    cases = [
        ("/api/v1/incidents/", {"alert": 999_999}, "alert"),
        ("/api/v1/incidents/", {"alert": incident.alert_id, "origin": "aliens"}, "origin"),
        ("/api/v1/incidents/", {"alert": incident.alert_id, "lead": "me"}, "lead"),
        (f"{url}origin/", {"origin": "aliens"}, "origin"),
        (f"{url}status/", {"status": "asleep"}, "status"),
        (f"{url}close/", {"truth": "maybe"}, "truth"),
        (f"{url}close/", {"truth": "no", "lessons": "x" * 5001}, "lessons"),
    ]
    for path, data, field in cases:
        response = api.post(path, data, format="json")
        assert response.status_code == 400, (path, data)
        assert field in response.json()["error"]["fields"], response.json()
    assert api.post(f"{url}steps/999999/done/", {}, format="json").status_code == 404


def test_viewers_read_and_may_not_write_and_see_no_pages(world):
    incident = opened(world.alpha, by=world.staff_a)
    _page_sent(world.alpha, incident, world.staff_a)
    staff = api_client(world, world.staff_a, world.alpha).get(f"/api/v1/incidents/{incident.pk}/")
    assert "page" in [e["part"] for e in staff.json()["timeline"]]
    viewer = api_client(world, world.viewer_a, world.alpha)
    listed = viewer.get("/api/v1/incidents/").json()["results"]
    assert [i["id"] for i in listed] == [incident.pk]
    detail = viewer.get(f"/api/v1/incidents/{incident.pk}/").json()
    assert detail["steps"] and "page" not in [e["part"] for e in detail["timeline"]]
    url = f"/api/v1/incidents/{incident.pk}/"
    for path, data in (
        ("/api/v1/incidents/", {"alert": incident.alert_id}),
        (f"{url}origin/", {"origin": "leak"}),
        (f"{url}steps/{detail['steps'][0]['id']}/done/", {}),
        (f"{url}status/", {"status": "responding"}),
        (f"{url}close/", {"truth": "no"}),
    ):
        response = viewer.post(path, data, format="json")
        assert response.status_code == 403
        assert response.json()["error"]["message"] == "Your access to this brand is read-only."
    with tenancy.tenant_context(world.alpha):
        incident.refresh_from_db()
        assert (incident.status, incident.origin) == ("investigating", "")


def test_another_brands_incidents_stay_invisible(world):
    bravo = opened(world.bravo, by=world.staff_b)
    ours = opened(world.alpha, by=world.staff_a)
    api = api_client(world, world.staff_a, world.alpha)
    assert [i["id"] for i in api.get("/api/v1/incidents/").json()["results"]] == [ours.pk]
    with tenancy.tenant_context(world.alpha):
        Incident.objects.filter(pk=ours.pk).delete()
    assert api.get(f"/api/v1/incidents/{bravo.pk}/").status_code == 404
    response = api.post(f"/api/v1/incidents/{bravo.pk}/close/", {"truth": "no"}, format="json")
    assert response.status_code == 404
    on_bravo = api_client(world, world.staff_a, world.bravo)
    assert on_bravo.get(f"/api/v1/incidents/{bravo.pk}/").status_code == 403
    with tenancy.tenant_context(world.bravo):
        assert Incident.objects.get(pk=bravo.pk).status == "investigating"


def test_the_list_filters_pages_by_cursor_and_costs_fixed_queries(world):
    first = opened(world.alpha, by=world.staff_a)
    with tenancy.tenant_context(world.alpha):
        Incident.objects.filter(pk=first.pk).update(status="closed")
    for _ in range(3):
        opened(world.alpha, at=timezone.now(), by=world.staff_a)
    api = api_client(world, world.staff_a, world.alpha)
    closed = api.get("/api/v1/incidents/", {"status": "closed"}).json()["results"]
    assert [i["id"] for i in closed] == [first.pk]
    assert api.get("/api/v1/incidents/", {"status": "asleep"}).status_code == 400
    page = api.get("/api/v1/incidents/").json()
    assert (page["next"], page["previous"], len(page["results"])) == (None, None, 4)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/incidents/").status_code == 200
        return len(captured)

    before = count()
    for _ in range(3):
        opened(world.alpha, at=timezone.now(), by=world.staff_a)
    assert count() == before == LIST_QUERIES


LIST_QUERIES = 5  # the token or session, the user, their access, the page
