"""The open incident on the agency desk (agency.models.DeskIncident, written by playbooks.desk):
stored after the incident opens, after its responses (recorded, or sent through the platform)
and status changes, kept fresh by the per-minute tick and cleared at closing; the clock from
the first negative message on the origin platform to the answer there, an answer elsewhere
flagged; the wave's other platforms, one where the brand has no account marked; shown on the
desk of the people who cover the brand only, in a fixed number of queries."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agency.models import DeskIncident, Role, User
from agency.services import membership_grant
from clients import tenancy
from clients.models import Client
from clients.services import client_onboard
from monitoring.models import Alert, BrandSettings, Mention
from monitoring.services.ingestion import mentions_ingest
from playbooks import tasks
from playbooks.desk import desk_incident_refresh
from playbooks.models import Incident
from playbooks.services import (
    incident_close,
    incident_open,
    incident_status_set,
    response_record,
)
from tests.agency.factories import UserFactory
from tests.monitoring.factories import make_alert, make_source
from tests.monitoring.test_escalation import raise_alert
from tests.playbooks.test_sending import REPLIES, api, brand_incident, draft, recorded, send

pytestmark = pytest.mark.django_db
HOST = "agency.localhost"
NO_ACCOUNT = "no account of the brand: check it, answer where you can"

__all__ = ["api"]  # the platforms' stand-in, a fixture of test_sending

# The wave's posts: (platform, id, minutes after the first negative message, sentiment,
# handle, followers, text, what else is true of it).
POSTS: list[tuple[str, str, int, str, str, int, str, dict[str, Any]]] = [
    ("instagram", "i1", 0, "neg", "anna", 120, "Your bread made my kids sick. Disgusting.", {}),
    ("instagram", "i2", 3, "neg", "bert", 80, "Same here, never again", {}),
    ("facebook", "f1", 2, "neg", "carla", 9100, "Kids sick after Alpha's bread, anyone else?", {}),
    ("facebook", "f2", 4, "pos", "dora", 30, "Always loved their bread", {}),
    ("facebook", "f5", 6, "neg", "emil", 40, "Alpha poisoned my family", {}),
    # a share of carla's post: a mention, not a negative voice of its own
    ("facebook", "f3", 8, "neg", "fien", 10, "Kids sick after Alpha's bread", {"share": "f1"}),
    ("facebook", "f4", 9, "neg", "gert", 10, "A rant, deleted since", {"deleted": True}),
    ("x", "x1", 5, "neg", "dave", 300, "Alpha Bakery is selling poison #alphagate", {}),
    ("x", "x2", 7, "neu", "hugo", 20, "What happened at Alpha?", {}),
    ("x", "x0", -1440, "neg", "olle", 5, "An old complaint, before the wave", {"before": True}),
]


def storm(client: Client, start: datetime) -> Alert:
    """A crisis on Instagram whose first negative message came at `start`, with posts on
    Facebook (where the brand has its page) and X (where it has only a keyword query), and
    the brand's LinkedIn page, quiet."""
    alert = raise_alert(client, at=start + timedelta(minutes=10))
    sources = {
        "instagram": make_source(client, platform="instagram", name="Alpha on Instagram"),
        "facebook": make_source(client, platform="facebook", kind="owned", name="Alpha's page"),
        "x": make_source(client, platform="x", name="Alpha on X"),
    }
    make_source(client, platform="linkedin", kind="owned", name="Alpha on LinkedIn")
    with tenancy.tenant_context(client):
        BrandSettings.objects.update(first_response_minutes=15)
        for platform, source in sources.items():
            mentions_ingest(
                client=client,
                source=source,
                channel="api",
                items=[
                    {
                        "external_id": external_id,
                        "posted_at": (start + timedelta(minutes=minutes)).isoformat(),
                        "text": text,
                        "url": f"https://{platform}.example/{handle}/{external_id}",
                        "author": {"handle": handle, "followers": followers},
                        "platform": platform,
                    }
                    for p, external_id, minutes, _s, handle, followers, text, _e in POSTS
                    if p == platform
                ],
            )
        for _p, external_id, _m, sentiment, _h, _f, _t, extra in POSTS:
            Mention.objects.filter(external_id=external_id).update(
                sentiment=sentiment,
                wave=None if extra.get("before") else alert.wave,
                repost_of=extra.get("share", ""),
                deleted_at=timezone.now() if extra.get("deleted") else None,
            )
    return alert


def opened(client: Client, alert: Alert, capture: Any, user: User | None = None) -> Incident:
    with tenancy.tenant_context(client), capture(execute=True):
        return incident_open(client=client, alert=alert, acting_user=user)


def page(user: User) -> HttpClient:
    browser = HttpClient(HTTP_HOST=HOST)
    browser.force_login(user)
    return browser


def brand_row(html: str, slug: str) -> str:
    return html[html.index(f'data-brand="{slug}"') :].split("</article>")[0]


def test_an_open_incident_puts_its_clock_and_the_other_platforms_on_the_desk(
    world, django_capture_on_commit_callbacks
):
    start = timezone.now() - timedelta(minutes=12)
    alert = storm(world.alpha, start)
    incident = opened(world.alpha, alert, django_capture_on_commit_callbacks, world.staff_a)

    row = DeskIncident.objects.get(client=world.alpha)
    assert (row.incident_id, row.title, row.status) == (
        incident.pk,
        "crisis: 40 negative mentions on Instagram",
        "investigating",
    )
    assert row.origin_platform == "instagram" and row.started_at == start
    assert row.answered_at is None and row.elsewhere_platform == "" and row.target_minutes == 15
    assert row.wave_started_at == alert.wave.started_at and row.more_open == 0
    # Instagram is the origin: not among the others. Facebook's share and deleted post are
    # out of its negatives, X's post from before the wave out of everything.
    by_platform = {p["platform"]: p for p in row.platforms}
    assert [p["platform"] for p in row.platforms] == ["facebook", "x", "linkedin"]
    assert {k: (v["mentions"], v["negative"], v["owned"]) for k, v in by_platform.items()} == {
        "facebook": (4, 2, True),
        "x": (2, 1, False),
        "linkedin": (0, 0, True),
    }
    newest = by_platform["facebook"]["latest"]
    assert (newest["handle"], newest["text"]) == ("emil", "Alpha poisoned my family")
    assert newest["url"] == "https://facebook.example/emil/f5"
    assert by_platform["x"]["latest"]["handle"] == "dave"
    assert by_platform["x"]["latest"]["followers"] == 300
    assert by_platform["linkedin"]["latest"] is None
    # An incident of an earlier wave, still open, opened since: the open wave's stays shown.
    earlier = raise_alert(world.alpha, at=start - timedelta(days=1))
    opened(world.alpha, earlier, django_capture_on_commit_callbacks, world.staff_a)
    row.refresh_from_db()
    assert (row.incident_id, row.more_open) == (incident.pk, 1)
    html = brand_row(page(world.staff_a).get("/").content.decode(), "alpha")
    assert "1 more open incident" in html
    # The other brand has no incident on the desk, and its refresh writes none of alpha's.
    assert not DeskIncident.objects.filter(client=world.bravo).exists()
    with tenancy.tenant_context(world.bravo):
        assert desk_incident_refresh(client=world.bravo) is None
    assert DeskIncident.objects.filter(client=world.alpha).exists()


def test_answers_stop_the_clock_one_elsewhere_is_flagged_and_closing_clears_it(
    world, django_capture_on_commit_callbacks
):
    start = timezone.now() - timedelta(minutes=30)
    alert = storm(world.alpha, start)
    incident = opened(world.alpha, alert, django_capture_on_commit_callbacks, world.staff_a)
    with tenancy.tenant_context(world.alpha):
        first = Mention.objects.get(external_id="i1")
        with django_capture_on_commit_callbacks(execute=True):
            response_record(
                client=world.alpha,
                acting_user=world.staff_a,
                kind="post",
                platform="x",
                text="We know about the problem with our bread and are on it.",
                incident=incident,
                at=start + timedelta(minutes=6),
            )
    row = DeskIncident.objects.get(client=world.alpha)
    assert row.answered_at is None
    assert (row.elsewhere_platform, row.elsewhere_at) == ("x", start + timedelta(minutes=6))
    with tenancy.tenant_context(world.alpha), django_capture_on_commit_callbacks(execute=True):
        response_record(
            client=world.alpha,
            acting_user=world.staff_a,
            kind="reply",
            platform="instagram",
            text="We're sorry; we are looking into it.",
            mention=first,
            incident=incident,
            at=start + timedelta(minutes=9),
        )
    row.refresh_from_db()
    assert row.answered_at == start + timedelta(minutes=9)
    assert row.elsewhere_platform == "x"  # it still came first, elsewhere
    html = brand_row(page(world.staff_a).get("/").content.decode(), "alpha")
    assert "Answered on Instagram after 9 minutes (target 15)." in html
    assert "The outrage is on Instagram; the first answer went to X." in html
    assert 'class="desk-clock"' in html  # answered in time: not red

    with tenancy.tenant_context(world.alpha), django_capture_on_commit_callbacks(execute=True):
        incident_status_set(
            client=world.alpha, incident=incident, status="responding", acting_user=world.staff_a
        )
    row.refresh_from_db()
    assert row.status == "responding"
    with tenancy.tenant_context(world.alpha), django_capture_on_commit_callbacks(execute=True):
        incident_close(
            client=world.alpha,
            incident=incident,
            acting_user=world.staff_a,
            truth="partly",
            improvements="Check the flour supplier's batches",
        )
    assert not DeskIncident.objects.filter(client=world.alpha).exists()
    html = brand_row(page(world.staff_a).get("/").content.decode(), "alpha")
    assert "desk-incident" not in html


def test_a_reply_sent_through_the_platform_stops_the_clock(
    world, api, django_capture_on_commit_callbacks
):
    path, answer, _permalink = REPLIES["instagram"]
    with django_capture_on_commit_callbacks(execute=True):
        incident, mention = brand_incident(world.alpha, "instagram")
    row = DeskIncident.objects.get(client=world.alpha)
    assert row.incident_id == incident.pk and row.answered_at is None
    api.expect_oneshot_request(path, method="POST").respond_with_response(recorded(answer))
    with tenancy.tenant_context(world.alpha):
        reply = draft(world, incident, "instagram", mention)
        with django_capture_on_commit_callbacks(execute=True):
            sent = send(world, reply)
    assert sent.status == "sent"
    row.refresh_from_db()
    assert row.answered_at == sent.sent_at and row.elsewhere_platform == ""


def test_the_tick_keeps_the_counts_fresh_and_clears_a_closed_incident(
    world, django_capture_on_commit_callbacks
):
    start = timezone.now() - timedelta(minutes=12)
    alert = storm(world.alpha, start)
    incident = opened(world.alpha, alert, django_capture_on_commit_callbacks)
    x = make_source(world.alpha, platform="x", name="Alpha's X replies")
    with tenancy.tenant_context(world.alpha):
        mentions_ingest(
            client=world.alpha,
            source=x,
            channel="api",
            items=[
                {
                    "external_id": "x9",
                    "posted_at": timezone.now().isoformat(),
                    "text": "Boycott Alpha Bakery",
                    "author": {"handle": "ivan", "followers": 12},
                    "platform": "x",
                }
            ],
        )
        Mention.objects.filter(external_id="x9").update(sentiment="neg", wave=alert.wave)
    stale = {p["platform"]: p for p in DeskIncident.objects.get(client=world.alpha).platforms}
    assert stale["x"]["negative"] == 1  # written before the new post came in
    # The per-minute task, as beat sends it per brand (it enters the brand's schema itself).
    assert tasks.desk_incident_refresh(schema_name=world.alpha.schema_name) is True
    fresh = {p["platform"]: p for p in DeskIncident.objects.get(client=world.alpha).platforms}
    assert (fresh["x"]["mentions"], fresh["x"]["negative"]) == (3, 2)
    assert fresh["x"]["latest"]["handle"] == "ivan"
    assert tasks.desk_incident_refresh(schema_name=world.bravo.schema_name) is False
    assert not DeskIncident.objects.filter(client=world.bravo).exists()
    # Closed without its hook running (a lost callback): the tick clears the desk all the same.
    with tenancy.tenant_context(world.alpha):
        incident_close(
            client=world.alpha,
            incident=incident,
            acting_user=world.staff_a,
            truth="no",
            improvements="",
        )
    assert DeskIncident.objects.filter(client=world.alpha).exists()
    assert tasks.desk_incident_refresh(schema_name=world.alpha.schema_name) is False
    assert not DeskIncident.objects.filter(client=world.alpha).exists()


def test_the_beat_refreshes_the_desk_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["desk-incidents"]
    assert entry == {"task": "playbooks.tasks.desk_incidents_refresh_all", "schedule": 60.0}
    assert tasks.desk_incidents_refresh_all.name == entry["task"]


def test_the_desk_shows_the_running_clock_and_the_other_platforms_to_those_who_cover_it(
    world, django_capture_on_commit_callbacks
):
    start = timezone.now() - timedelta(minutes=12)
    incident = opened(
        world.alpha, storm(world.alpha, start), django_capture_on_commit_callbacks, world.staff_a
    )
    bravo_alert = raise_alert(world.bravo)
    with tenancy.tenant_context(world.bravo):
        Alert.objects.filter(pk=bravo_alert.pk).update(title="Bravo: a hull leak on TikTok")
    opened(world.bravo, bravo_alert, django_capture_on_commit_callbacks)

    html = page(world.staff_a).get("/").content.decode()
    alpha = brand_row(html, "alpha")
    assert f'href="{world.alpha.get_absolute_url()}incidents/{incident.pk}/"' in alpha
    assert "crisis: 40 negative mentions on Instagram" in alpha
    assert (
        "12 minutes since the first negative message on Instagram, no answer there yet "
        "(target 15)." in alpha
    )
    assert 'class="desk-clock"' in alpha  # 12 of 15 minutes: not late yet
    assert "(+01:00)" in alpha or "(+02:00)" in alpha  # since when, on the brand's clock
    facebook = alpha[alpha.index('data-platform="facebook"') :].split("</li>")[0]
    x = alpha[alpha.index('data-platform="x"') :].split("</li>")[0]
    assert "4 mentions, 2 negative" in facebook and "@emil" in facebook
    assert NO_ACCOUNT not in facebook  # the brand has its page there
    assert "2 mentions, 1 negative" in x and NO_ACCOUNT in x and "@dave" in x
    assert "Quiet so far where the brand has an account: LinkedIn" in alpha
    # the polling partial carries it too
    assert "@emil" in page(world.staff_a).get("/desk/rows/").content.decode()

    # Late: the target passed with no answer on the origin platform turns the clock red.
    with tenancy.tenant_context(world.alpha):
        BrandSettings.objects.update(first_response_minutes=10)
        desk_incident_refresh(client=world.alpha)
    alpha = brand_row(page(world.staff_a).get("/desk/rows/").content.decode(), "alpha")
    assert 'class="desk-clock late"' in alpha and "(target 10)" in alpha

    # Nobody sees the incident of a brand they do not cover; the client viewers no desk at all.
    assert "hull leak" not in html and 'data-brand="bravo"' not in html
    other = page(world.staff_b).get("/").content.decode()
    assert "Bravo: a hull leak on TikTok" in other
    assert "@emil" not in other and "poisoned" not in other and 'data-brand="alpha"' not in other
    both = page(world.manager).get("/desk/rows/").content.decode()
    assert "@emil" in brand_row(both, "alpha") and "hull leak" in brand_row(both, "bravo")
    assert "@emil" not in brand_row(both, "bravo")
    for viewer in (world.viewer_a, world.viewer_b):
        assert page(viewer).get("/").status_code == 302
        assert page(viewer).get("/desk/rows/").status_code == 403


def test_the_desk_in_dutch_and_swedish(world, django_capture_on_commit_callbacks):
    start = timezone.now() - timedelta(minutes=12)
    opened(world.alpha, storm(world.alpha, start), django_capture_on_commit_callbacks)
    for language, running, no_account in (
        ("nl", "12 minuten sinds het eerste negatieve bericht op Instagram", "geen account"),
        ("sv", "12 minuter sedan det första negativa inlägget på Instagram", "inget konto"),
    ):
        person = UserFactory.create(email=f"desk-{language}@example.test", language=language)
        membership_grant(user=person, role=Role.AGENCY_STAFF, client=world.alpha)
        alpha = brand_row(page(person).get("/").content.decode(), "alpha")
        assert running in alpha, language
        assert no_account in alpha.lower(), language
        assert NO_ACCOUNT not in alpha and "Other platforms in the wave" not in alpha


DESK_QUERIES = 15


def test_the_desk_costs_the_same_queries_for_one_brand_and_for_ten(
    world, desk, django_capture_on_commit_callbacks
):
    def queries() -> int:
        browser = page(world.staff_a)
        with CaptureQueriesContext(connection) as captured:
            assert browser.get("/desk/rows/").status_code == 200
        return len(captured)

    opened(
        world.alpha,
        storm(world.alpha, timezone.now() - timedelta(minutes=5)),
        django_capture_on_commit_callbacks,
    )
    queries()  # warm: the first request of a process loads what later ones reuse
    one = queries()
    # session, user, roles, the brands, their status rows, their incidents, the roster
    # (schedules, layers, people, brands, overrides, leave) and the middlewares' own
    assert one == DESK_QUERIES
    brands = [world.bravo] + [
        client_onboard(
            name=f"Brand {n}", slug=f"deskbrand{n}", timezone_name="Europe/Oslo", language="en"
        )
        for n in range(8)
    ]
    for brand in brands:
        membership_grant(user=world.staff_a, role=Role.AGENCY_STAFF, client=brand)
        opened(brand, make_alert(brand, level="crisis"), django_capture_on_commit_callbacks)
    tenancy.reset_to_public()
    assert DeskIncident.objects.count() == 10
    queries()  # an onboarding makes the next request look the hosts up again, once
    assert queries() == one
    with CaptureQueriesContext(connection) as captured:
        html = page(world.staff_a).get("/desk/rows/").content.decode()
    assert html.count('class="desk-incident"') == 10
    assert not any("brand_" in q["sql"] for q in captured.captured_queries)  # public only
