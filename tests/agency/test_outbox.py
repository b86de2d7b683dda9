"""The outbox: whom a page reaches and how (rules, a crisis on every verified method, never
nowhere), one row per decision however often it is taken, a wait cancelled once the alert is
acknowledged, a row a dead worker left half-sent tried again, a day-old row given up, and the
e-mail transport through a provider's API (django-anymail)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from agency.models import ContactMethod, Notification, NotificationStatus
from agency.notifications import (
    contact_method_add,
    notification_deliver,
    notification_rules_set,
    notify_person,
    outbox_due,
    reach_plan,
)
from tests.monitoring.factories import make_alert

pytestmark = pytest.mark.django_db


def verified(user, kind: str, target):  # type: ignore[no-untyped-def]
    method = contact_method_add(user=user, kind=kind, target=target)
    ContactMethod.objects.filter(pk=method.pk).update(verified_at=timezone.now())
    method.refresh_from_db()
    return method


def test_whom_a_page_reaches_and_how(world):
    person = world.staff_a
    # Nothing verified: the account's e-mail address, never nowhere.
    assert [(r.method, r.after_minutes) for r in reach_plan(user=person, urgent=False)] == [
        (None, 0)
    ]
    unverified = contact_method_add(user=person, kind="email", target="other@example.test")
    assert [r.method for r in reach_plan(user=person, urgent=True)] == [None]
    mail_method = verified(person, "email", "me@example.test")
    chat = verified(person, "apprise", "json://127.0.0.1:9/hook")
    # No rules: every verified method at once.
    assert {(r.method.pk, r.after_minutes) for r in reach_plan(user=person, urgent=False)} == {
        (mail_method.pk, 0),
        (chat.pk, 0),
    }
    notification_rules_set(user=person, rules=[(chat.pk, 0), (mail_method.pk, 5)])
    assert [(r.method.pk, r.after_minutes) for r in reach_plan(user=person, urgent=False)] == [
        (chat.pk, 0),
        (mail_method.pk, 5),
    ]
    # A crisis: every verified method at once, whatever the rules say; never the unverified.
    urgent = {r.method.pk for r in reach_plan(user=person, urgent=True)}
    assert urgent == {mail_method.pk, chat.pk} and unverified.pk not in urgent


def test_a_decision_taken_twice_writes_one_row_per_method(world):
    verified(world.staff_a, "email", "me@example.test")
    now = timezone.now()
    for _ in range(3):
        rows = notify_person(
            user=world.staff_a,
            key="alert:x:1:e1:r0s0:u1",
            topic="alert",
            subject="s",
            body="b",
            at=now,
        )
    assert len(rows) == 1
    assert Notification.objects.count() == 1


def test_a_page_waiting_for_its_minute_is_cancelled_when_the_alert_is_settled(world):
    alert = make_alert(world.alpha, level="issue")
    row = notify_person(
        user=world.staff_a,
        key="k",
        topic="alert",
        subject="s",
        body="b",
        client=world.alpha,
        alert_id=alert.pk,
    )[0]
    from clients import tenancy
    from monitoring.models import Alert

    with tenancy.tenant_context(world.alpha):
        Alert.objects.filter(pk=alert.pk).update(status="acknowledged")
    assert notification_deliver(notification_id=row.pk) == NotificationStatus.CANCELLED
    assert mail.outbox == []


def test_a_half_sent_row_is_tried_again_and_a_day_old_one_given_up(world):
    now = timezone.now()
    stale, old = (
        notify_person(user=world.staff_a, key=key, topic="test", subject="s", body="b", at=now)[0]
        for key in ("stale", "old")
    )
    Notification.objects.filter(pk=stale.pk).update(
        status="sending", sending_at=now - timedelta(minutes=5)
    )
    Notification.objects.filter(pk=old.pk).update(created_at=now - timedelta(hours=25))
    due = outbox_due(now=now)
    assert set(due) == {stale.pk, old.pk}
    assert notification_deliver(notification_id=stale.pk) == NotificationStatus.DELIVERED
    assert notification_deliver(notification_id=stale.pk) == NotificationStatus.DELIVERED
    assert len(mail.outbox) == 1  # delivered once, the second run left it alone
    assert notification_deliver(notification_id=old.pk) == NotificationStatus.FAILED
    assert "Given up" in Notification.objects.get(pk=old.pk).last_error


def test_mail_goes_through_a_providers_api_with_anymail(world, settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    row = notify_person(user=world.staff_a, key="k2", topic="test", subject="Hello", body="b")[0]
    assert notification_deliver(notification_id=row.pk) == NotificationStatus.DELIVERED
    (sent,) = mail.outbox
    assert sent.to == [world.staff_a.email] and sent.anymail_test_params is not None
    assert sent.extra_headers["X-Stormdesk-Key"].startswith("k2:")


def test_a_message_to_someone_who_is_not_a_user_goes_to_their_address(world):
    from agency.notifications import notify_address

    row = notify_address(
        address="employee@brand.test", key="notice:1:1", topic="notice", subject="S", body="B"
    )
    assert (
        notify_address(
            address="employee@brand.test", key="notice:1:1", topic="notice", subject="S", body="B"
        ).pk
        == row.pk
    )
    assert notification_deliver(notification_id=row.pk) == NotificationStatus.DELIVERED
    (sent,) = mail.outbox
    assert sent.to == ["employee@brand.test"]
