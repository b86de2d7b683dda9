"""The one-tap acknowledge link of a page: opening it shows the alert and one button (a GET
never acknowledges: previews and mail scanners open links too); the tap acknowledges as the
person the link was signed for, and the escalation stops. A forged, expired or other brand's
link, or one for a person who lost the brand, acknowledges nothing. The alert page shows the
agency whom the escalation paged and whether it reached them; the client viewer does not see
the agency's people."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client as HttpClient

from agency.models import Membership, Notification
from clients import tenancy
from monitoring.models import Alert, AlertStatus, Escalation, EscalationState
from monitoring.services.escalation import ack_token, escalation_start
from tests.monitoring.test_escalation import MONDAY_NOON, raise_alert, step

pytestmark = pytest.mark.django_db


def portal(world) -> HttpClient:  # type: ignore[no-untyped-def]
    return HttpClient(HTTP_HOST=world.host(None))


def paged_alert(world, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    alert = raise_alert(world.alpha)
    with tenancy.tenant_context(world.alpha):
        escalation = escalation_start(
            client=world.alpha, alert_id=alert.pk, change="raised", now=MONDAY_NOON
        )
    assert escalation is not None
    step(world.alpha, escalation.pk, MONDAY_NOON)
    return alert, escalation


def test_the_link_shows_the_alert_and_the_tap_acknowledges_as_that_person(
    world, desk, django_capture_on_commit_callbacks
):
    alert, escalation = paged_alert(world, django_capture_on_commit_callbacks)
    link = Notification.objects.get(client=world.alpha, alert_id=alert.pk).link
    path = "/" + link.split("/", 3)[3]
    browser = portal(world)

    shown = browser.get(path)
    assert shown.status_code == 200
    text = shown.content.decode()
    name = world.staff_a.full_name or world.staff_a.email
    assert "Alpha Bakery" in text and alert.title in text and f"Acknowledge as {name}" in text
    with tenancy.tenant_context(world.alpha):
        assert Alert.objects.get(pk=alert.pk).status == AlertStatus.NEW  # a GET changes nothing

    with django_capture_on_commit_callbacks(execute=True):
        tapped = browser.post(path)
    assert tapped.status_code == 200 and "Acknowledged." in tapped.content.decode()
    with tenancy.tenant_context(world.alpha):
        acked = Alert.objects.get(pk=alert.pk)
        assert acked.status == AlertStatus.ACKNOWLEDGED
        assert acked.acknowledged_by == world.staff_a.email
        # Routing ran on commit: the escalation stopped.
        assert Escalation.objects.get(pk=escalation.pk).state == EscalationState.ACKNOWLEDGED
    # Tapping again says who did it, and changes nothing.
    again = browser.post(path)
    assert again.status_code == 200 and "Already acknowledged" in again.content.decode()


@pytest.mark.parametrize("case", ["forged", "expired", "gone_alert", "lost_access", "viewer"])
def test_a_link_that_is_not_valid_acknowledges_nothing(
    world, desk, django_capture_on_commit_callbacks, monkeypatch, case
):
    alert, _ = paged_alert(world, django_capture_on_commit_callbacks)
    person = world.staff_a
    if case == "viewer":
        person = world.viewer_a
    with tenancy.tenant_context(world.alpha):
        token = ack_token(client=world.alpha, alert_id=alert.pk, user=person)
    if case == "forged":
        payload = {"s": world.alpha.schema_name, "a": alert.pk, "u": world.staff_a.pk}
        token = signing.dumps(payload, salt="another-salt", compress=True)
    elif case == "expired":
        # Signed three days ago (the signer's clock moved back); links last 36 hours.
        signed = time.time() - timedelta(days=3).total_seconds()
        monkeypatch.setattr("django.core.signing.time.time", lambda: signed)
        with tenancy.tenant_context(world.alpha):
            token = ack_token(client=world.alpha, alert_id=alert.pk, user=person)
        monkeypatch.undo()
    elif case == "gone_alert":
        with tenancy.tenant_context(world.alpha):
            token = ack_token(client=world.alpha, alert_id=alert.pk + 1000, user=person)
    elif case == "lost_access":
        Membership.objects.filter(user=person, client=world.alpha).delete()
    answer = portal(world).post(f"/ack/{token}/")
    assert answer.status_code == 400
    assert "This link does not work" in answer.content.decode()
    with tenancy.tenant_context(world.alpha):
        assert Alert.objects.get(pk=alert.pk).status == AlertStatus.NEW


def test_another_brands_alert_cannot_be_reached_with_this_brands_link(
    world, desk, django_capture_on_commit_callbacks
):
    """The token names the brand: an alert id of bravo's, signed for alpha, is looked up in
    alpha only."""
    alpha_alert, _ = paged_alert(world, django_capture_on_commit_callbacks)
    bravo_alert = raise_alert(world.bravo)
    with tenancy.tenant_context(world.alpha):
        token = ack_token(client=world.alpha, alert_id=bravo_alert.pk, user=world.staff_a)
    answer = portal(world).post(f"/ack/{token}/")
    with tenancy.tenant_context(world.bravo):
        assert Alert.objects.get(pk=bravo_alert.pk).status == AlertStatus.NEW
    if bravo_alert.pk != alpha_alert.pk:
        assert answer.status_code == 400


def test_the_alert_page_shows_the_agency_its_pages_and_the_viewer_not(
    world, desk, django_capture_on_commit_callbacks
):
    alert, _ = paged_alert(world, django_capture_on_commit_callbacks)
    Notification.objects.filter(client=world.alpha, alert_id=alert.pk).update(
        status="failed", attempts=3, last_error="Push service answered 410: gone"
    )
    staff = HttpClient(HTTP_HOST=world.host(world.alpha))
    staff.force_login(world.staff_a)
    text = staff.get(f"/alerts/{alert.pk}/").content.decode()
    assert "Pages sent" in text and "3 tries" in text and "Push service answered 410" in text
    assert "Paged" in text  # the step on the timeline
    viewer = HttpClient(HTTP_HOST=world.host(world.alpha))
    viewer.force_login(world.viewer_a)
    seen = viewer.get(f"/alerts/{alert.pk}/").content.decode()
    assert "Pages sent" not in seen and "staff_a@example.test" not in seen
