"""Lessons change the brand's playbook: from a closed incident with lessons, the agency's people
open its playbook beside the lessons, change its steps and save; the steps change, the change
is kept with the incident, the audit names the incident and the incident's timeline says what
changed. Until then the lessons wait, and the playbook pages say so. A client viewer reads the
lessons and cannot apply them; another brand's incident is out of reach; an open incident, or
one without lessons, is refused with the reason; whatever the form carries, the answer is a
302 or a 400, never a 500."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agency.models import AuditEvent, User
from clients import tenancy
from playbooks.exceptions import IncidentError
from playbooks.lessons import incident_lessons, playbook_lessons_apply
from playbooks.models import Incident, IncidentEvent, Playbook, PlaybookChange
from playbooks.services import incident_close
from tests.playbooks.test_incident_pages import opened
from tests.playbooks.test_playbook_pages import form_of

pytestmark = pytest.mark.django_db

LESSON = "The holding reply came too late at night: the person on duty must not wait."


def page(world, user, client) -> HttpClient:  # type: ignore[no-untyped-def]
    browser = HttpClient(HTTP_HOST=world.host(client))
    browser.force_login(user)
    return browser


def closed(client, user, *, lessons: str = LESSON) -> Incident:  # type: ignore[no-untyped-def]
    """A crisis at night, its incident (the night playbook) closed with its review."""
    incident = opened(client, by=user)
    with tenancy.tenant_context(client):
        incident = incident_close(
            client=client,
            incident=incident,
            acting_user=user,
            truth="partly",
            improvements="Answer faster at night",
            lessons=lessons,
        )
        incident = Incident.objects.select_related("playbook").get(pk=incident.pk)
    tenancy.reset_to_public()
    return incident


def steps_of(client, playbook_id: int) -> list[tuple[str, str, int]]:  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        return list(
            Playbook.objects.get(pk=playbook_id).steps.values_list("title", "who", "due_minutes")
        )


def changed_form(incident: Incident, client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The editor's form with the first step due 3 minutes sooner and a step added."""
    assert incident.playbook is not None
    data = form_of(incident.playbook, client)
    n = int(data["steps-INITIAL_FORMS"])
    data["steps-0-due_minutes"] = str(int(data["steps-0-due_minutes"]) - 3)
    data |= {
        f"steps-{n}-title": "Call the night editor",
        f"steps-{n}-who": "lead",
        f"steps-{n}-due_minutes": "25",
        f"steps-{n}-instructions": "Before the morning papers pick it up.",
    }
    return data


def test_lessons_change_the_steps_and_the_incident_says_what_changed(world):
    incident = closed(world.alpha, world.staff_a)
    assert incident.playbook is not None
    playbook = incident.playbook
    before = steps_of(world.alpha, playbook.pk)
    browser = page(world, world.staff_a, world.alpha)
    url = f"/incidents/{incident.pk}/lessons/"
    editor = browser.get(url)
    html = editor.content.decode()
    assert editor.status_code == 200
    assert LESSON in html and "Answer faster at night" in html  # the lessons beside the steps
    assert 'name="steps-0-title"' in html and before[0][0] in html
    # Waiting, until applied: on the list of playbooks and on the playbook's page.
    listed = browser.get("/playbooks/").content.decode()
    assert "Lessons waiting from 1 closed incident" in listed
    assert f'href="/playbooks/{playbook.pk}/#lessons"' in listed
    waiting = browser.get(f"/playbooks/{playbook.pk}/").content.decode()
    assert "Lessons waiting, from 1 incident" in waiting and f'href="{url}"' in waiting

    answer = browser.post(url, changed_form(incident, world.alpha))
    assert answer.status_code == 302, answer.content.decode()[:800]
    assert answer["Location"] == f"/playbooks/{playbook.pk}/"
    after = steps_of(world.alpha, playbook.pk)
    first, due = before[0][0], before[0][2]
    assert after[0] == (first, before[0][1], due - 3)
    assert after[-1] == ("Call the night editor", "lead", 25) and len(after) == len(before) + 1

    # (In the steps' order: the first step's change, then the step added at the end.)
    summary = f"due time of '{first}' {due} → {due - 3} min; step added 'Call the night editor'"
    with tenancy.tenant_context(world.alpha):
        event = IncidentEvent.objects.get(incident=incident, kind="lessons")
        change = PlaybookChange.objects.get(incident=incident)
    tenancy.reset_to_public()
    assert event.note == (
        f"Playbook {playbook.name} changed from this incident's lessons: {summary}."
    )
    assert event.actor == world.staff_a.email
    assert (change.playbook_id, change.actor) == (playbook.pk, world.staff_a.email)
    audit = AuditEvent.objects.get(verb="playbook.lessons_applied")
    assert audit.actor == world.staff_a and audit.client_slug == world.alpha.slug
    assert (audit.detail["incident"], audit.detail["playbook"]) == (incident.pk, playbook.pk)
    assert AuditEvent.objects.filter(verb="playbook.updated", detail__playbook=playbook.pk).exists()

    # The playbook's page: the message, and the lessons that changed it (no longer waiting).
    shown = browser.get(answer["Location"]).content.decode()
    assert "The playbook is changed from the lessons of" in shown
    assert "Lessons that changed it" in shown and LESSON in shown
    assert (
        "Lessons waiting" not in shown and "step added &#x27;Call the night editor&#x27;" in shown
    )
    assert "Lessons waiting" not in browser.get("/playbooks/").content.decode()
    # The incident's timeline.
    timeline = browser.get(f"/incidents/{incident.pk}/").content.decode()
    assert "<strong>Lessons applied</strong>" in timeline
    assert f"{playbook.name} changed from this incident&#x27;s lessons: due time of" in timeline
    assert "step added &#x27;Call the night editor&#x27;." in timeline


def test_the_page_is_in_the_readers_language(world):
    incident = closed(world.alpha, world.staff_a)
    browser = page(world, world.staff_a, world.alpha)
    browser.post(f"/incidents/{incident.pk}/lessons/", changed_form(incident, world.alpha))
    assert incident.playbook is not None
    dutch = User.objects.get(pk=world.staff_a.pk)  # (not the session's own object)
    dutch.language = "nl"
    dutch.save(update_fields=["language"])
    answer = page(world, dutch, world.alpha).get(f"/playbooks/{incident.playbook.pk}/")
    html = answer.content.decode()
    assert "Lessen die het veranderden" in html
    assert "stap toegevoegd &#x27;Call the night editor&#x27;" in html


def test_keeping_the_playbook_as_it_is_ends_the_wait_and_changes_nothing(world):
    incident = closed(world.alpha, world.staff_a)
    assert incident.playbook is not None
    before = steps_of(world.alpha, incident.playbook.pk)
    browser = page(world, world.staff_a, world.alpha)
    answer = browser.post(f"/incidents/{incident.pk}/lessons/", {"keep": "1"})
    assert answer.status_code == 302 and answer["Location"] == f"/playbooks/{incident.playbook.pk}/"
    assert steps_of(world.alpha, incident.playbook.pk) == before
    with tenancy.tenant_context(world.alpha):
        change = PlaybookChange.objects.get(incident=incident)
        note = IncidentEvent.objects.get(incident=incident, kind="lessons").note
    tenancy.reset_to_public()
    assert change.changes == []
    assert note == (
        f"Playbook {incident.playbook.name} kept as it was: this incident's lessons need no change."
    )
    assert AuditEvent.objects.filter(
        verb="playbook.lessons_kept", detail__incident=incident.pk
    ).exists()
    html = browser.get(answer["Location"]).content.decode()
    assert "Lessons waiting" not in html and "Read, and the playbook kept as it was." in html


def test_saving_with_nothing_changed_is_refused_and_rolled_back(world):
    incident = closed(world.alpha, world.staff_a)
    assert incident.playbook is not None
    browser = page(world, world.staff_a, world.alpha)
    same = form_of(incident.playbook, world.alpha)
    answer = browser.post(f"/incidents/{incident.pk}/lessons/", same)
    assert answer.status_code == 400
    assert "Nothing in the playbook changed" in answer.content.decode()
    with tenancy.tenant_context(world.alpha):
        assert not PlaybookChange.objects.exists()
        assert not IncidentEvent.objects.filter(kind="lessons").exists()
    tenancy.reset_to_public()
    assert not AuditEvent.objects.filter(verb__startswith="playbook.").exists()


def test_an_open_incident_or_one_without_lessons_is_refused_with_the_reason(world):
    still_open = opened(world.alpha, by=world.staff_a)
    no_lessons = closed(world.alpha, world.staff_a, lessons="")
    assert no_lessons.playbook is not None
    before = steps_of(world.alpha, no_lessons.playbook.pk)
    browser = page(world, world.staff_a, world.alpha)
    for incident, reason in (
        (still_open, "This incident is still open: close it with its review first"),
        (no_lessons, "This incident&#x27;s review has no lessons for the playbook"),
    ):
        url = f"/incidents/{incident.pk}/lessons/"
        for answer in (
            browser.get(url, follow=True),
            browser.post(url, changed_form(no_lessons, world.alpha), follow=True),
            browser.post(url, {"keep": "1"}, follow=True),
        ):
            assert answer.redirect_chain == [(f"/incidents/{incident.pk}/", 302)]
            assert reason in answer.content.decode()
    assert steps_of(world.alpha, no_lessons.playbook.pk) == before
    with tenancy.tenant_context(world.alpha):
        assert not PlaybookChange.objects.exists()
        # The service refuses by itself too.
        with pytest.raises(IncidentError, match="still open"):
            playbook_lessons_apply(
                client=world.alpha,
                incident=still_open,
                acting_user=world.staff_a,
                name="X",
                origin="",
                level="",
                timing="",
                platform="",
                steps=[{"title": "X", "who": "lead", "due_minutes": 5}],
            )
    tenancy.reset_to_public()


def test_a_viewer_reads_the_lessons_and_cannot_apply_them(world):
    incident = closed(world.alpha, world.staff_a)
    assert incident.playbook is not None
    viewer = page(world, world.viewer_a, world.alpha)
    url = f"/incidents/{incident.pk}/lessons/"
    assert viewer.get(url).status_code == 403
    assert viewer.post(url, changed_form(incident, world.alpha)).status_code == 403
    assert viewer.post(url, {"keep": "1"}).status_code == 403
    html = viewer.get(f"/playbooks/{incident.playbook.pk}/").content.decode()
    assert LESSON in html and "Lessons waiting, from 1 incident" in html
    assert "Change the playbook with these lessons" not in html and url not in html
    with tenancy.tenant_context(world.alpha):
        assert not PlaybookChange.objects.exists()
        # The service refuses a viewer by itself too.
        with pytest.raises(Exception, match="agency's people"):
            playbook_lessons_apply(
                client=world.alpha,
                incident=incident,
                acting_user=world.viewer_a,
                name="X",
                origin="",
                level="",
                timing="",
                platform="",
                steps=[{"title": "X", "who": "lead", "due_minutes": 5}],
            )
    tenancy.reset_to_public()


def test_the_incident_page_says_what_became_of_the_lessons_and_links_the_agency_only(world):
    """(templates/playbooks/_lessons.html on the incident's page, with incident_lessons.)"""
    incident = closed(world.alpha, world.staff_a)
    url = f"/incidents/{incident.pk}/"
    link = f'href="/incidents/{incident.pk}/lessons/"'
    staff = page(world, world.staff_a, world.alpha)
    viewer = page(world, world.viewer_a, world.alpha)
    html = staff.get(url).content.decode()
    assert "These lessons have not changed the playbook yet." in html and link in html
    assert "Change the playbook with these lessons" in html
    html = viewer.get(url).content.decode()
    assert LESSON in html and "These lessons have not changed the playbook yet." in html
    assert link not in html and "Change the playbook with these lessons" not in html
    staff.post(f"/incidents/{incident.pk}/lessons/", changed_form(incident, world.alpha))
    assert incident.playbook is not None
    for browser in (staff, viewer):
        html = browser.get(url).content.decode()
        part = html[html.index("The lessons and the playbook") :]
        assert f'href="/playbooks/{incident.playbook.pk}/"' in part
        assert "<li>step added &#x27;Call the night editor&#x27;</li>" in part
        assert "not changed the playbook yet" not in part
    # Nothing while an incident is open, or closed without lessons (and no query for it).
    still_open = opened(world.alpha, by=world.staff_a)
    no_lessons = closed(world.alpha, world.staff_a, lessons="")
    for other in (still_open, no_lessons):
        html = staff.get(f"/incidents/{other.pk}/").content.decode()
        assert "The lessons and the playbook" not in html
        with tenancy.tenant_context(world.alpha), CaptureQueriesContext(connection) as captured:
            assert incident_lessons(client=world.alpha, incident=other, agency=True) is None
        tenancy.reset_to_public()
        assert len(captured) == 0


def test_another_brands_incident_cannot_be_used(world):
    bravo = closed(world.bravo, world.staff_b, lessons="Bravo's own lesson")
    ours = closed(world.alpha, world.staff_a)
    staff_a = page(world, world.staff_a, world.alpha)
    assert ours.playbook is not None
    assert (
        "Bravo&#x27;s own lesson"
        not in staff_a.get(f"/playbooks/{ours.playbook.pk}/").content.decode()
    )
    with tenancy.tenant_context(world.alpha):
        Incident.objects.filter(pk=bravo.pk).delete()  # so that bravo's id names nothing here
    tenancy.reset_to_public()
    url = f"/incidents/{bravo.pk}/lessons/"
    assert staff_a.get(url).status_code == 404
    assert staff_a.post(url, {"keep": "1"}).status_code == 404
    assert bravo.playbook is not None
    assert staff_a.post(url, changed_form(bravo, world.bravo)).status_code == 404
    # Another brand's host: no access at all.
    assert page(world, world.staff_a, world.bravo).get(url).status_code == 403
    assert (
        page(world, world.staff_b, world.alpha).get(f"/incidents/{ours.pk}/lessons/").status_code
        == 403
    )
    with tenancy.tenant_context(world.bravo):
        assert not PlaybookChange.objects.exists()
        assert Incident.objects.get(pk=bravo.pk).lessons == "Bravo's own lesson"
    tenancy.reset_to_public()


def test_bad_input_is_a_400_with_the_reason(world):
    incident = closed(world.alpha, world.staff_a)
    browser = page(world, world.staff_a, world.alpha)
    url = f"/incidents/{incident.pk}/lessons/"
    good = changed_form(incident, world.alpha)
    for broken, reason in (
        ({"steps-0-due_minutes": "soon"}, "Enter a whole number."),
        ({"steps-0-who": "the boss"}, "Select a valid choice."),
        ({"steps-0-due_minutes": "99999"}, "less than or equal to 43200"),
        ({"level": "apocalypse"}, "Select a valid choice."),
        ({"name": ""}, "This field is required."),
    ):
        answer = browser.post(url, good | broken)
        assert answer.status_code == 400, broken
        assert reason in answer.content.decode()
        assert LESSON in answer.content.decode()  # the lessons still beside the form
    no_steps = {k: v for k, v in good.items() if not k.startswith("steps-")}
    assert browser.post(url, no_steps).status_code == 400
    every_step_removed = {k: ("" if k.endswith("-title") else v) for k, v in good.items()}
    answer = browser.post(url, every_step_removed)
    assert answer.status_code == 400 and "Give between 1 and 30 steps." in answer.content.decode()
    with tenancy.tenant_context(world.alpha):
        assert not PlaybookChange.objects.exists()
    tenancy.reset_to_public()


def test_the_pages_cost_a_fixed_number_of_queries(world):
    incidents = [closed(world.alpha, world.staff_a) for _ in range(3)]
    browser = page(world, world.staff_a, world.alpha)
    browser.post(f"/incidents/{incidents[0].pk}/lessons/", changed_form(incidents[0], world.alpha))
    browser.post(f"/incidents/{incidents[1].pk}/lessons/", {"keep": "1"})
    assert incidents[2].playbook is not None
    counts = []
    for path in (
        f"/incidents/{incidents[2].pk}/lessons/",
        f"/incidents/{incidents[0].pk}/lessons/",
        f"/playbooks/{incidents[2].playbook.pk}/",
        "/playbooks/",
    ):
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(path).status_code == 200
        counts.append(len(captured))
    assert counts == [EDITOR_QUERIES, EDITOR_QUERIES, PLAYBOOK_QUERIES, LIST_QUERIES]


# Every brand page's 4 (schema, session, user, access); the editor: the incident with its
# playbook, its checklist, the playbook's steps, the incident's earlier changes; the playbook's
# page: the playbook, its steps, the lessons applied and waiting; the list: the playbooks with
# their lessons waiting, and their steps.
EDITOR_QUERIES, PLAYBOOK_QUERIES, LIST_QUERIES = 8, 8, 6


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
                "is_active",
                "keep",
                "steps-TOTAL_FORMS",
                "steps-INITIAL_FORMS",
                "steps-0-title",
                "steps-0-who",
                "steps-0-due_minutes",
                "steps-0-instructions",
                "steps-0-kind",
            ]
        ),
        st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20),
    )
)
def test_whatever_the_form_carries_the_answer_is_never_a_500(world, data):
    made = closed(world.alpha, world.staff_a)
    answer = page(world, world.staff_a, world.alpha).post(f"/incidents/{made.pk}/lessons/", data)
    assert answer.status_code in (302, 400)
