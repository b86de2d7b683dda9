"""The brand's playbook pages: the list with each playbook's situation, a playbook's steps
changed by the agency's people (the formset: rows changed, removed, added), read-only for the
client viewer (a forged post refused), another brand's playbook out of reach; every post a
200, 302 or 400, never a 500."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients import tenancy
from playbooks.models import Playbook

pytestmark = pytest.mark.django_db


def page(world, user, client=None) -> HttpClient:  # type: ignore[no-untyped-def]
    browser = HttpClient(HTTP_HOST=world.host(client or world.alpha))
    browser.force_login(user)
    return browser


def night(client) -> Playbook:  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        return Playbook.objects.get(template_key="night_crisis")


def form_of(playbook: Playbook, client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        steps = list(playbook.steps.all())
    data = {
        "name": playbook.name,
        "origin": playbook.origin,
        "level": playbook.level,
        "timing": playbook.timing,
        "platform": playbook.platform,
        "is_active": "on",
        "steps-TOTAL_FORMS": str(len(steps) + 2),
        "steps-INITIAL_FORMS": str(len(steps)),
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "30",
    }
    for n, step in enumerate(steps):
        data |= {
            f"steps-{n}-title": step.title,
            f"steps-{n}-who": step.who,
            f"steps-{n}-due_minutes": str(step.due_minutes),
            f"steps-{n}-instructions": step.instructions,
            f"steps-{n}-kind": step.kind,
        }
    for n in range(len(steps), len(steps) + 2):
        data |= {f"steps-{n}-title": "", f"steps-{n}-who": "lead", f"steps-{n}-due_minutes": ""}
    return data


def test_the_list_shows_each_playbooks_situation(world):
    text = page(world, world.viewer_a).get("/playbooks/").content.decode()
    assert "Nachtelijke crisis" in text and "Een lek" in text
    other = page(world, world.staff_b, world.bravo).get("/playbooks/").content.decode()
    assert "Kris på natten" in other and "Nachtelijke crisis" not in other


def test_staff_change_remove_and_add_steps(world):
    playbook = night(world.alpha)
    data = form_of(playbook, world.alpha)
    data["steps-1-title"] = ""  # remove "wake the account manager"
    data["steps-0-due_minutes"] = "3"
    n = int(data["steps-INITIAL_FORMS"])
    data |= {f"steps-{n}-title": "Call the night editor", f"steps-{n}-due_minutes": "25"}
    answer = page(world, world.staff_a).post(f"/playbooks/{playbook.pk}/", data)
    assert answer.status_code == 302, answer.content.decode()[:500]
    with tenancy.tenant_context(world.alpha):
        steps = list(Playbook.objects.get(pk=playbook.pk).steps.values_list("title", "due_minutes"))
    assert steps[0][1] == 3 and steps[-1] == ("Call the night editor", 25)
    assert not any(title.startswith("Bel de accountmanager") for title, _ in steps)
    missing_due = form_of(playbook, world.alpha) | {
        f"steps-{n - 1}-title": "X",
        f"steps-{n - 1}-due_minutes": "",
    }
    assert (
        page(world, world.staff_a).post(f"/playbooks/{playbook.pk}/", missing_due).status_code
        == 400
    )


def test_a_viewer_reads_and_cannot_change_and_other_brands_are_out_of_reach(world):
    playbook = night(world.alpha)
    viewer = page(world, world.viewer_a)
    text = viewer.get(f"/playbooks/{playbook.pk}/").content.decode()
    assert "Save the playbook" not in text and "Bevestig de melding" in text
    assert (
        viewer.post(f"/playbooks/{playbook.pk}/", form_of(playbook, world.alpha)).status_code == 403
    )
    bravo_id = night(world.bravo).pk
    if bravo_id != playbook.pk:
        assert page(world, world.staff_a).get(f"/playbooks/{bravo_id}/").status_code in (200, 404)
    assert page(world, world.staff_b).get(f"/playbooks/{playbook.pk}/").status_code == 403


def test_the_pages_cost_a_fixed_number_of_queries(world):
    browser = page(world, world.staff_a)
    browser.get("/playbooks/")
    with CaptureQueriesContext(connection) as listed:
        browser.get("/playbooks/")
    with CaptureQueriesContext(connection) as detail:
        browser.get(f"/playbooks/{night(world.alpha).pk}/")
    assert (len(listed), len(detail)) == (LIST_QUERIES, DETAIL_QUERIES)


# Pinned: whatever the number of playbooks and steps (the detail: and the lessons applied to
# the playbook and waiting, playbooks.lessons.playbook_lessons).
LIST_QUERIES, DETAIL_QUERIES = 6, 10


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "name",
                "origin",
                "level",
                "timing",
                "platform",
                "steps-TOTAL_FORMS",
                "steps-INITIAL_FORMS",
                "steps-0-title",
                "steps-0-who",
                "steps-0-due_minutes",
            ]
        ),
        st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20),
    )
)
def test_whatever_the_form_carries_the_answer_is_never_a_500(world, data):
    playbook = night(world.alpha)
    answer = page(world, world.staff_a).post(f"/playbooks/{playbook.pk}/", data)
    assert answer.status_code in (302, 400)
