"""The demo agency (bin/demo's seed_demo): two brands, a login per role, and a roster whose gaps
the desk shows; running it again adds nothing."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from agency.models import Schedule, User
from agency.roster import on_duty_for_brands
from clients.models import Client

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_day_desk_for_acme_and_leaves_nordlys_and_nights_uncovered(world):
    for _ in range(2):
        call_command("seed_demo", stdout=io.StringIO())
    assert Schedule.objects.filter(name="Acme day desk").count() == 1
    acme, nordlys = Client.objects.get(slug="acme"), Client.objects.get(slug="nordlys")
    staff = User.objects.get(email="staff@stormdesk.localhost")
    manager = User.objects.get(email="manager@stormdesk.localhost")
    tuesday_morning = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam
    covers = on_duty_for_brands(clients=[acme, nordlys], at=tuesday_morning)
    assert covers[acme.pk][0].primary == str(staff.pk)
    assert covers[acme.pk][0].backup == str(manager.pk)
    assert covers[nordlys.pk][0].primary is None
    saturday = datetime(2026, 3, 7, 11, 0, tzinfo=UTC)
    assert on_duty_for_brands(clients=[acme], at=saturday)[acme.pk][0].primary is None


def test_the_demo_crisis_pages_the_staff_member_on_their_phone_and_mail(
    world, settings, tmp_path, django_capture_on_commit_callbacks
):
    """Acme's live crisis starts its escalation; its first step pages the staff member (who
    holds the next twelve hours) on the demo phone's push subscription and their mail at once."""
    settings.DEMO_PUSH_DIR = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    assert (tmp_path / "phone.json").exists()
    from django.utils import timezone

    from agency.models import ContactMethod, Notification
    from clients import tenancy
    from monitoring.models import Alert, Escalation
    from monitoring.services.escalation import escalation_step_run

    staff = User.objects.get(email="staff@stormdesk.localhost")
    kinds = set(ContactMethod.objects.filter(user=staff).values_list("kind", "verified_at"))
    assert {kind for kind, verified in kinds if verified} == {"push", "email"}
    acme = Client.objects.get(slug="acme")
    with tenancy.tenant_context(acme):
        alert = Alert.objects.get()
        escalation = Escalation.objects.get(alert=alert)
        ran = escalation_step_run(
            client=acme,
            escalation_id=escalation.pk,
            token=str(escalation.token),
            now=timezone.now(),
        )
    assert ran == "ran"
    pages = Notification.objects.filter(client=acme, alert_id=alert.pk)
    assert {(p.user_id, p.kind) for p in pages} == {(staff.pk, "push"), (staff.pk, "email")}
    assert all(p.subject.startswith("[CRISIS] Acme Coffee") for p in pages)
