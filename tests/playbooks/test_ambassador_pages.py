"""The ambassador pages: the list (staff add a fan with an account; a client viewer reads it,
a forged post refused) and an incident's panel (the ambassadors who spoke in the wave, the
balance against the usual week, a message out of band); never a 500 whatever the form holds."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agency.models import Notification
from clients import tenancy
from monitoring.models import Author, Mention
from playbooks.models import Ambassador
from playbooks.services import incident_open
from tests.monitoring.test_escalation import raise_alert
from tests.playbooks.test_ambassadors import START, posts

pytestmark = pytest.mark.django_db


def page(world, user) -> HttpClient:  # type: ignore[no-untyped-def]
    browser = HttpClient(HTTP_HOST=world.host(world.alpha))
    browser.force_login(user)
    return browser


def test_staff_add_a_fan_and_a_viewer_reads_the_list(world):
    form = {"name": "Fien", "email": "fien@fans.test", "platform": "instagram", "handle": "@fien"}
    assert page(world, world.staff_a).post("/ambassadors/", form).status_code == 302
    with tenancy.tenant_context(world.alpha):
        assert Author.objects.get(handle="fien").is_ambassador
    text = page(world, world.viewer_a).get("/ambassadors/").content.decode()
    assert "Fien" in text and "@fien" in text and "Add an ambassador" not in text
    assert page(world, world.viewer_a).post("/ambassadors/", form).status_code == 403
    again = page(world, world.staff_a).post("/ambassadors/", form | {"name": "Other"})
    assert again.status_code == 400 and "Fien&#x27;s already" in again.content.decode()
    with tenancy.tenant_context(world.bravo):
        assert not Ambassador.objects.exists()
    assert page(world, world.staff_b).get("/ambassadors/").status_code == 403


def test_the_panel_shows_who_spoke_the_balance_and_sends_the_message(world):
    alert = raise_alert(world.alpha, at=START)
    page(world, world.staff_a).post(
        "/ambassadors/",
        {"name": "Fien", "email": "fien@fans.test", "platform": "instagram", "handle": "fien"},
    )
    posts(
        world.alpha,
        alert.wave,
        [("w1", 0, "angry", 5000, "neg", True), ("w2", 1, "fien", 900, "pos", True)],
    )
    with tenancy.tenant_context(world.alpha):
        Mention.objects.filter(author__handle="fien").update(is_ambassador=True)
        incident = incident_open(client=world.alpha, alert=alert, acting_user=world.staff_a)
    path = f"/incidents/{incident.pk}/ambassadors/"
    text = page(world, world.viewer_a).get(path).content.decode()
    assert "Fien" in text and "post w2" in text and "Tell the ambassadors" not in text
    sent = page(world, world.staff_a).post(path, {"text": "Here is what we know so far."})
    assert sent.status_code == 302
    assert Notification.objects.filter(to_address="fien@fans.test").count() == 1
    refused = page(world, world.staff_a).post(path, {"text": "Copy this and post it: we rock"})
    assert (
        refused.status_code == 400 and "never give them a text to paste" in refused.content.decode()
    )


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.dictionaries(
        st.sampled_from(["name", "email", "platform", "handle", "note"]),
        st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30),
    )
)
def test_whatever_the_form_holds_the_answer_is_never_a_500(world, form):
    assert page(world, world.staff_a).post("/ambassadors/", form).status_code in (302, 400)
