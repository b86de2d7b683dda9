"""The brand dashboard and the rollups it reads: mentions per hour, platform, sentiment and share,
and the multipliers per day, recounted by processing as the mentions now stand; the page draws
volume and negative volume with the waves marked, the platform share, the sentiment split, the
top multipliers and the sources' health, without reading the mentions table."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agency.models import User
from clients import tenancy
from monitoring.models import Author, Mention, MentionHour, MultiplierDay, Source
from monitoring.selectors import brand_dashboard
from monitoring.services.ingestion import mentions_ingest
from monitoring.services.processing import mentions_process_pending
from monitoring.services.rollups import rollups_refresh
from monitoring.services.status import brand_status_refresh
from tests.monitoring.factories import make_alert, make_source

pytestmark = pytest.mark.django_db


def page(world, user, client) -> HttpClient:  # type: ignore[no-untyped-def]
    browser = HttpClient(HTTP_HOST=world.host(client))
    browser.force_login(user)
    return browser


def item(n: int, posted_at: datetime, **overrides):  # type: ignore[no-untyped-def]
    return {
        "external_id": f"d{n}",
        "posted_at": posted_at.isoformat(),
        "text": overrides.pop("text", f"Mijn bestelling {n} is al drie dagen te laat, slecht!"),
        "url": f"https://x.com/u{n}/status/{n}",
        "author": overrides.pop("author", {"handle": f"u{n % 5}", "followers": 20 + n}),
        "language": "nl",
    } | overrides


def ingest(client, source, items) -> None:  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        mentions_ingest(client=client, source=source, channel="api", items=items)
        mentions_process_pending(client=client)
    tenancy.reset_to_public()


def truth() -> dict[tuple[datetime, str, str, bool], int]:
    """The hour rollup as it should be, counted from the mentions themselves."""
    counted: dict[tuple[datetime, str, str, bool], int] = {}
    for m in Mention.objects.filter(deleted_at__isnull=True, processed_at__isnull=False):
        hour = m.posted_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        key = (hour, m.platform, m.sentiment, m.repost_of != "")
        counted[key] = counted.get(key, 0) + 1
    return counted


def rollup() -> dict[tuple[datetime, str, str, bool], int]:
    return {
        (row.hour.astimezone(UTC), row.platform, row.sentiment, row.share): row.mentions
        for row in MentionHour.objects.all()
    }


def test_processing_counts_each_mention_once_as_it_now_stands(world):
    x = make_source(world.alpha)
    insta = make_source(world.alpha, name="Instagram comments", platform="instagram")
    now = timezone.now()
    ingest(world.alpha, x, [item(n, now - timedelta(minutes=25 * n)) for n in range(12)])
    ingest(
        world.alpha,
        insta,
        [item(100 + n, now - timedelta(minutes=40 * n)) for n in range(6)]
        + [item(200, now, repost_of="d100", text="")],
    )
    with tenancy.tenant_context(world.alpha):
        assert rollup() == truth() and sum(truth().values()) == 19
        assert any(share for (_, _, _, share) in rollup())
        # An edit and a deletion are processed again: the hours are recounted, not added to.
        mentions_ingest(
            client=world.alpha,
            source=x,
            channel="api",
            items=[
                item(3, now - timedelta(minutes=75), deleted=True),
                item(4, now - timedelta(minutes=100), text="Thanks, fixed!", edited_at=now),
            ],
        )
        mentions_process_pending(client=world.alpha)
        assert rollup() == truth() and sum(rollup().values()) == 18
        # Recounting again (a second run of the same ids) changes nothing.
        before = rollup()
        rollups_refresh(
            client=world.alpha, mention_ids=list(Mention.objects.values_list("pk", flat=True))
        )
        assert rollup() == before
    tenancy.reset_to_public()
    with tenancy.tenant_context(world.bravo):
        assert not MentionHour.objects.exists() and not MultiplierDay.objects.exists()


def test_imported_history_lands_in_its_own_hours_and_multipliers_in_their_days(world):
    source = make_source(world.alpha)
    old = datetime(2025, 6, 1, 9, 30, tzinfo=UTC)
    big = {"handle": "nosnieuws", "followers": 2_000_000}
    ingest(world.alpha, source, [item(n, old + timedelta(minutes=n), author=big) for n in range(3)])
    with tenancy.tenant_context(world.alpha):
        assert rollup() == {(old.replace(minute=0), "x", key[2], False): 3 for key in truth()}
        day = MultiplierDay.objects.get()
        assert (day.day.isoformat(), day.mentions, day.followers) == ("2025-06-01", 3, 2_000_000)
        assert day.author.handle == "nosnieuws"


def test_days_are_the_brands_local_days(world):
    """Alpha is in Amsterdam: 23:30 UTC on a winter evening is already the next day there."""
    source = make_source(world.alpha)
    now = datetime(2026, 1, 20, 12, 0, tzinfo=UTC)
    evening = datetime(2026, 1, 18, 23, 30, tzinfo=UTC)  # 19 January 00:30 in Amsterdam
    ingest(world.alpha, source, [item(1, evening), item(2, evening - timedelta(hours=1))])
    with tenancy.tenant_context(world.alpha):
        board = brand_dashboard(client=world.alpha, by="day", now=now)
        by_day = {
            start.date().isoformat(): n
            for start, n in zip(board.starts, board.mentions, strict=True)
        }
        assert (by_day["2026-01-18"], by_day["2026-01-19"]) == (1, 1)
        assert len(board.starts) == 30 and board.starts[-1].date().isoformat() == "2026-01-20"
        assert str(board.starts[0].tzinfo) == "Europe/Amsterdam"
        weeks = brand_dashboard(client=world.alpha, by="week", now=now)
        assert all(start.weekday() == 0 for start in weeks.starts)
        assert sum(weeks.mentions) == 2
        hours = brand_dashboard(client=world.alpha, by="hour", now=now)
        assert len(hours.starts) == 48 and sum(hours.mentions) == 2


def dashboard_world(world):  # type: ignore[no-untyped-def]
    """Alpha with mentions on two platforms today, a multiplier journalist, a failing source
    and a wave with its alert; bravo with its own mentions."""
    now = timezone.now()
    x = make_source(world.alpha, name="Alpha on X")
    insta = make_source(world.alpha, name="Alpha on Instagram", platform="instagram")
    journalist = {"handle": "nosnieuws", "followers": 2_000_000}
    ingest(world.alpha, x, [item(n, now - timedelta(hours=n)) for n in range(6)])
    ingest(world.alpha, x, [item(50, now - timedelta(hours=2), author=journalist)])
    ingest(
        world.alpha,
        insta,
        [item(60 + n, now - timedelta(hours=3), text="Love it!") for n in range(3)],
    )
    alert = make_alert(world.alpha, level="crisis", origin="instagram")
    with tenancy.tenant_context(world.alpha):
        Author.objects.filter(handle="nosnieuws").update(is_journalist=True)
        Source.objects.filter(pk=insta.pk).update(
            last_error="Instagram refused the token: Error validating access token",
            last_error_at=timezone.now(),
        )
        brand_status_refresh(client=world.alpha)
    tenancy.reset_to_public()
    bravo = make_source(world.bravo, name="Bravo's secret source")
    ingest(
        world.bravo, bravo, [item(900, now, author={"handle": "bravofan", "followers": 9_000_000})]
    )
    return alert


def test_the_dashboard_draws_volume_waves_platforms_sentiment_multipliers_and_sources(world):
    alert = dashboard_world(world)
    html = page(world, world.staff_a, world.alpha).get("/").content.decode()
    assert html.count("<polyline") == 4  # mentions and negative, for a desk and for a phone
    assert 'class="band level-crisis"' in html  # the wave, marked
    assert f'href="/alerts/{alert.pk}/"' in html
    assert "X: 7 (70%)" in html and "Instagram: 3 (30%)" in html
    assert "Positive" in html and "Negative" in html
    assert "@nosnieuws" in html and "journalist" in html and "2M" in html
    assert "Error validating access token" in html
    assert "bravofan" not in html and "Bravo's secret source" not in html
    for by in ("hour", "week", "nonsense", "%00"):
        assert page(world, world.staff_a, world.alpha).get("/", {"by": by}).status_code == 200


def test_the_viewer_sees_the_dashboard_and_others_get_no_access(world):
    dashboard_world(world)
    viewer = page(world, world.viewer_a, world.alpha).get("/").content.decode()
    assert "@nosnieuws" in viewer and "<polyline" in viewer
    assert page(world, world.viewer_a, world.bravo).get("/").status_code == 403
    assert page(world, world.staff_a, world.bravo).get("/").status_code == 403
    assert page(world, world.outsider, world.alpha).get("/").status_code == 403
    assert "bravofan" in page(world, world.staff_b, world.bravo).get("/").content.decode()


def test_the_dashboard_reads_the_rollups_not_the_mentions_in_a_fixed_number_of_queries(world):
    dashboard_world(world)
    browser = page(world, world.staff_a, world.alpha)
    browser.get("/")  # warm
    for by in ("hour", "day", "week"):
        with CaptureQueriesContext(connection) as captured:
            assert browser.get("/", {"by": by}).status_code == 200
        sql = [q["sql"] for q in captured.captured_queries]
        assert not [s for s in sql if re.search(r'"?monitoring_mention"?(?!hour|search)\b', s)]
        assert len(sql) == DASHBOARD_QUERIES, "\n".join(s[:150] for s in sql)


DASHBOARD_QUERIES = 9


def test_in_dutch_and_swedish_the_charts_keep_their_geometry(world):
    """The page's numbers follow the language (9,1k; 70 %), the drawing's never: SVG reads
    "632.0" and would drop "632,0", losing the bars, the bands and the axis labels."""
    dashboard_world(world)
    for language in ("nl", "sv"):
        User.objects.filter(pk=world.staff_a.pk).update(language=language)
        html = page(world, world.staff_a, world.alpha).get("/").content.decode()
        svg = "".join(re.findall(r"<svg.*?</svg>", html, flags=re.S))
        assert svg and not re.search(r'\b(?:x|y|width|height|viewBox)="[^"]*\d,\d', svg)
        for points in re.findall(r'points="([^"]*)"', svg):  # "x,y x,y": a comma per pair
            assert re.fullmatch(r"(?:\d+(?:\.\d+)?,\d+(?:\.\d+)? ?)+", points), points[:40]
        assert 'class="band level-crisis"' in svg and "<polyline" in svg
        # and what the person reads is in their language
        assert {"nl": "Vermeldingen", "sv": "Omnämnanden"}[language] in html
