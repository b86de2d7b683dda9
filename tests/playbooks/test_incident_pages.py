"""The incident pages of a brand host: opened from the alert page's part, the playbook and why,
the checklist with due times in the brand's zone, the status, the review at closing and the
merged timeline; read-only for a client viewer, out of reach for another brand."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agency.models import Notification
from clients import tenancy
from playbooks.models import Incident, IncidentStep
from playbooks.services import incident_open
from tests.monitoring.test_escalation import raise_alert
from tests.playbooks.test_incidents import NIGHT

pytestmark = pytest.mark.django_db


def page(world, user, client) -> HttpClient:  # type: ignore[no-untyped-def]
    browser = HttpClient(HTTP_HOST=world.host(client))
    browser.force_login(user)
    return browser


def opened(client, *, at=NIGHT, by=None) -> Incident:  # type: ignore[no-untyped-def]
    """A crisis raised at night and its incident, opened at `at` (its steps due from then)."""
    alert = raise_alert(client, at=NIGHT)
    with tenancy.tenant_context(client):
        incident = incident_open(client=client, alert=alert, acting_user=by, at=at)
        incident = Incident.objects.select_related("alert").get(pk=incident.pk)
    tenancy.reset_to_public()
    return incident


def test_staff_open_the_incident_from_the_alert_page(world):
    alert = raise_alert(world.alpha, at=NIGHT)
    browser = page(world, world.staff_a, world.alpha)
    alert_html = browser.get(f"/alerts/{alert.pk}/").content.decode()
    assert f'hx-get="/incidents/for-alert/{alert.pk}/"' in alert_html
    part = browser.get(f"/incidents/for-alert/{alert.pk}/").content.decode()
    assert f'action="/incidents/for-alert/{alert.pk}/open/"' in part and "Open incident" in part
    response = browser.post(f"/incidents/for-alert/{alert.pk}/open/")
    with tenancy.tenant_context(world.alpha):
        incident = Incident.objects.get(alert=alert)
        first = incident.steps.first()
        assert first is not None
    tenancy.reset_to_public()
    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.pk}/"
    html = browser.get(response["Location"]).content.decode()
    # The night playbook (the brand speaks Dutch), and why, in the reader's English.
    assert "Incident open. Playbook: night + crisis → Nachtelijke crisis" in html
    assert "<strong>Why:</strong> night + crisis → Nachtelijke crisis" in html
    assert f'href="/alerts/{alert.pk}/"' in html and f'href="/waves/{alert.wave_id}/"' in html
    assert world.staff_a.email in html  # the lead
    # Each step: who, due in the brand's zone with the offset, a Done button.
    # (Its date too when the due time falls on another day there, as it does just before midnight.)
    due = timezone.localtime(first.due_at, timezone=world.alpha.zone)
    offset = f"{due:%z}"[:3] + ":" + f"{due:%z}"[3:]
    assert re.search(rf"due (?:[^<·]+ )?{due:%H:%M} {due:%Z} \({re.escape(offset)}\)", html)
    assert "The person on duty" in html
    assert f'action="/incidents/{incident.pk}/steps/{first.pk}/done/"' in html
    # The alert's part now leads to the open incident and offers no second one.
    part = browser.get(f"/incidents/for-alert/{alert.pk}/").content.decode()
    assert f'href="/incidents/{incident.pk}/"' in part and "Open incident" not in part
    browser.post(f"/incidents/for-alert/{alert.pk}/open/")
    with tenancy.tenant_context(world.alpha):
        assert Incident.objects.filter(alert=alert).count() == 1


def test_a_step_a_status_and_the_review_at_closing(world):
    incident = opened(world.alpha, by=world.staff_a)
    with tenancy.tenant_context(world.alpha):
        first = incident.steps.get(position=0)
    browser = page(world, world.staff_a, world.alpha)
    url = f"/incidents/{incident.pk}/"
    done = browser.post(f"{url}steps/{first.pk}/done/", {"note": "Seen on Instagram"}, follow=True)
    assert f"Done: {first.title}" in done.content.decode()
    browser.post(f"{url}status/", {"status": "responding"})
    # closing needs the review: some truth but nothing to improve is refused with the reason
    refused = browser.post(f"{url}close/", {"truth": "partly", "improvements": " "})
    assert refused.status_code == 400
    assert "say what the brand should improve" in refused.content.decode()
    browser.post(f"{url}close/", {"truth": "partly", "improvements": "Cold chain of the vans"})
    with tenancy.tenant_context(world.alpha):
        incident.refresh_from_db()
        step = IncidentStep.objects.get(pk=first.pk)
    assert (incident.status, incident.truth) == ("closed", "partly")
    assert incident.improvements == "Cold chain of the vans"
    assert (step.done_by, step.note) == (world.staff_a.email, "Seen on Instagram")
    html = browser.get(url).content.decode()
    assert "Cold chain of the vans" in html and "Was there truth in the critique?" in html
    assert "Close the incident" not in html and "Move to" not in html  # closed: no controls
    # The timeline: the alert's events and the incident's, in time order.
    timeline = html[html.index("<h2>Timeline</h2>") :]
    order = ["Raised", "Opened", "Playbook chosen", "Step done", "Status changed", "Closed"]
    positions = [timeline.index(f"<strong>{word}</strong>") for word in order]
    assert positions == sorted(positions)
    assert "Seen on Instagram" in timeline and "investigating -&gt; responding" in timeline


def test_saying_what_happened_chooses_the_playbook_again(world):
    incident = opened(world.alpha, by=world.staff_a)
    browser = page(world, world.staff_a, world.alpha)
    answer = browser.post(f"/incidents/{incident.pk}/origin/", {"origin": "leak"}, follow=True)
    html = answer.content.decode()
    with tenancy.tenant_context(world.alpha):
        incident.refresh_from_db()
        assert incident.playbook is not None and incident.playbook.template_key == "leak"
        name = incident.playbook.name
    assert f"Playbook: a leak → {name}" in html
    assert '<option value="leak" selected>' in html
    refused = browser.post(f"/incidents/{incident.pk}/origin/", {"origin": "aliens"})
    assert refused.status_code == 400 and "Select a valid choice" in refused.content.decode()


def test_the_list_puts_open_incidents_first_with_their_overdue_steps(world):
    closed = opened(world.alpha, by=world.staff_a)
    with tenancy.tenant_context(world.alpha):
        Incident.objects.filter(pk=closed.pk).update(status="closed", title="An old one")
    late = opened(world.alpha, by=world.staff_a)  # opened at night months ago: all overdue
    fresh = opened(world.alpha, at=timezone.now(), by=world.staff_a)
    with tenancy.tenant_context(world.alpha):
        Incident.objects.filter(pk=fresh.pk).update(title="A fresh one")
        steps = IncidentStep.objects.filter(incident=late).count()
    html = page(world, world.viewer_a, world.alpha).get("/incidents/").content.decode()
    assert html.index("A fresh one") < html.index(late.title) < html.index("An old one")
    assert f"{steps} steps overdue" in html
    assert html.count("steps overdue") == 1  # none for the fresh one, none once closed
    detail = page(world, world.staff_a, world.alpha).get(f"/incidents/{late.pk}/").content.decode()
    assert detail.count('<span class="badge step-overdue">Overdue</span>') == steps


def _page_sent(client, incident, user) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    Notification.objects.create(
        key=f"test-page-{incident.pk}",
        topic="alert",
        user=user,
        kind="email",
        client=client,
        alert_id=incident.alert_id,
        subject="Crisis",
        body="Crisis",
        status="delivered",
        next_attempt_at=now,
        created_at=now,
    )


def test_a_viewer_reads_without_controls_and_a_forged_post_is_refused(world):
    incident = opened(world.alpha, by=world.staff_a)
    _page_sent(world.alpha, incident, world.staff_a)
    with tenancy.tenant_context(world.alpha):
        first = incident.steps.get(position=0)
    staff = page(world, world.staff_a, world.alpha).get(f"/incidents/{incident.pk}/")
    assert "<strong>Paged</strong>" in staff.content.decode()  # the agency's pages
    viewer = page(world, world.viewer_a, world.alpha)
    html = viewer.get(f"/incidents/{incident.pk}/").content.decode()
    assert incident.title in html and "Nachtelijke crisis" in html
    assert '<form method="post" action="/incidents' not in html and "Move to" not in html
    assert "<strong>Paged</strong>" not in html  # not the client's
    part = viewer.get(f"/incidents/for-alert/{incident.alert_id}/").content.decode()
    assert f'href="/incidents/{incident.pk}/"' in part and "<form" not in part
    url = f"/incidents/{incident.pk}/"
    for path, data in (
        (f"{url}origin/", {"origin": "leak"}),
        (f"{url}steps/{first.pk}/done/", {"note": "x"}),
        (f"{url}status/", {"status": "responding"}),
        (f"{url}close/", {"truth": "no"}),
        (f"/incidents/for-alert/{incident.alert_id}/open/", {}),
    ):
        assert viewer.post(path, data).status_code == 403
    with tenancy.tenant_context(world.alpha):
        incident.refresh_from_db()
        assert incident.status == "investigating" and incident.origin == ""
        assert not IncidentStep.objects.filter(done_at__isnull=False).exists()


def test_another_brands_incidents_stay_out_of_reach(world):
    bravo = opened(world.bravo, by=world.staff_b)
    with tenancy.tenant_context(world.bravo):
        Incident.objects.filter(pk=bravo.pk).update(title="Bravo's own incident")
    ours = opened(world.alpha, by=world.staff_a)
    staff_a = page(world, world.staff_a, world.alpha)
    listed = staff_a.get("/incidents/").content.decode()
    assert ours.title in listed and "Bravo's own incident" not in listed
    with tenancy.tenant_context(world.alpha):
        Incident.objects.filter(pk=ours.pk).delete()  # so that bravo's id names nothing here
    assert staff_a.get(f"/incidents/{bravo.pk}/").status_code == 404
    assert (
        staff_a.post(f"/incidents/{bravo.pk}/status/", {"status": "responding"}).status_code == 404
    )
    on_bravo = page(world, world.staff_a, world.bravo)
    assert on_bravo.get(f"/incidents/{bravo.pk}/").status_code == 403
    assert on_bravo.post(f"/incidents/{bravo.pk}/close/", {"truth": "no"}).status_code == 403
    with tenancy.tenant_context(world.bravo):
        assert Incident.objects.get(pk=bravo.pk).status == "investigating"


def test_the_pages_cost_a_fixed_number_of_queries(world):
    incident = opened(world.alpha, by=world.staff_a)
    _page_sent(world.alpha, incident, world.staff_a)
    browser = page(world, world.staff_a, world.alpha)
    browser.get("/incidents/")  # warm

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(path).status_code == 200
        return len(captured)

    listed = count("/incidents/")
    detail = count(f"/incidents/{incident.pk}/")
    for _ in range(4):
        opened(world.alpha, at=timezone.now() - timedelta(hours=1), by=world.staff_a)
    assert count("/incidents/") == listed  # not one query per incident
    assert (listed, detail) == (LIST_QUERIES, DETAIL_QUERIES)


LIST_QUERIES = 5  # what every brand page costs (4: session, user, access), and the list
# the incident, its steps, its events, the alert's events and the pages sent
# and the first-response clock: the first negative post, answers, settings; the respond part:
# the answers' counts, the Q&A page, the notices' read counts; who may lead (the brand's people)
DETAIL_QUERIES = 16


SENDABLE = st.characters(exclude_categories=["Cs"])
TEXT = st.text(SENDABLE, max_size=300)


@given(
    origin=TEXT,
    note=st.text(SENDABLE, max_size=600),
    status=TEXT,
    truth=TEXT,
    improvements=st.text(SENDABLE, max_size=6000),
    lessons=TEXT,
    body=st.binary(max_size=300),
)
@settings(
    deadline=None,
    database=None,
    max_examples=30,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_whatever_arrives_the_forms_answer_without_a_server_error(
    world, origin, note, status, truth, improvements, lessons, body
):
    incident = opened(world.alpha, by=world.staff_a)
    with tenancy.tenant_context(world.alpha):
        step = incident.steps.get(position=0)
    tenancy.reset_to_public()
    browser = page(world, world.staff_a, world.alpha)
    url = f"/incidents/{incident.pk}/"
    answers = [
        browser.post(f"{url}origin/", {"origin": origin}),
        browser.post(f"{url}steps/{step.pk}/done/", {"note": note}),
        browser.post(f"{url}status/", {"status": status}),
        browser.post(
            f"{url}close/", {"truth": truth, "improvements": improvements, "lessons": lessons}
        ),
        browser.post(f"{url}close/", body, content_type="application/x-www-form-urlencoded"),
        browser.post(f"/incidents/for-alert/{incident.alert_id}/open/", body, content_type="x/y"),
    ]
    for answer in answers:
        assert answer.status_code in (200, 302, 400), answer.status_code
    assert browser.get(url).status_code == 200  # the incident still reads
    with tenancy.tenant_context(world.alpha):
        incident.refresh_from_db()
        assert incident.status in ("investigating", "responding", "monitoring", "closed")
    tenancy.reset_to_public()


def test_the_page_shows_the_first_response_clock(world):
    from datetime import timedelta

    from django.utils import timezone

    from monitoring.models import Mention
    from monitoring.services.ingestion import mentions_ingest
    from playbooks.services import response_record
    from tests.monitoring.factories import make_source

    alert = raise_alert(world.alpha, at=timezone.now() - timedelta(minutes=40))
    source = make_source(world.alpha, platform="instagram")
    with tenancy.tenant_context(world.alpha):
        mentions_ingest(
            client=world.alpha,
            source=source,
            channel="api",
            items=[
                {
                    "external_id": "c1",
                    "posted_at": (timezone.now() - timedelta(minutes=30)).isoformat(),
                    "text": "Awful!",
                    "author": {"handle": "anna", "followers": 10},
                    "platform": "instagram",
                }
            ],
        )
        Mention.objects.update(wave=alert.wave, sentiment="neg")
        incident = incident_open(client=world.alpha, alert=alert, acting_user=world.staff_a)
    browser = page(world, world.staff_a, world.alpha)
    text = browser.get(f"/incidents/{incident.pk}/").content.decode()
    assert "30 minutes since the first negative message on Instagram" in text
    with tenancy.tenant_context(world.alpha):
        response_record(
            client=world.alpha,
            acting_user=world.staff_a,
            kind="post",
            platform="x",
            text="We are looking into it.",
            incident=incident,
        )
    text = browser.get(f"/incidents/{incident.pk}/").content.decode()
    assert "The outrage is on Instagram; the first answer went to X." in text


def test_someone_takes_the_lead_of_an_incident_the_crisis_rule_opened(world):
    incident = opened(world.alpha, by=None)  # by routing: nobody leads yet
    staff = page(world, world.staff_a, world.alpha)
    html = staff.get(f"/incidents/{incident.pk}/").content.decode()
    assert '<strong class="overdue">nobody yet</strong>' in html and "Take the lead" in html
    assert staff.post(f"/incidents/{incident.pk}/lead/").status_code == 302
    staff.post(f"/incidents/{incident.pk}/join/")  # a lead is a responder already
    with tenancy.tenant_context(world.alpha):
        found = Incident.objects.get(pk=incident.pk)
        assert (found.lead, found.responders) == (world.staff_a.email, [world.staff_a.email])
        assert found.events.filter(kind="lead", note=f"nobody -> {world.staff_a.email}").exists()
    tenancy.reset_to_public()
    # The manager joins, then the lead goes to the manager; staff of another brand may not lead.
    manager = page(world, world.manager, world.alpha)
    manager.post(f"/incidents/{incident.pk}/join/")
    staff.post(f"/incidents/{incident.pk}/lead/", {"lead": world.manager.email})
    staff.post(f"/incidents/{incident.pk}/lead/", {"lead": world.staff_b.email})
    with tenancy.tenant_context(world.alpha):
        found = Incident.objects.get(pk=incident.pk)
        assert found.lead == world.manager.email
        assert found.responders == [world.staff_a.email, world.manager.email]
    tenancy.reset_to_public()
    html = staff.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Choose one of the agency&#x27;s people on this brand." in html


def test_a_note_on_the_timeline_and_what_a_viewer_and_another_brand_may_do(world):
    incident = opened(world.alpha, by=world.staff_a)
    staff = page(world, world.staff_a, world.alpha)
    response = staff.post(f"/incidents/{incident.pk}/note/", {"note": "The baker called back."})
    assert response.status_code == 302 and response["Location"].endswith("#timeline")
    html = staff.get(f"/incidents/{incident.pk}/").content.decode()
    assert "The baker called back." in html
    assert staff.post(f"/incidents/{incident.pk}/note/", {"note": "  "}).status_code == 400
    viewer = page(world, world.viewer_a, world.alpha)
    html = viewer.get(f"/incidents/{incident.pk}/").content.decode()
    assert "The baker called back." in html
    assert "Add the note" not in html and "Take the lead" not in html
    for action in ("note", "lead", "join"):
        assert viewer.post(f"/incidents/{incident.pk}/{action}/", {"note": "x"}).status_code == 403
        other = page(world, world.staff_b, world.bravo)
        assert other.post(f"/incidents/{incident.pk}/{action}/", {"note": "x"}).status_code == 404
    with tenancy.tenant_context(world.alpha):
        assert list(incident.events.filter(kind="note").values_list("note", flat=True)) == [
            "The baker called back."
        ]
    tenancy.reset_to_public()


def test_working_the_incident_stops_the_paging_and_closing_it_resolves_the_alert(world):
    from monitoring.models import Alert

    incident = opened(world.alpha, by=None)  # opened by the crisis rule: the alert is new
    with tenancy.tenant_context(world.alpha):
        assert Alert.objects.get(pk=incident.alert_id).status == "new"
    tenancy.reset_to_public()
    staff = page(world, world.staff_a, world.alpha)
    staff.post(f"/incidents/{incident.pk}/lead/")
    with tenancy.tenant_context(world.alpha):
        alert = Alert.objects.get(pk=incident.alert_id)
        assert (alert.status, alert.acknowledged_by) == ("acknowledged", world.staff_a.email)
        review = incident.steps.filter(kind="review").first()
    tenancy.reset_to_public()
    staff.post(
        f"/incidents/{incident.pk}/close/",
        {"truth": "partly", "improvements": "Check the cold chain", "lessons": ""},
    )
    with tenancy.tenant_context(world.alpha):
        alert = Alert.objects.get(pk=incident.alert_id)
        assert (alert.status, alert.close_note) == ("resolved", "Incident closed.")
        assert review is not None  # every playbook ends with the review: ticked by closing
        review.refresh_from_db()
        assert review.done_by == world.staff_a.email
    tenancy.reset_to_public()
    # Opened by a person from the alert: that person is on it.
    other = opened(world.alpha, by=world.staff_a)
    with tenancy.tenant_context(world.alpha):
        assert Alert.objects.get(pk=other.alert_id).status == "acknowledged"
    tenancy.reset_to_public()
