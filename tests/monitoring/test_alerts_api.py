"""Alerts and waves on the API: lifecycle, validation, roles, and brands kept apart."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agency.models import AuditEvent
from clients import tenancy
from monitoring.models import Alert
from tests.conftest import api_client
from tests.monitoring.factories import make_alert

pytestmark = pytest.mark.django_db


def test_staff_acknowledge_then_resolve_with_who_and_when(world):
    alert = make_alert(world.alpha)
    api = api_client(world, world.staff_a, world.alpha)
    response = api.post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "acknowledged"
    assert response.json()["acknowledged_by"] == "staff_a@example.test"
    # twice is harmless
    assert api.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 200
    response = api.post(
        f"/api/v1/alerts/{alert.pk}/resolve/", {"note": "answered on X"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["closed_by"], body["close_note"]) == (
        "resolved",
        "staff_a@example.test",
        "answered on X",
    )
    assert list(
        AuditEvent.objects.filter(client_slug="alpha", verb__startswith="alert.")
        .order_by("id")
        .values_list("verb", flat=True)
    ) == ["alert.acknowledged", "alert.resolved"]
    # closed is closed
    response = api.post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_dismissing_needs_a_reason_and_keeps_the_verdict(world):
    alert = make_alert(world.alpha)
    api = api_client(world, world.staff_a, world.alpha)
    response = api.post(f"/api/v1/alerts/{alert.pk}/dismiss/", {}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["error"]["fields"]
    response = api.post(f"/api/v1/alerts/{alert.pk}/dismiss/", {"reason": "  "}, format="json")
    assert response.status_code == 400
    response = api.post(
        f"/api/v1/alerts/{alert.pk}/dismiss/", {"reason": "x", "why": "y"}, format="json"
    )
    assert response.status_code == 400 and "why" in response.json()["error"]["fields"]
    response = api.post(
        f"/api/v1/alerts/{alert.pk}/dismiss/",
        {"reason": "a joke that misfired, no follow-up"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "dismissed"
    # kept, with its wave's verdict, for the client's reports
    listed = api.get("/api/v1/alerts/?status=dismissed").json()["results"]
    assert [a["id"] for a in listed] == [alert.pk]
    assert listed[0]["wave"]["reasons"] == ["negative volume 9x a usual Tuesday evening"]
    assert listed[0]["close_note"] == "a joke that misfired, no follow-up"


def test_client_viewers_read_but_cannot_act(world):
    alert = make_alert(world.alpha)
    viewer = api_client(world, world.viewer_a, world.alpha)
    assert viewer.get(f"/api/v1/alerts/{alert.pk}/").status_code == 200
    for action in ("acknowledge", "resolve"):
        assert viewer.post(f"/api/v1/alerts/{alert.pk}/{action}/").status_code == 403
    assert (
        viewer.post(f"/api/v1/alerts/{alert.pk}/dismiss/", {"reason": "r"}, format="json")
    ).status_code == 403
    with tenancy.tenant_context(world.alpha):
        assert Alert.objects.get().status == "new"


def test_another_brand_sees_none_of_it(world):
    alert = make_alert(world.alpha)
    mine = make_alert(world.bravo, level="crisis")
    api = api_client(world, world.staff_b, world.bravo)
    assert [a["id"] for a in api.get("/api/v1/alerts/").json()["results"]] == [mine.pk]
    assert [w["id"] for w in api.get("/api/v1/waves/").json()["results"]] == [mine.wave_id]
    # alpha's alert id on bravo's host names bravo's table: not there (or bravo's own)
    if alert.pk != mine.pk:
        assert api.get(f"/api/v1/alerts/{alert.pk}/").status_code == 404
        assert api.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 404
    # and bravo's staff cannot reach alpha's host at all
    other = api_client(world, world.staff_b, world.alpha)
    assert other.get("/api/v1/alerts/").status_code == 403
    assert other.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 403
    with tenancy.tenant_context(world.alpha):
        assert Alert.objects.get().status == "new"


def test_filters_are_checked_and_lists_pin_their_queries(world):
    for level in ("watch", "issue", "crisis"):
        make_alert(world.alpha, level=level, wave_status="closed")
    api = api_client(world, world.staff_a, world.alpha)
    response = api.get("/api/v1/alerts/?level=panic")
    assert response.status_code == 400 and "level" in response.json()["error"]["fields"]
    assert api.get("/api/v1/waves/?status=burning").status_code == 400
    levels = [a["level"] for a in api.get("/api/v1/alerts/?level=crisis").json()["results"]]
    assert levels == ["crisis"]
    with CaptureQueriesContext(connection) as three:
        assert len(api.get("/api/v1/alerts/").json()["results"]) == 3
    make_alert(world.alpha, level="watch")
    with CaptureQueriesContext(connection) as four:
        assert len(api.get("/api/v1/alerts/").json()["results"]) == 4
    assert len(four) == len(three)
    with CaptureQueriesContext(connection) as waves:
        assert len(api.get("/api/v1/waves/").json()["results"]) == 4
    assert len(waves) == len(three)
