"""Escalation of alerts through the brand's policy: the person on duty, then the backup, then
the account manager, then the duty manager; an acknowledgement stops it; nobody on duty pages
the fallback and records the gap; each step runs once whatever runs it twice; the other brand's
people are never paged; a watch at night may wait for the morning."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core import signing
from django.utils import timezone

from agency.models import AuditEvent, Notification, NotificationStatus, Role
from agency.roster import schedule_create, schedule_layer_add
from clients import tenancy
from monitoring.models import (
    Alert,
    AlertEvent,
    AlertStatus,
    BrandSettings,
    Escalation,
    EscalationState,
    Wave,
)
from monitoring.services.alerts import alert_acknowledge, alert_raise, alert_rise
from monitoring.services.escalation import (
    ack_token,
    ack_token_read,
    escalation_policy_get,
    escalation_policy_update,
    escalation_start,
    escalation_step_run,
    escalation_stop,
    escalations_audit,
)
from tests.conftest import agency_person

pytestmark = pytest.mark.django_db

MONDAY_NOON = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # 12:00 in Amsterdam


def raise_alert(client, level: str = "crisis", at: datetime = MONDAY_NOON) -> Alert:  # type: ignore[no-untyped-def]
    """A wave at `level` and its alert, raised as detection raises it (the service); a brand
    has one open wave, so the next ones are raised on closed waves."""
    with tenancy.tenant_context(client):
        wave = Wave.objects.create(
            status="closed" if Wave.objects.filter(status="open").exists() else "open",
            started_at=at - timedelta(minutes=20),
            last_activity_at=at,
            origin_platform="instagram",
            level=level,
            peak_level=level,
            reasons=["negative volume 9x a usual Monday noon", "3 multipliers"],
            negative_count=40,
            mention_count=60,
            judged_at=at,
        )
        return alert_raise(
            client=client,
            wave=wave,
            title=f"{level}: 40 negative mentions on Instagram",
            reasons=wave.reasons,
            at=at,
        )


def start(client, alert: Alert, at: datetime = MONDAY_NOON) -> Escalation:  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        escalation = escalation_start(client=client, alert_id=alert.pk, change="raised", now=at)
    assert escalation is not None
    return escalation


def step(client, escalation_id: int, at: datetime) -> str:  # type: ignore[no-untyped-def]
    """Run the escalation's current step, as its task does, with the token stored now."""
    with tenancy.tenant_context(client):
        token = str(Escalation.objects.get(pk=escalation_id).token)
        return escalation_step_run(client=client, escalation_id=escalation_id, token=token, now=at)


def paged(client, alert: Alert) -> list[str]:  # type: ignore[no-untyped-def]
    """Whom the outbox pages for the alert, in order (one row per person and method)."""
    return [
        n.user.email.split("@")[0]
        for n in Notification.objects.filter(client=client, alert_id=alert.pk)
        .select_related("user")
        .order_by("id")
    ]


def test_a_crisis_pages_primary_then_backup_then_account_manager_until_acknowledged(world, desk):
    alert = raise_alert(world.alpha)
    escalation = start(world.alpha, alert)
    assert step(world.alpha, escalation.pk, MONDAY_NOON) == "ran"
    assert paged(world.alpha, alert) == ["staff_a"]
    # Not acknowledged: the backup after the wait (5 minutes), then the account manager.
    with tenancy.tenant_context(world.alpha):
        due = Escalation.objects.get(pk=escalation.pk).next_at
    assert due == MONDAY_NOON + timedelta(minutes=5)
    assert step(world.alpha, escalation.pk, due) == "ran"
    assert paged(world.alpha, alert) == ["staff_a", "bea"]
    assert step(world.alpha, escalation.pk, due + timedelta(minutes=5)) == "ran"
    assert paged(world.alpha, alert) == ["staff_a", "bea", "manager"]

    # The message: the brand, the level, the reasons and the person's own acknowledge link.
    first = Notification.objects.filter(client=world.alpha, alert_id=alert.pk).first()
    assert first is not None
    assert first.subject.startswith("[CRISIS] Alpha Bakery:")
    assert "negative volume 9x a usual Monday noon" in first.body
    assert ack_token_read(first.link.rstrip("/").rsplit("/", 1)[-1]) == (
        world.alpha.schema_name,
        alert.pk,
        world.staff_a.pk,
    )

    # Acknowledged (on the desk, the API or the link): the escalation stops; nothing more.
    with tenancy.tenant_context(world.alpha):
        alert_acknowledge(client=world.alpha, alert=alert, acting_user=world.staff_a)
        escalation_stop(client=world.alpha, alert_id=alert.pk, change="acknowledged")
        stopped = Escalation.objects.get(pk=escalation.pk)
    assert stopped.state == EscalationState.ACKNOWLEDGED and stopped.token is None
    assert step(world.alpha, escalation.pk, due + timedelta(minutes=30)) == "stale"
    assert paged(world.alpha, alert) == ["staff_a", "bea", "manager"]
    with tenancy.tenant_context(world.alpha):
        kinds = list(AlertEvent.objects.filter(alert=alert).values_list("kind", flat=True))
    assert kinds == ["raised", "paged", "paged", "paged", "acknowledged"]


def test_the_acknowledgement_cancels_pages_that_still_wait(world, desk):
    """A person's rule "push after 5 minutes" is a page that waits; acknowledged before, it is
    cancelled and never sent."""
    alert = raise_alert(world.alpha, level="issue")
    escalation = start(world.alpha, alert)
    step(world.alpha, escalation.pk, MONDAY_NOON)
    row = Notification.objects.get(client=world.alpha, alert_id=alert.pk)
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=MONDAY_NOON + timedelta(hours=1))
    with tenancy.tenant_context(world.alpha):
        escalation_stop(client=world.alpha, alert_id=alert.pk, change="acknowledged")
    row.refresh_from_db()
    assert row.status == NotificationStatus.CANCELLED


def test_each_step_runs_once_whatever_runs_it_twice(world, desk):
    alert = raise_alert(world.alpha)
    escalation = start(world.alpha, alert)
    with tenancy.tenant_context(world.alpha):
        token = str(Escalation.objects.get(pk=escalation.pk).token)
        first = escalation_step_run(
            client=world.alpha, escalation_id=escalation.pk, token=token, now=MONDAY_NOON
        )
        # The same task again (a redelivered message, the auditor's resend): its token is used.
        again = escalation_step_run(
            client=world.alpha, escalation_id=escalation.pk, token=token, now=MONDAY_NOON
        )
        later = escalation_step_run(
            client=world.alpha,
            escalation_id=escalation.pk,
            token=token,
            now=MONDAY_NOON + timedelta(minutes=6),
        )
    assert (first, again, later) == ("ran", "stale", "stale")
    assert paged(world.alpha, alert) == ["staff_a"]
    # Raising twice does not start a second escalation.
    assert start(world.alpha, alert).pk == escalation.pk


def test_an_early_task_waits_and_pages_nobody(world, desk):
    alert = raise_alert(world.alpha)
    escalation = start(world.alpha, alert)
    step(world.alpha, escalation.pk, MONDAY_NOON)
    assert step(world.alpha, escalation.pk, MONDAY_NOON + timedelta(minutes=1)) == "early"
    assert paged(world.alpha, alert) == ["staff_a"]


def test_nobody_on_duty_pages_the_duty_manager_and_records_the_gap(world):
    duty = agency_person("duty", role=Role.ACCOUNT_MANAGER)
    managers = schedule_create(name="Duty managers", brands=[], acting_user=world.admin)
    managers.for_duty_managers = True
    managers.save()
    schedule_layer_add(
        schedule=managers,
        people=[duty],
        starts_on=date(2026, 3, 1),
        hand_off=time(9),
        acting_user=world.admin,
    )
    alert = raise_alert(world.alpha)
    escalation = start(world.alpha, alert)
    step(world.alpha, escalation.pk, MONDAY_NOON)
    assert paged(world.alpha, alert) == ["duty"]
    with tenancy.tenant_context(world.alpha):
        kinds = list(AlertEvent.objects.filter(alert=alert).values_list("kind", "note"))
    assert kinds[1][0] == "uncovered" and "paged the duty manager instead" in kinds[1][1]
    assert AuditEvent.objects.filter(verb="watch.uncovered", client_slug="alpha").exists()


def test_with_no_duty_manager_either_the_agency_admins_are_paged(world):
    alert = raise_alert(world.alpha)
    escalation = start(world.alpha, alert)
    step(world.alpha, escalation.pk, MONDAY_NOON)
    assert paged(world.alpha, alert) == ["admin"]


def test_the_other_brands_people_are_never_paged(world, desk):
    """Bravo's staff and viewers, and alpha's client viewer, get nothing for alpha's alert,
    through every step of every round."""
    with tenancy.tenant_context(world.alpha):
        escalation_policy_update(
            client=world.alpha,
            acting_user=None,
            steps=[("on_duty", 1), ("backup", 1), ("brand_staff", 1), ("account_manager", 1)],
            repeat=1,
            watch_waits_for_morning=False,
        )
    alert = raise_alert(world.alpha)
    escalation = start(world.alpha, alert)
    moment = MONDAY_NOON
    results = []
    for _ in range(10):
        results.append(step(world.alpha, escalation.pk, moment))
        moment += timedelta(minutes=1)
    assert results == ["ran"] * 8 + ["stale", "stale"]  # 4 steps, 2 rounds, then it ran out
    everyone = set(paged(world.alpha, alert))
    assert everyone == {"staff_a", "bea", "manager"}
    assert not everyone & {"staff_b", "viewer_a", "viewer_b", "outsider"}
    with tenancy.tenant_context(world.alpha):
        assert Escalation.objects.get(pk=escalation.pk).state == EscalationState.EXHAUSTED
        assert AlertEvent.objects.filter(alert=alert, kind="exhausted").count() == 1
    # Nothing was written in the other brand.
    with tenancy.tenant_context(world.bravo):
        assert not Escalation.objects.exists()


def test_a_watch_at_night_waits_for_the_morning_if_the_brand_says_so(world, desk):
    night = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)  # 00:30 in Amsterdam
    with tenancy.tenant_context(world.alpha):
        BrandSettings.objects.update(night_starts=time(20), night_ends=time(8))
        escalation_policy_update(
            client=world.alpha,
            acting_user=None,
            steps=[("on_duty", 5), ("backup", 5)],
            repeat=0,
            watch_waits_for_morning=True,
        )
    watch = raise_alert(world.alpha, level="watch", at=night)
    waiting = start(world.alpha, watch, at=night)
    assert waiting.state == EscalationState.WAITING
    # 08:00 Amsterdam (CET, UTC+1) is 07:00 UTC.
    assert waiting.next_at == datetime(2026, 3, 3, 7, 0, tzinfo=UTC)
    assert step(world.alpha, waiting.pk, night + timedelta(minutes=10)) == "early"
    assert paged(world.alpha, watch) == []
    assert step(world.alpha, waiting.pk, waiting.next_at) == "ran"
    assert paged(world.alpha, watch) == ["staff_a"]
    body = Notification.objects.get(client=world.alpha, alert_id=watch.pk).body
    assert "waited for the morning" in body

    # An issue at night never waits; and a watch that rises pages at once.
    issue = raise_alert(world.alpha, level="issue", at=night)
    assert start(world.alpha, issue, at=night).state == EscalationState.ACTIVE
    other = raise_alert(world.alpha, level="watch", at=night)
    before = start(world.alpha, other, at=night)
    with tenancy.tenant_context(world.alpha):
        alert_rise(
            client=world.alpha,
            alert=other,
            level="issue",
            title="issue now",
            reasons=["more"],
            at=night,
        )
        risen = escalation_start(client=world.alpha, alert_id=other.pk, change="rose", now=night)
        assert Escalation.objects.get(pk=before.pk).state == EscalationState.SUPERSEDED
    assert risen is not None and risen.state == EscalationState.ACTIVE


def test_the_auditor_resumes_a_late_step_and_starts_a_lost_hand_off(world, desk):
    alert = raise_alert(world.alpha)
    escalation = start(world.alpha, alert)
    step(world.alpha, escalation.pk, MONDAY_NOON)
    with tenancy.tenant_context(world.alpha):
        found = escalations_audit(client=world.alpha, now=MONDAY_NOON + timedelta(minutes=6))
    assert found == {"resumed": 1, "started": 0}
    # An open alert whose hand-off was lost (no escalation at all) gets one.
    with tenancy.tenant_context(world.alpha):
        orphan = Alert.objects.create(
            wave=Wave.objects.create(
                status="closed",
                started_at=MONDAY_NOON,
                last_activity_at=MONDAY_NOON,
                origin_platform="x",
                level="issue",
                peak_level="issue",
                judged_at=MONDAY_NOON,
            ),
            level="issue",
            title="lost",
            origin_platform="x",
            opened_at=MONDAY_NOON,
            updated_at=MONDAY_NOON,
        )
        found = escalations_audit(client=world.alpha, now=MONDAY_NOON + timedelta(minutes=6))
        assert found["started"] == 1
        assert Escalation.objects.filter(alert=orphan, state="active").count() == 1
        # Acknowledged alerts are left alone.
        Alert.objects.filter(pk=orphan.pk).update(status=AlertStatus.ACKNOWLEDGED)
    with tenancy.tenant_context(world.bravo):
        assert escalations_audit(client=world.bravo, now=timezone.now()) == {
            "resumed": 0,
            "started": 0,
        }


def test_an_acknowledge_link_is_for_one_person_one_alert_and_expires(world):
    with tenancy.tenant_context(world.alpha):
        token = ack_token(client=world.alpha, alert_id=7, user=world.staff_a)
    assert ack_token_read(token) == (world.alpha.schema_name, 7, world.staff_a.pk)
    with pytest.raises(signing.BadSignature):
        ack_token_read(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    with pytest.raises(signing.SignatureExpired):
        signing.loads(token, salt="stormdesk.alert-ack", max_age=-1)


def test_a_new_brand_gets_the_default_policy(world):
    with tenancy.tenant_context(world.bravo):
        policy = escalation_policy_get(client=world.bravo)
        targets = list(policy.steps.values_list("target", "wait_minutes"))
    assert targets == [
        ("on_duty", 5),
        ("backup", 5),
        ("account_manager", 10),
        ("duty_manager", 15),
    ]


def test_acknowledging_through_the_api_stops_the_escalation(
    world, desk, django_capture_on_commit_callbacks
):
    from tests.conftest import api_client

    alert = raise_alert(world.alpha)
    escalation = start(world.alpha, alert)
    step(world.alpha, escalation.pk, MONDAY_NOON)
    with django_capture_on_commit_callbacks(execute=True):
        answer = api_client(world, world.staff_a, world.alpha).post(
            f"/api/v1/alerts/{alert.pk}/acknowledge/"
        )
    assert answer.status_code == 200
    with tenancy.tenant_context(world.alpha):
        assert Escalation.objects.get(pk=escalation.pk).state == EscalationState.ACKNOWLEDGED
    assert step(world.alpha, escalation.pk, MONDAY_NOON + timedelta(minutes=5)) == "stale"
    assert paged(world.alpha, alert) == ["staff_a"]


def test_pages_have_a_queue_of_their_own_which_every_worker_serves():
    """A storm of processing across many brands must not hold up the steps and the sends."""
    from agency.celery import app

    for name in ("monitoring.tasks.escalation_step", "agency.tasks.notification_send"):
        assert app.amqp.router.route({}, name)["queue"].name == "pages"
    assert (
        app.amqp.router.route({}, "monitoring.tasks.mentions_process_pending")["queue"].name
        == "celery"
    )
    assert {q.name for q in app.conf.task_queues} == {"celery", "pages"}
