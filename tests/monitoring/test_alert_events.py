"""Each change of an alert is one service: raised, risen and reopened by detection, acknowledged,
resolved and dismissed by people. Each writes one timeline row (AlertEvent) and one audit event
in its transaction and hands the change to routing once it commits; the timeline shows on the
alert's page and in the API's alert detail, in the right brand and never the other."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client as HttpClient

from agency.models import AuditEvent
from agency.templatetags.stormdesk import in_zone
from clients import tenancy
from monitoring.exceptions import AlertError
from monitoring.models import Alert, AlertEvent
from monitoring.services.alerts import alert_acknowledge, alert_dismiss, alert_resolve, alert_rise
from monitoring.services.detection import waves_detect
from tests.conftest import api_client
from tests.monitoring.factories import make_alert, make_source
from tests.monitoring.test_detection import (
    ANGRY,
    NOW,
    angry_burst_on_a_quiet_brand,
    ingest,
    item,
    quiet_history,
)

pytestmark = pytest.mark.django_db

ROUTING = "monitoring.services.routing"
STATUS = "monitoring.services.status"


def from_module(callbacks, module: str) -> list:  # type: ignore[no-untyped-def]
    """The on-commit callbacks one module registered (its lambdas carry its name)."""
    return [callback for callback in callbacks if callback.__module__ == module]


def timeline(client, alert=None) -> list[tuple[str, str, str, str]]:  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        events = (
            AlertEvent.objects.all() if alert is None else AlertEvent.objects.filter(alert=alert)
        )
        return list(events.order_by("id").values_list("kind", "level", "actor", "note"))


def alert_verbs(client) -> list[str]:  # type: ignore[no-untyped-def]
    return list(
        AuditEvent.objects.filter(client_slug=client.slug, verb__startswith="alert.")
        .order_by("id")
        .values_list("verb", flat=True)
    )


def handed_off(caplog, client) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == ROUTING and r.getMessage().startswith(f"{client.schema_name}: ")
    ]


def the_alert(client) -> Alert:  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        return Alert.objects.get()


# Eight angry posts from eight small accounts, five minutes ago (as angry_burst_on_a_quiet_brand).
ANGRY_BURST = [item(n, NOW - timedelta(minutes=5), ANGRY[n % 6], f"c{n}", 40) for n in range(8)]


def multipliers_pick_it_up(client, source) -> None:  # type: ignore[no-untyped-def]
    """Two large accounts join the wave four minutes later: it rises past watch."""
    later = NOW + timedelta(minutes=4)
    ingest(
        client,
        source,
        [
            item(300, later, "Shocking. Disgrace!", "bignews", 250_000),
            item(301, later, "Outrageous, never again!!", "tv_host", 900_000),
        ],
        now=later + timedelta(seconds=20),
    )


def test_detection_raising_an_alert_writes_one_event_and_audit_row_and_hands_off_after_commit(
    world, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.INFO, logger=ROUTING)
    source = make_source(world.alpha)
    quiet_history(world.alpha, source)
    with django_capture_on_commit_callbacks() as callbacks:
        ingest(world.alpha, source, ANGRY_BURST)
    alert = the_alert(world.alpha)
    assert alert.level == "watch" and alert.status == "new"
    assert timeline(world.alpha) == [("raised", "watch", "", "")]
    assert alert_verbs(world.alpha) == ["alert.raised"]
    raised = AuditEvent.objects.get(verb="alert.raised")
    assert raised.actor is None
    assert raised.detail == {"alert": alert.pk, "wave": alert.wave_id, "level": "watch"}
    with tenancy.tenant_context(world.alpha):
        assert AlertEvent.objects.get().at == alert.opened_at
    # nothing reaches routing before the commit; once after it
    assert handed_off(caplog, world.alpha) == []
    handoffs = from_module(callbacks, ROUTING)
    assert len(handoffs) == 1
    handoffs[0]()
    assert handed_off(caplog, world.alpha) == [f"brand_alpha: alert {alert.pk} raised"]
    # the desk row is refreshed once per run (by processing), not a second time by the alert
    assert len(from_module(callbacks, STATUS)) == 1


def test_a_wave_rising_to_a_higher_level_writes_rose(world, django_capture_on_commit_callbacks):
    source = angry_burst_on_a_quiet_brand(world.alpha)
    with django_capture_on_commit_callbacks() as callbacks:
        multipliers_pick_it_up(world.alpha, source)
    alert = the_alert(world.alpha)
    assert alert.level in ("issue", "crisis") and alert.status == "new"
    assert timeline(world.alpha) == [("raised", "watch", "", ""), ("rose", alert.level, "", "")]
    with tenancy.tenant_context(world.alpha):
        assert AlertEvent.objects.get(kind="rose").at == alert.escalated_at
    assert alert_verbs(world.alpha) == ["alert.raised", "alert.rose"]
    rose = AuditEvent.objects.get(verb="alert.rose")
    assert rose.detail == {"alert": alert.pk, "level": alert.level, "previous": "watch"}
    assert len(from_module(callbacks, ROUTING)) == 1
    assert len(from_module(callbacks, STATUS)) == 1


def test_a_dismissed_alert_whose_wave_rises_is_reopened(world, django_capture_on_commit_callbacks):
    source = angry_burst_on_a_quiet_brand(world.alpha)
    alert = the_alert(world.alpha)
    with tenancy.tenant_context(world.alpha):
        alert_dismiss(
            client=world.alpha, alert=alert, acting_user=world.staff_a, reason="one-off complaints"
        )
    with django_capture_on_commit_callbacks() as callbacks:
        multipliers_pick_it_up(world.alpha, source)
    alert = the_alert(world.alpha)
    assert alert.status == "new" and alert.level in ("issue", "crisis")
    events = timeline(world.alpha)
    assert [kind for kind, *_ in events] == ["raised", "dismissed", "reopened"]
    assert events[1] == ("dismissed", "watch", world.staff_a.email, "one-off complaints")
    _, level, actor, note = events[2]
    assert (level, actor) == (alert.level, "")
    assert note.startswith("Reopened at 2026-03-10 18:34 UTC: the wave rose to")
    # the note on the alert is as before: the reopening first, then the reason it was closed
    assert alert.close_note == f"{note} one-off complaints"
    assert alert_verbs(world.alpha) == ["alert.raised", "alert.dismissed", "alert.reopened"]
    reopened = AuditEvent.objects.get(verb="alert.reopened")
    assert reopened.detail["closed"] == "dismissed" and reopened.detail["previous"] == "watch"
    assert len(from_module(callbacks, ROUTING)) == 1


def test_detection_again_with_no_change_writes_no_event(world, django_capture_on_commit_callbacks):
    angry_burst_on_a_quiet_brand(world.alpha)
    before = (timeline(world.alpha), alert_verbs(world.alpha))
    with (
        django_capture_on_commit_callbacks() as callbacks,
        tenancy.tenant_context(world.alpha),
        transaction.atomic(),
    ):
        waves_detect(client=world.alpha, now=NOW)
    assert (timeline(world.alpha), alert_verbs(world.alpha)) == before
    assert from_module(callbacks, ROUTING) == []


def test_people_acknowledging_resolving_and_dismissing_write_their_events(
    world, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.INFO, logger=ROUTING)
    resolved = make_alert(world.alpha, level="issue")
    dismissed = make_alert(world.alpha, wave_status="closed")
    with tenancy.tenant_context(world.alpha), django_capture_on_commit_callbacks(execute=True):
        alert_acknowledge(client=world.alpha, alert=resolved, acting_user=world.staff_a)
        alert_acknowledge(client=world.alpha, alert=resolved, acting_user=world.staff_a)  # no-op
        alert_resolve(
            client=world.alpha, alert=resolved, acting_user=world.staff_a, note="answered on X"
        )
        alert_dismiss(client=world.alpha, alert=dismissed, acting_user=None, reason="a quiz")
        with pytest.raises(AlertError):  # closed is closed: refused, nothing written
            alert_dismiss(client=world.alpha, alert=resolved, acting_user=world.staff_a, reason="x")
    email = world.staff_a.email
    assert timeline(world.alpha, resolved) == [
        ("acknowledged", "issue", email, ""),
        ("resolved", "issue", email, "answered on X"),
    ]
    assert timeline(world.alpha, dismissed) == [("dismissed", "watch", "", "a quiz")]
    assert alert_verbs(world.alpha) == ["alert.acknowledged", "alert.resolved", "alert.dismissed"]
    assert handed_off(caplog, world.alpha) == [
        f"brand_alpha: alert {resolved.pk} acknowledged",
        f"brand_alpha: alert {resolved.pk} resolved",
        f"brand_alpha: alert {dismissed.pk} dismissed",
    ]


def test_a_rolled_back_change_writes_no_event_and_hands_off_nothing(
    world, django_capture_on_commit_callbacks
):
    alert = make_alert(world.alpha, level="watch")
    with (
        django_capture_on_commit_callbacks() as callbacks,
        tenancy.tenant_context(world.alpha),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        alert_acknowledge(client=world.alpha, alert=alert, acting_user=world.staff_a)
        alert_rise(client=world.alpha, alert=alert, level="crisis", title="t", reasons=[], at=NOW)
        raise RuntimeError("the caller failed after the change")
    assert the_alert(world.alpha).status == "new"
    assert timeline(world.alpha) == [] and alert_verbs(world.alpha) == []
    assert from_module(callbacks, ROUTING) == []


def test_detection_that_dies_after_raising_leaves_no_alert_event_or_hand_off(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    from monitoring.services import processing

    source = make_source(world.alpha)
    quiet_history(world.alpha, source)
    refresh = processing.rollups_refresh
    raised: list[int] = []

    def fails_once_raised(**kwargs: object) -> None:
        # after waves_detect, in its transaction: the alert is there, then the run dies
        if AlertEvent.objects.filter(kind="raised").exists():
            raised.append(Alert.objects.get().pk)
            raise RuntimeError("rollups failed")
        refresh(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(processing, "rollups_refresh", fails_once_raised)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
        ingest(world.alpha, source, ANGRY_BURST)
    assert len(raised) == 1  # it was raised, in the transaction that then rolled back
    with tenancy.tenant_context(world.alpha):
        assert not Alert.objects.exists() and not AlertEvent.objects.exists()
    assert alert_verbs(world.alpha) == []
    assert from_module(callbacks, ROUTING) == []


def test_a_rise_to_the_same_level_is_refused(world):
    alert = make_alert(world.alpha, level="issue")
    with tenancy.tenant_context(world.alpha), pytest.raises(AlertError):
        alert_rise(client=world.alpha, alert=alert, level="issue", title="t", reasons=[], at=NOW)
    assert timeline(world.alpha) == []


def test_the_api_alert_detail_lists_its_events_and_the_list_does_not(world):
    alert = make_alert(world.alpha)
    api = api_client(world, world.staff_a, world.alpha)
    api.post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
    api.post(f"/api/v1/alerts/{alert.pk}/resolve/", {"note": "answered"}, format="json")
    body = api.get(f"/api/v1/alerts/{alert.pk}/").json()
    assert [(e["kind"], e["level"], e["actor"], e["note"]) for e in body["events"]] == [
        ("acknowledged", "watch", "staff_a@example.test", ""),
        ("resolved", "watch", "staff_a@example.test", "answered"),
    ]
    assert body["events"][0]["at"] == body["acknowledged_at"]
    assert "events" not in api.get("/api/v1/alerts/").json()["results"][0]


def test_another_brands_alerts_and_events_never_show(world):
    alpha = make_alert(world.alpha)
    bravo = make_alert(world.bravo, level="crisis")
    with tenancy.tenant_context(world.alpha):
        alert_dismiss(
            client=world.alpha, alert=alpha, acting_user=world.staff_a, reason="alpha only"
        )
    with tenancy.tenant_context(world.bravo):
        alert_acknowledge(client=world.bravo, alert=bravo, acting_user=world.staff_b)
        assert list(AlertEvent.objects.values_list("alert_id", "kind")) == [
            (bravo.pk, "acknowledged")
        ]
    api = api_client(world, world.staff_b, world.bravo)
    events = api.get(f"/api/v1/alerts/{bravo.pk}/").json()["events"]
    assert [(e["kind"], e["actor"]) for e in events] == [("acknowledged", "staff_b@example.test")]
    browser = HttpClient(HTTP_HOST=world.host(world.bravo))
    browser.force_login(world.staff_b)
    html = browser.get(f"/alerts/{bravo.pk}/").content.decode()
    assert "staff_b@example.test" in html
    assert "alpha only" not in html and "staff_a@example.test" not in html
    if alpha.pk != bravo.pk:  # alpha's id on bravo's host names nothing
        assert api.get(f"/api/v1/alerts/{alpha.pk}/").status_code == 404
    # and bravo's staff cannot read alpha's timeline at all
    assert (
        api_client(world, world.staff_b, world.alpha).get(f"/api/v1/alerts/{alpha.pk}/").status_code
        == 403
    )


def test_the_alert_page_shows_its_timeline_in_the_brands_zone(world):
    alert = make_alert(world.alpha, level="issue")
    browser = HttpClient(HTTP_HOST=world.host(world.alpha))
    browser.force_login(world.staff_a)
    html = browser.get(f"/alerts/{alert.pk}/").content.decode()
    assert "Timeline" in html and "No changes recorded yet." in html
    browser.post(f"/alerts/{alert.pk}/acknowledge/")
    browser.post(f"/alerts/{alert.pk}/dismiss/", {"reason": "A quiz, not a complaint"})
    html = browser.get(f"/alerts/{alert.pk}/").content.decode()
    with tenancy.tenant_context(world.alpha):
        acknowledged, dismissed = AlertEvent.objects.order_by("id")
    timeline_html = html[html.index("Timeline") :]
    assert "No changes recorded yet." not in timeline_html
    assert in_zone(acknowledged.at, world.alpha.timezone) in timeline_html
    first = timeline_html.index("<strong>Acknowledged</strong>")
    second = timeline_html.index("<strong>Dismissed as noise</strong>")
    assert first < second
    assert f"by {world.staff_a.email}" in timeline_html
    assert "A quiz, not a complaint" in timeline_html[second:]
    assert in_zone(dismissed.at, world.alpha.timezone) in timeline_html
