"""A missed check reminds the person on duty, then (after 15 minutes) the backup, each once per
missed check; a check made stops them; the one-tap link in the reminder records the check as
that person; the other brand's people are never reminded."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.test import Client as HttpClient

from agency.models import Notification
from clients import tenancy
from monitoring.models import BrandSettings, WatchCheck
from monitoring.services.watch import watch_check_record, watch_reminders_send

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # Monday 12:00 in Amsterdam: day, every 30 min


def reminded(world) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [
        (n.user.email.split("@")[0], "primary" if ":primary:" in n.key else "backup")
        for n in Notification.objects.filter(topic="watch").select_related("user").order_by("id")
    ]


def checked_at(client, moment: datetime) -> None:  # type: ignore[no-untyped-def]
    WatchCheck.objects.create(checked_at=moment, by="someone@example.test", outcome="quiet")


def test_a_missed_check_reminds_the_primary_then_the_backup_once_each(world, desk):
    with tenancy.tenant_context(world.alpha):
        BrandSettings.objects.update(
            check_every_minutes_day=30, night_starts=time(20), night_ends=time(8)
        )
        checked_at(world.alpha, NOON - timedelta(minutes=20))
        assert watch_reminders_send(client=world.alpha, now=NOON) == []  # not due yet
        late = NOON + timedelta(minutes=15)  # due at 11:10 UTC
        assert watch_reminders_send(client=world.alpha, now=late) == ["primary"]
        assert watch_reminders_send(client=world.alpha, now=late + timedelta(minutes=1)) == []
        later = NOON + timedelta(minutes=26)  # 16 minutes past due
        assert watch_reminders_send(client=world.alpha, now=later) == ["backup"]
        assert watch_reminders_send(client=world.alpha, now=later) == []
    assert reminded(world) == [("staff_a", "primary"), ("bea", "backup")]
    with tenancy.tenant_context(world.bravo):
        assert watch_reminders_send(client=world.bravo, now=later) == []  # nobody covers bravo
    assert not Notification.objects.filter(user=world.staff_b).exists()


def test_a_check_stops_the_reminders(world, desk):
    with tenancy.tenant_context(world.alpha):
        checked_at(world.alpha, NOON - timedelta(minutes=40))
        assert watch_reminders_send(client=world.alpha, now=NOON) == ["primary"]
        checked_at(world.alpha, NOON + timedelta(minutes=1))
        assert watch_reminders_send(client=world.alpha, now=NOON + timedelta(minutes=20)) == []


def test_the_link_in_the_reminder_records_the_check_as_that_person(world, desk):
    with tenancy.tenant_context(world.alpha):
        watch_check_record(client=world.alpha, acting_user=world.staff_a)
        WatchCheck.objects.update(checked_at=NOON - timedelta(hours=2))
        watch_reminders_send(client=world.alpha, now=NOON)
    link = Notification.objects.get(topic="watch", user=world.staff_a).link
    path = "/" + link.split("/", 3)[3]
    browser = HttpClient(HTTP_HOST=world.host(None))
    shown = browser.get(path)
    assert shown.status_code == 200 and "Checked: all quiet" in shown.content.decode()
    with tenancy.tenant_context(world.alpha):
        assert WatchCheck.objects.count() == 1  # a GET records nothing
    assert browser.post(path).status_code == 200
    with tenancy.tenant_context(world.alpha):
        newest = WatchCheck.objects.order_by("-checked_at").first()
        assert newest is not None and newest.by == world.staff_a.email
        assert WatchCheck.objects.count() == 2
    with tenancy.tenant_context(world.bravo):
        assert not WatchCheck.objects.exists()
    assert browser.post("/check/forged-token/").status_code == 400
