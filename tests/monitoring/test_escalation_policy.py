"""The brand's escalation policy, on its page and in the API: whom each step would page now
(and the fallback where nobody is), changed by admins and account managers only, read by the
brand's agency staff, hidden from the client viewer; every form and body error a 4xx."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients import tenancy
from monitoring.models import EscalationPolicy
from tests.conftest import api_client

pytestmark = pytest.mark.django_db

# Session, user, access, the policy and its steps (the form, the preview), who is on duty (6,
# once for all steps), its people, the account managers, the duty managers' schedules (3), the
# admins, the recent runs: whatever the number of steps and people.
PAGE_QUERIES = 22


def page(world, user) -> HttpClient:  # type: ignore[no-untyped-def]
    browser = HttpClient(HTTP_HOST=world.host(world.alpha))
    browser.force_login(user)
    return browser


def steps(client) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        return list(EscalationPolicy.objects.get().steps.values_list("target", "wait_minutes"))


def test_the_page_shows_whom_each_step_pages_now(world, desk):
    text = page(world, world.staff_a).get("/escalation/").content.decode()
    name_a = world.staff_a.full_name or world.staff_a.email
    assert name_a in text and (desk.full_name or desk.email) in text
    # Nobody is duty manager: that step would go to the fallback, the admins.
    assert "the fallback is paged" in text
    assert "Save the policy" not in text  # staff read, managers change


def test_a_manager_changes_the_steps_and_the_other_brand_keeps_its_own(world, desk):
    form = {"target_0": "on_duty", "wait_0": "3", "target_1": "duty_manager", "wait_1": "10"}
    form |= {"repeat": "1", "morning_at": "07:30", "watch_waits_for_morning": "on"}
    answer = page(world, world.manager).post("/escalation/", form)
    assert answer.status_code == 302
    assert steps(world.alpha) == [("on_duty", 3), ("duty_manager", 10)]
    assert steps(world.bravo) == [
        ("on_duty", 5),
        ("backup", 5),
        ("account_manager", 10),
        ("duty_manager", 15),
    ]
    missing_wait = page(world, world.manager).post("/escalation/", form | {"wait_1": ""})
    assert missing_wait.status_code == 400
    assert "How long to wait" in missing_wait.content.decode()


def test_staff_and_viewers_cannot_change_it(world):
    form = {"target_0": "on_duty", "wait_0": "3", "repeat": "1", "morning_at": "07:30"}
    assert page(world, world.staff_a).post("/escalation/", form).status_code == 403
    assert page(world, world.viewer_a).get("/escalation/").status_code == 403
    viewer_nav = page(world, world.viewer_a).get("/").content.decode()
    assert "/escalation/" not in viewer_nav
    assert page(world, world.staff_b).get("/escalation/").status_code == 403  # bravo's staff
    assert len(steps(world.alpha)) == 4


def test_the_api_reads_and_replaces_the_policy(world, desk):
    body = api_client(world, world.staff_a, world.alpha).get("/api/v1/escalation/").json()
    assert [s["target"] for s in body["steps"]][:2] == ["on_duty", "backup"]
    assert body["now"][0]["people"][0]["id"] == world.staff_a.pk
    new = {
        "steps": [{"target": "backup", "wait_minutes": 2}],
        "repeat": 0,
        "watch_waits_for_morning": False,
        "morning_at": "08:00",
    }
    staff = api_client(world, world.staff_a, world.alpha).put("/api/v1/escalation/", new)
    assert staff.status_code == 403
    manager = api_client(world, world.manager, world.alpha)
    assert manager.put("/api/v1/escalation/", new).status_code == 200
    assert steps(world.alpha) == [("backup", 2)]
    bad = manager.put("/api/v1/escalation/", new | {"steps": []})
    assert bad.status_code == 400 and "error" in bad.json()
    assert manager.put("/api/v1/escalation/", new | {"typo": 1}).status_code == 400
    viewer = api_client(world, world.viewer_a, world.alpha).get("/api/v1/escalation/")
    assert viewer.status_code == 403


def test_the_page_costs_a_fixed_number_of_queries(world, desk):
    browser = page(world, world.manager)
    browser.get("/escalation/")
    with CaptureQueriesContext(connection) as queries:
        assert browser.get("/escalation/").status_code == 200
    assert len(queries) == PAGE_QUERIES, [q["sql"][:80] for q in queries.captured_queries]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "target_0",
                "wait_0",
                "target_1",
                "wait_1",
                "repeat",
                "morning_at",
                "watch_waits_for_morning",
            ]
        ),
        st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30),
    )
)
def test_whatever_the_form_carries_the_answer_is_never_a_500(world, form):
    answer = page(world, world.manager).post("/escalation/", form)
    assert answer.status_code in (302, 400)
