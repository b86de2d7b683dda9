"""Escalation in Chromium: the person paged opens the acknowledge link on a phone, with no
session, and taps once; a manager reads whom each step reaches and changes the policy at a
desk; accessibility and no sideways scroll."""

from __future__ import annotations

import pytest

from agency.models import Notification
from clients import tenancy
from monitoring.models import Alert, AlertStatus, EscalationPolicy
from monitoring.services.escalation import escalation_start
from tests.browser.conftest import PHONE, log_in, serious, shot
from tests.monitoring.test_escalation import MONDAY_NOON, raise_alert, step

pytestmark = [pytest.mark.django_db, pytest.mark.browser]


def test_the_paged_person_acknowledges_on_a_phone_with_one_tap(world, desk, site, chromium):
    alert = raise_alert(world.alpha)
    with tenancy.tenant_context(world.alpha):
        escalation = escalation_start(
            client=world.alpha, alert_id=alert.pk, change="raised", now=MONDAY_NOON
        )
    assert escalation is not None
    step(world.alpha, escalation.pk, MONDAY_NOON)
    tenancy.reset_to_public()
    link = Notification.objects.get(client=world.alpha, alert_id=alert.pk).link
    page = chromium.new_page(viewport=PHONE)  # no session: the link is the key
    page.goto(link)
    assert alert.title in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "ack-phone")
    assert serious(page) == []
    page.click("button.ack-button")
    page.wait_for_selector("text=Acknowledged.")
    shot(page, "ack-phone-done")
    assert serious(page) == []
    with tenancy.tenant_context(world.alpha):
        acked = Alert.objects.get(pk=alert.pk)
        assert acked.status == AlertStatus.ACKNOWLEDGED
        assert acked.acknowledged_by == world.staff_a.email
    tenancy.reset_to_public()
    page.close()


def test_a_manager_sees_whom_each_step_reaches_and_changes_the_policy(world, desk, site, chromium):
    page = log_in(chromium, site, world.manager.email)
    page.goto(site.url("alpha.agency.localhost", "/escalation/"))
    steps = page.inner_text("ol.steps").lower()
    assert (world.staff_a.full_name or world.staff_a.email).lower() in steps
    assert "the fallback is paged" in steps  # nobody is duty manager
    shot(page, "escalation-desk")
    assert serious(page) == []
    page.fill("input[name=wait_0]", "3")
    page.select_option("select[name=target_2]", "")
    page.select_option("select[name=target_3]", "")
    page.click("text=Save the policy")
    page.wait_for_selector("text=The escalation policy is saved.")
    with tenancy.tenant_context(world.alpha):
        saved = list(EscalationPolicy.objects.get().steps.values_list("target", "wait_minutes"))
    tenancy.reset_to_public()
    assert saved == [("on_duty", 3), ("backup", 5)]
    page.close()
