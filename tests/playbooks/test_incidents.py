"""Incidents: opened from an alert (by a person, or at once for a crisis when the brand says
so), with the playbook chosen for the situation and why, its checklist due from the start,
statuses, and the review at closing; one open incident per wave; another brand sees none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agency.models import AuditEvent
from clients import tenancy
from playbooks.exceptions import IncidentError
from playbooks.models import Incident, IncidentEvent, ResponseSettings
from playbooks.services import (
    incident_close,
    incident_open,
    incident_origin_set,
    incident_status_set,
    incident_step_done,
)
from tests.monitoring.test_escalation import raise_alert

pytestmark = pytest.mark.django_db

NIGHT = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)  # Tuesday 00:30 in Amsterdam


def test_a_person_opens_the_incident_with_the_night_playbook_and_its_due_times(world):
    alert = raise_alert(world.alpha, at=NIGHT)
    with tenancy.tenant_context(world.alpha):
        ResponseSettings.objects.update(auto_incident_for_crisis=False)
        incident = incident_open(
            client=world.alpha, alert=alert, acting_user=world.staff_a, at=NIGHT
        )
        assert incident.playbook is not None and incident.playbook.template_key == "night_crisis"
        assert incident.playbook_reason == "night + crisis -> Nachtelijke crisis"
        assert incident.lead == world.staff_a.email
        steps = list(incident.steps.all())
        assert steps[0].due_at == NIGHT + timedelta(minutes=5)
        assert [s.kind for s in steps][:3] == ["acknowledge", "wake_manager", "holding_reply"]
        # Opening it again (another person, a retried request) gives the same incident.
        again = incident_open(client=world.alpha, alert=alert, acting_user=world.manager)
        assert again.pk == incident.pk and Incident.objects.count() == 1
        kinds = list(incident.events.values_list("kind", flat=True))
    assert kinds == ["opened", "playbook"]
    assert AuditEvent.objects.filter(verb="incident.opened", client_slug="alpha").count() == 1
    with tenancy.tenant_context(world.bravo):
        assert not Incident.objects.exists()


def test_saying_what_happened_changes_the_playbook_and_keeps_what_was_done(world):
    alert = raise_alert(world.alpha, at=NIGHT)
    with tenancy.tenant_context(world.alpha):
        incident = incident_open(
            client=world.alpha, alert=alert, acting_user=world.staff_a, at=NIGHT
        )
        first = incident.steps.get(position=0)
        incident_step_done(client=world.alpha, step=first, acting_user=world.staff_a, note="seen")
        incident_origin_set(
            client=world.alpha, incident=incident, origin="leak", acting_user=world.staff_a
        )
        incident.refresh_from_db()
        assert incident.playbook is not None and incident.playbook.template_key == "leak"
        assert "een lek" in incident.playbook_reason.lower()
        kinds = [s.kind for s in incident.steps.all()]
        assert kinds[0] == "acknowledge" and "legal" in kinds  # the done step stays, first
        assert incident.steps.filter(done_at__isnull=False).count() == 1
        with pytest.raises(IncidentError):
            incident_origin_set(
                client=world.alpha, incident=incident, origin="aliens", acting_user=None
            )


def test_statuses_and_the_review_at_closing(world):
    alert = raise_alert(world.alpha)
    with tenancy.tenant_context(world.alpha):
        incident = incident_open(client=world.alpha, alert=alert, acting_user=world.staff_a)
        incident_status_set(
            client=world.alpha, incident=incident, status="responding", acting_user=world.staff_a
        )
        with pytest.raises(IncidentError, match="close it with its review"):
            incident_status_set(
                client=world.alpha, incident=incident, status="closed", acting_user=world.staff_a
            )
        with pytest.raises(IncidentError, match="improve"):
            incident_close(
                client=world.alpha,
                incident=incident,
                acting_user=world.staff_a,
                truth="partly",
                improvements=" ",
            )
        closed = incident_close(
            client=world.alpha,
            incident=incident,
            acting_user=world.staff_a,
            truth="partly",
            improvements="Check the cold chain of the delivery vans.",
        )
        assert closed.status == "closed" and closed.closed_at is not None
        step = closed.steps.first()
        assert step is not None
        with pytest.raises(IncidentError, match="closed"):
            incident_step_done(client=world.alpha, step=step, acting_user=world.staff_a)
        # A new wave, or the same one again after closing, may open a new incident.
        assert incident_open(client=world.alpha, alert=alert, acting_user=None).pk != incident.pk
        assert list(
            IncidentEvent.objects.filter(incident=incident).values_list("kind", flat=True)
        ) == ["opened", "playbook", "status", "closed"]


def test_a_crisis_opens_its_incident_at_once_when_the_brand_says_so(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        crisis = raise_alert(world.alpha, level="crisis")
    with tenancy.tenant_context(world.alpha):
        incident = Incident.objects.get(alert=crisis)
        assert incident.opened_by == "" and incident.lead == ""
        ResponseSettings.objects.update(auto_incident_for_crisis=False)
    with django_capture_on_commit_callbacks(execute=True):
        other = raise_alert(world.alpha, level="crisis")
    with django_capture_on_commit_callbacks(execute=True):
        issue = raise_alert(world.bravo, level="issue")
    with tenancy.tenant_context(world.alpha):
        assert not Incident.objects.filter(alert=other).exists()
    with tenancy.tenant_context(world.bravo):
        assert not Incident.objects.filter(alert=issue).exists()  # an issue waits for a person


def test_an_overdue_step_tells_the_lead_once(world):
    from agency.models import Notification
    from playbooks.services import incident_steps_overdue_notify

    alert = raise_alert(world.alpha, at=NIGHT)
    with tenancy.tenant_context(world.alpha):
        incident = incident_open(
            client=world.alpha, alert=alert, acting_user=world.staff_a, at=NIGHT
        )
        first = incident.steps.get(position=0)  # due 5 minutes after the start
        assert (
            incident_steps_overdue_notify(client=world.alpha, now=NIGHT + timedelta(minutes=4)) == 0
        )
        later = NIGHT + timedelta(minutes=7)
        assert incident_steps_overdue_notify(client=world.alpha, now=later) == 1
        assert incident_steps_overdue_notify(client=world.alpha, now=later) == 0
        incident_step_done(client=world.alpha, step=first, acting_user=world.staff_a)
        # Much later: the steps due since then are told, each once; the done one never again.
        told = incident_steps_overdue_notify(client=world.alpha, now=NIGHT + timedelta(hours=3))
        assert (
            told
            == incident.steps.filter(done_at__isnull=True)
            .exclude(due_at__gt=NIGHT + timedelta(hours=3))
            .count()
        )
        overdue = incident.events.filter(kind="step_overdue").count()
    assert overdue == 1 + told
    rows = Notification.objects.filter(client=world.alpha, user=world.staff_a)
    assert rows.count() == overdue and all("overdue" in n.subject for n in rows)
    with tenancy.tenant_context(world.bravo):
        assert incident_steps_overdue_notify(client=world.bravo, now=later) == 0
