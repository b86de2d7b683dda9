"""The alert pages of a brand host: the list with its filters, the detail (reasons, the wave per
platform as an SVG chart, its mentions by reach), and the actions through the same services as
the API; read-only for a client viewer, closed to anyone not on the brand."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from clients import tenancy
from monitoring.models import Alert, Mention, VolumeBin
from tests.monitoring.factories import make_alert, make_source

pytestmark = pytest.mark.django_db


def page(world, user, client) -> HttpClient:  # type: ignore[no-untyped-def]
    browser = HttpClient(HTTP_HOST=world.host(client))
    browser.force_login(user)
    return browser


def with_wave(client):  # type: ignore[no-untyped-def]
    """An alert whose wave has bins on two platforms and three mentions of different reach."""
    alert = make_alert(client, level="issue", origin="instagram")
    wave = alert.wave
    source = make_source(client)
    with tenancy.tenant_context(client):
        for n, (key, count) in enumerate([("instagram", 4), ("x", 1), ("instagram", 9)]):
            VolumeBin.objects.create(
                key=key,
                start=wave.started_at + timedelta(minutes=5 * (n // 2)),
                count=count,
                expected=0.5,
                score=3.0,
            )
        from monitoring.services.ingestion import mentions_ingest

        mentions_ingest(
            client=client,
            source=source,
            channel="api",
            items=[
                {
                    "external_id": f"w{n}",
                    "posted_at": (wave.started_at + timedelta(minutes=n)).isoformat(),
                    "text": f"post {n}",
                    "url": f"https://x.com/u{n}/status/{n}",
                    "author": {"handle": f"u{n}", "followers": followers},
                }
                for n, followers in enumerate([50, 250_000, 9_000])
            ],
        )
        Mention.objects.update(wave=wave)
    tenancy.reset_to_public()
    return alert


def test_the_list_filters_by_level_and_status(world):
    make_alert(world.alpha, level="watch")
    make_alert(world.alpha, level="crisis", status="acknowledged", wave_status="closed")
    browser = page(world, world.staff_a, world.alpha)
    everything = browser.get("/alerts/").content.decode()
    assert "watch: 12 negative" in everything and "crisis: 12 negative" in everything
    crisis = browser.get("/alerts/", {"level": "crisis"}).content.decode()
    assert "crisis: 12 negative" in crisis and "watch: 12 negative" not in crisis
    new = browser.get("/alerts/", {"status": "new"}).content.decode()
    assert "watch: 12 negative" in new and "crisis: 12 negative" not in new
    # a value that is not a level is ignored, not an error
    assert browser.get("/alerts/", {"level": "nope"}).status_code == 200


def test_the_detail_shows_why_the_wave_per_platform_and_mentions_by_reach(world):
    alert = with_wave(world.alpha)
    html = page(world, world.staff_a, world.alpha).get(f"/alerts/{alert.pk}/").content.decode()
    assert "negative volume 9x a usual Tuesday evening" in html
    assert "started on Instagram" in html
    assert "<svg" in html and "<polyline" in html and "Instagram: 13" in html and "X: 1" in html
    assert html.index("@u1 (250k)") < html.index("@u2 (9k)") < html.index("@u0 (50)")
    assert 'href="https://x.com/u1/status/1"' in html
    assert "Acknowledge: I am on it" in html


def test_staff_acknowledge_then_resolve_with_a_note(world):
    alert = make_alert(world.alpha)
    browser = page(world, world.staff_a, world.alpha)
    response = browser.post(f"/alerts/{alert.pk}/acknowledge/")
    assert response.status_code == 302 and response["Location"] == f"/alerts/{alert.pk}/"
    assert "Acknowledged: you are on it." in browser.get(response["Location"]).content.decode()
    with tenancy.tenant_context(world.alpha):
        alert.refresh_from_db()
        assert (alert.status, alert.acknowledged_by) == ("acknowledged", world.staff_a.email)
    browser.post(f"/alerts/{alert.pk}/resolve/", {"note": "Replied on Instagram, Q&A up."})
    with tenancy.tenant_context(world.alpha):
        alert.refresh_from_db()
        assert (alert.status, alert.close_note) == ("resolved", "Replied on Instagram, Q&A up.")
    # resolving twice is the service's conflict, shown as a message, not a crash
    again = browser.post(f"/alerts/{alert.pk}/resolve/", follow=True).content.decode()
    assert "is already resolved" in again


def test_dismissing_needs_the_reason(world):
    alert = make_alert(world.alpha)
    browser = page(world, world.staff_a, world.alpha)
    refused = browser.post(f"/alerts/{alert.pk}/dismiss/", {"reason": ""})
    assert refused.status_code == 400
    assert "Say why this is noise." in refused.content.decode()
    browser.post(f"/alerts/{alert.pk}/dismiss/", {"reason": "A quiz, not a complaint"})
    with tenancy.tenant_context(world.alpha):
        alert.refresh_from_db()
        assert (alert.status, alert.close_note) == ("dismissed", "A quiz, not a complaint")


def test_a_viewer_sees_no_control_and_a_forged_post_is_refused(world):
    alert = make_alert(world.alpha)
    browser = page(world, world.viewer_a, world.alpha)
    html = browser.get(f"/alerts/{alert.pk}/").content.decode()
    assert "Acknowledge" not in html and '<form method="post" action="/alerts' not in html
    for action in ("acknowledge", "resolve", "dismiss"):
        assert browser.post(f"/alerts/{alert.pk}/{action}/", {"reason": "x"}).status_code == 403
    with tenancy.tenant_context(world.alpha):
        assert Alert.objects.get(pk=alert.pk).status == "new"


def test_another_brands_alerts_stay_out_of_reach(world):
    bravo = make_alert(world.bravo, level="crisis")
    staff_a = page(world, world.staff_a, world.bravo)
    assert staff_a.get("/alerts/").status_code == 403
    assert staff_a.post(f"/alerts/{bravo.pk}/acknowledge/").status_code == 403
    # on alpha's own host, bravo's alert id names nothing
    on_alpha = page(world, world.staff_a, world.alpha)
    with tenancy.tenant_context(world.alpha):
        assert not Alert.objects.filter(pk=bravo.pk).exists()
    assert on_alpha.get(f"/alerts/{bravo.pk}/").status_code == 404
    with tenancy.tenant_context(world.bravo):
        assert Alert.objects.get(pk=bravo.pk).status == "new"


def test_the_pages_cost_a_fixed_number_of_queries(world):
    for _ in range(3):
        make_alert(world.alpha, wave_status="closed")
    alert = with_wave(world.alpha)
    browser = page(world, world.staff_a, world.alpha)
    browser.get("/alerts/")  # warm

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(path).status_code == 200
        return len(captured)

    listed = count("/alerts/")
    detail = count(f"/alerts/{alert.pk}/")
    for _ in range(5):
        make_alert(world.alpha, wave_status="closed")
    assert count("/alerts/") == listed  # not one query per alert
    assert (listed, detail) == (LIST_QUERIES, DETAIL_QUERIES)


LIST_QUERIES = 5
DETAIL_QUERIES = 9  # 7, the timeline (monitoring.AlertEvent) and its pages (agency.Notification)
