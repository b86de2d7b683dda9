"""The waves history of a brand host: each wave with its times in the brand's zone, duration,
peak, spread, negative share and alert; the API's filters and cursor pages; one wave's page
with its timeline and mentions; read-only for a viewer, closed to anyone not on the brand."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients import tenancy
from clients.models import Client
from monitoring.models import Mention, VolumeBin, Wave
from tests.monitoring.factories import T0, make_alert
from tests.monitoring.test_alert_pages import with_wave

pytestmark = pytest.mark.django_db


def page(world, user, client) -> HttpClient:  # type: ignore[no-untyped-def]
    browser = HttpClient(HTTP_HOST=world.host(client))
    browser.force_login(user)
    return browser


def make_wave(client: Client, *, hours_ago: float, **fields: Any) -> Wave:
    """A closed wave of 90 minutes, `hours_ago` hours before T0, without an alert."""
    started = T0 - timedelta(hours=hours_ago)
    values: dict[str, Any] = {
        "status": "closed",
        "started_at": started,
        "last_activity_at": started + timedelta(minutes=90),
        "ended_at": started + timedelta(minutes=90),
        "origin_platform": "x",
        "level": "noise",
        "peak_level": "watch",
        "mention_count": 40,
        "negative_count": 10,
        "judged_at": started + timedelta(minutes=90),
        "reasons": ["negative volume 4x a usual Tuesday"],
    } | fields
    with tenancy.tenant_context(client):
        wave = Wave.objects.create(**values)
    tenancy.reset_to_public()
    return wave


def row(html: str, marker: str) -> str:
    """The table row holding `marker`."""
    at = html.index(marker)
    return html[html.rindex("<tr>", 0, at) : html.index("</tr>", at)]


def test_each_wave_reads_as_a_report_needs_it(world):
    quiet = make_wave(
        world.alpha,
        hours_ago=24,
        origin_platform="instagram",
        figures={
            "platforms": {"instagram": 7, "x": 3},
            "peak": {"value": 12.0, "minutes": 15, "negative": True},
        },
    )
    alerted = make_alert(world.alpha, level="crisis", origin="tiktok")
    html = unescape(page(world, world.staff_a, world.alpha).get("/waves/").content.decode())
    assert html.index(f'href="/waves/{alerted.wave.pk}/"') < html.index(
        f'href="/waves/{quiet.pk}/"'
    )
    # started 18:00 UTC the day before T0: Amsterdam's time with its offset
    quiet_row = row(html, f'href="/waves/{quiet.pk}/"')
    assert "2026-03-02 19:00 CET (+01:00)" in quiet_row  # started
    assert "2026-03-02 20:30 CET (+01:00)" in quiet_row  # ended
    # the duration, "1 hour, 30 minutes" in the page's language (Django's own words)
    assert re.search(r">1\xa0\w+, 30\xa0\w+</td>", quiet_row)
    assert "Watch" in quiet_row and "12 in 15 min" in quiet_row  # peak
    assert "from Instagram" in quiet_row and "Instagram 7, X 3" in quiet_row
    assert "25\xa0%" in quiet_row and "10 of 40" in quiet_row  # negative share
    assert "no alert" in quiet_row
    open_row = row(html, f'href="/waves/{alerted.wave.pk}/"')
    assert "still open" in open_row and "from TikTok" in open_row
    assert (
        f'<a href="/alerts/{alerted.pk}/"><span class="badge state-crisis">Crisis</span> New'
        in (open_row)
    )


def test_the_list_filters_by_peak_level_and_status(world):
    watch = make_wave(world.alpha, hours_ago=5)
    issue = make_wave(world.alpha, hours_ago=6, peak_level="issue")
    live = make_alert(world.alpha, level="watch").wave
    browser = page(world, world.staff_a, world.alpha)

    def listed(**query: str) -> set[int]:
        response = browser.get("/waves/", query)
        assert response.status_code == 200
        return {int(pk) for pk in re.findall(r'href="/waves/(\d+)/"', response.content.decode())}

    assert listed() == {watch.pk, issue.pk, live.pk}
    assert listed(level="issue") == {issue.pk}
    assert listed(level="watch") == {watch.pk, live.pk}
    assert listed(status="open") == {live.pk}
    assert listed(status="closed", level="watch") == {watch.pk}
    for bad in ({"level": "apocalypse"}, {"status": "maybe"}, {"level": "x" * 10_000}):
        refused = browser.get("/waves/", bad)
        assert refused.status_code == 400 and refused.context["form"].errors
        assert 'class="errorlist' in refused.content.decode()


def test_the_older_link_leads_through_the_whole_history_once(world):
    with tenancy.tenant_context(world.alpha):
        Wave.objects.bulk_create(
            Wave(
                status="closed",
                started_at=T0 - timedelta(hours=n),
                last_activity_at=T0 - timedelta(hours=n) + timedelta(minutes=30),
                ended_at=T0 - timedelta(hours=n) + timedelta(minutes=30),
                origin_platform="x",
                judged_at=T0,
            )
            for n in range(1, 56)
        )
        everything = list(Wave.objects.order_by("-started_at").values_list("pk", flat=True))
    tenancy.reset_to_public()
    browser = page(world, world.staff_a, world.alpha)
    first = browser.get("/waves/").content.decode()
    shown = [int(pk) for pk in re.findall(r'<a href="/waves/(\d+)/">', first)]
    assert len(shown) == 50 and "Newer" not in first
    older = re.search(r'<a href="([^"]+)" rel="next">', first)
    assert older
    second = browser.get(unescape(older.group(1))).content.decode()
    rest = [int(pk) for pk in re.findall(r'<a href="/waves/(\d+)/">', second)]
    assert shown + rest == everything  # newest first, each once
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert browser.get("/waves/", {"cursor": "garbage"}).status_code == 404


def test_a_waves_page_shows_its_timeline_and_its_mentions_by_reach(world):
    alert = with_wave(world.alpha)
    wave = alert.wave
    with tenancy.tenant_context(world.alpha):
        Mention.objects.filter(external_id="w0").update(repost_of="w1")
    tenancy.reset_to_public()
    html = unescape(
        page(world, world.viewer_a, world.alpha).get(f"/waves/{wave.pk}/").content.decode()
    )
    assert "negative volume 9x a usual Tuesday evening" in html
    assert "<polyline" in html and "Instagram: 13" in html and "X: 1" in html
    assert html.index("@u1") < html.index("@u2") < html.index("@u0")
    assert "A share of @u1's post:" in html
    assert f'href="/alerts/{alert.pk}/"' in html
    assert f'href="/mentions/?wave={wave.pk}"' in html
    assert html.count('method="post"') == 1  # a viewer: log out, nothing else


def test_a_viewer_reads_the_history(world):
    wave = make_wave(world.alpha, hours_ago=3)
    browser = page(world, world.viewer_a, world.alpha)
    html = browser.get("/waves/").content.decode()
    assert f'href="/waves/{wave.pk}/"' in html
    assert html.count('method="post"') == 1
    assert browser.post(f"/waves/{wave.pk}/").status_code == 403


def test_another_brands_waves_stay_out_of_reach(world):
    bravo = make_wave(world.bravo, hours_ago=2, reasons=["bravo's own story"])
    # (each schema numbers its own waves: alpha's id is one bravo does not have)
    alpha = make_wave(world.alpha, hours_ago=2, reasons=["alpha's own story"], id=bravo.pk + 1000)
    on_alpha = page(world, world.staff_a, world.alpha)
    html = on_alpha.get("/waves/").content.decode()
    assert f'href="/waves/{alpha.pk}/"' in html and f'href="/waves/{bravo.pk}/"' not in html
    with tenancy.tenant_context(world.bravo):
        assert not Wave.objects.filter(pk=alpha.pk).exists()
    tenancy.reset_to_public()
    on_bravo = page(world, world.staff_b, world.bravo)
    assert on_bravo.get(f"/waves/{alpha.pk}/").status_code == 404
    assert "bravo's own story" in unescape(on_bravo.get(f"/waves/{bravo.pk}/").content.decode())
    assert on_bravo.get(f"/waves/{2**70}/").status_code == 404
    for user in (world.outsider, world.staff_b, world.viewer_b):
        browser = page(world, user, world.alpha)
        assert browser.get("/waves/").status_code == 403
        assert browser.get(f"/waves/{alpha.pk}/").status_code == 403


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    query=st.dictionaries(
        st.sampled_from(["level", "status", "cursor", "other"]),
        st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
        max_size=3,
    )
)
def test_whatever_the_query_string_the_history_answers_a_page_or_a_4xx(world, query):
    response = page(world, world.staff_a, world.alpha).get("/waves/", query)
    allowed = (200, 400, 404) if query.get("cursor") else (200, 400)
    assert response.status_code in allowed, (query, response.status_code)
    if response.status_code == 400:
        assert response.context["form"].errors


def test_the_pages_cost_a_fixed_number_of_queries(world):
    make_wave(world.alpha, hours_ago=3)
    alert = with_wave(world.alpha)
    browser = page(world, world.staff_a, world.alpha)
    browser.get("/waves/")  # warm

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(path).status_code == 200
        return len(captured)

    listed = count("/waves/")
    detail = count(f"/waves/{alert.wave.pk}/")
    for n in range(5):
        make_wave(world.alpha, hours_ago=10 + n)
    make_alert(world.alpha, level="issue", wave_status="closed")
    with tenancy.tenant_context(world.alpha):
        VolumeBin.objects.create(key="x", start=timezone.now(), count=3, expected=1.0, score=1.0)
    tenancy.reset_to_public()
    assert count("/waves/") == listed  # not one query per wave or alert
    assert (listed, detail) == (LIST_QUERIES, DETAIL_QUERIES)


# the brand's schema, session, user, access, the page of waves with their alerts
LIST_QUERIES = 5
# ... the wave with its alert, its bins, its mentions by reach (no share among them: no
# originals to read)
DETAIL_QUERIES = 7
