"""The mention stream of a brand host: each mention as a person reads it (reach, marks, the
brand's zone, deleted posts and shares), the API's filters and full-text search, its cursor
pages, the CSV export from the page's link; read-only for a client viewer, closed to anyone
not on the brand, and never a 5xx whatever the query string says."""

from __future__ import annotations

import csv
import io
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
from monitoring.models import Author, Mention, Source, Wave
from monitoring.services.ingestion import mentions_ingest
from monitoring.services.processing import mentions_process
from tests.monitoring.factories import T0, make_source, mention

pytestmark = pytest.mark.django_db


def page(world, user, client) -> HttpClient:  # type: ignore[no-untyped-def]
    browser = HttpClient(HTTP_HOST=world.host(client))
    browser.force_login(user)
    return browser


def stream(client: Client, items: list[dict[str, Any]], **source_fields: Any) -> Source:
    """`items` stored for a new source and processed (search documents, enrichment)."""
    source = make_source(client, **source_fields)
    with tenancy.tenant_context(client):
        mentions_ingest(client=client, source=source, channel="api", items=items)
        ids = list(Mention.objects.filter(source=source).values_list("pk", flat=True))
        mentions_process(client=client, mention_ids=ids)
    tenancy.reset_to_public()
    return source


def alpha_stream(world) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Alpha's four mentions: a journalist's complaint with wide reach on X, a share of it, a
    deleted post, and praise on Instagram (newest); the first two in a wave."""
    x = stream(
        world.alpha,
        [
            mention(
                1,
                text="De bezorgers zijn weer veel te laat",
                author={"handle": "journo", "followers": 250_000},
            ),
            mention(2, text="Delivery delayed three hours", language="en", repost_of="m1"),
            mention(3, text="Dit bericht is weg", deleted=True),
        ],
        name="X search",
    )
    instagram = stream(
        world.alpha,
        [mention(4, text="Heerlijke croissants vandaag", url="https://instagram.com/p/4")],
        name="Instagram tags",
        platform="instagram",
    )
    with tenancy.tenant_context(world.alpha):
        Author.objects.filter(handle="journo").update(is_journalist=True)
        for external_id, sentiment in (("m1", "neg"), ("m2", "neg"), ("m3", "neu"), ("m4", "pos")):
            Mention.objects.filter(external_id=external_id).update(sentiment=sentiment)
        now = timezone.now()
        wave = Wave.objects.create(
            status="closed",
            started_at=T0,
            last_activity_at=T0 + timedelta(minutes=30),
            ended_at=T0 + timedelta(minutes=30),
            origin_platform="x",
            judged_at=now,
        )
        Mention.objects.filter(external_id__in=["m1", "m2"]).update(wave=wave)
    tenancy.reset_to_public()
    return {"x": x, "instagram": instagram, "wave": wave}


TEXTS = {
    "m1": "De bezorgers zijn weer veel te laat",
    "m2": "Delivery delayed three hours",
    "m3": "Dit bericht is weg",
    "m4": "Heerlijke croissants vandaag",
}


def shown(html: str) -> list[str]:
    """The external ids of the mentions in the stream (from their texts), in page order."""
    body = unescape(html.split('<ol class="stream"', 1)[1]) if '<ol class="stream"' in html else ""
    found = [
        (body.index(f'<p class="text">{text}'), key)
        for key, text in TEXTS.items()
        if f'<p class="text">{text}' in body
    ]
    return [key for _, key in sorted(found)]


def item(html: str, key: str) -> str:
    """The stream item of the mention `key`."""
    end = html.index(f'<p class="text">{TEXTS[key]}')
    start = html.rindex('<li class="mention', 0, end)
    return html[start : html.index("</li>", end)]


def test_each_mention_reads_as_a_person_needs_it(world):
    alpha_stream(world)
    response = page(world, world.staff_a, world.alpha).get("/mentions/")
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert shown(html) == ["m4", "m3", "m2", "m1"]  # newest first
    journo = item(html, "m1")
    assert "(250k followers)" in journo and "multiplier" in journo and "journalist" in journo
    assert "Negative" in journo
    # posted 18:01 UTC: in Amsterdam, with the offset
    assert "2026-03-03 19:01 CET (+01:00)" in journo
    assert "Deleted on the platform" in item(html, "m3")
    assert "Deleted" not in item(html, "m1") and "A share" not in item(html, "m1")
    share = item(html, "m2")
    assert "A share of @journo's post:" in share
    assert 'href="https://x.com/someone/status/1"' in share  # the original, opened on X
    assert (
        '<a href="https://instagram.com/p/4" target="_blank" rel="noopener noreferrer">'
        "Open on Instagram" in html
    )
    assert "Heerlijke croissants" in html and "Positive" in html


def test_each_filter_changes_what_is_shown(world):
    sources = alpha_stream(world)
    browser = page(world, world.staff_a, world.alpha)

    def ids(**query: Any) -> list[str]:
        response = browser.get("/mentions/", query)
        assert response.status_code == 200, response.content
        return shown(response.content.decode())

    assert ids() == ["m4", "m3", "m2", "m1"]
    assert ids(platform="instagram") == ["m4"]
    assert ids(sentiment="neg") == ["m2", "m1"]
    assert ids(source=sources["x"].pk) == ["m3", "m2", "m1"]
    assert ids(multipliers="on") == ["m1"]
    assert ids(wave=sources["wave"].pk) == ["m2", "m1"]
    # dates typed in the brand's zone: 19:02 in Amsterdam is 18:02 UTC
    assert ids(since="2026-03-03T19:02") == ["m4", "m3", "m2"]
    assert ids(until="2026-03-03T19:02") == ["m1"]
    assert ids(since="2026-03-03T19:02", until="2026-03-03T19:04") == ["m3", "m2"]
    assert ids(range="24h") == []  # all posted months ago
    with tenancy.tenant_context(world.alpha):
        Mention.objects.filter(external_id="m4").update(posted_at=timezone.now())
    tenancy.reset_to_public()
    assert ids(range="1h") == ["m4"]


def test_search_goes_through_the_apis_text_search_in_each_language(world):
    alpha_stream(world)
    browser = page(world, world.staff_a, world.alpha)
    # Dutch stemming: "bezorger" finds "bezorgers"; English: "delays" finds "delayed"
    assert shown(browser.get("/mentions/", {"q": "bezorger"}).content.decode()) == ["m1"]
    assert shown(browser.get("/mentions/", {"q": "delays"}).content.decode()) == ["m2"]
    both = browser.get("/mentions/", {"q": "bezorger or croissants"}).content.decode()
    assert shown(both) == ["m4", "m1"]
    nothing = browser.get("/mentions/", {"q": "fiets"}).content.decode()
    assert shown(nothing) == [] and "No mentions match." in nothing


def test_the_older_link_leads_through_every_page_once(world):
    alpha_stream(world)
    browser = page(world, world.staff_a, world.alpha)
    response = browser.get("/mentions/", {"page_size": "1", "sentiment": "neg"})
    html = unescape(response.content.decode())
    assert shown(html) == ["m2"] and "Newer" not in html
    older = re.search(r'<a href="([^"]+)" rel="next">', html)
    assert older
    html = unescape(browser.get(older.group(1)).content.decode())
    assert shown(html) == ["m1"]  # the filter rides along with the cursor
    assert 'rel="prev"' in html and 'rel="next"' not in html
    # every page of all four, one at a time: each once, newest first
    seen, url = [], "/mentions/?page_size=1"
    while url:
        html = unescape(browser.get(url).content.decode())
        seen += shown(html)
        found = re.search(r'<a href="([^"]+)" rel="next">', html)
        url = found.group(1) if found else ""
    assert seen == ["m4", "m3", "m2", "m1"]


def test_the_export_link_downloads_the_filtered_mentions_as_csv(world):
    sources = alpha_stream(world)
    browser = page(world, world.viewer_a, world.alpha)  # reading is enough to export
    html = unescape(
        browser.get("/mentions/", {"sentiment": "neg", "q": "bezorger"}).content.decode()
    )
    link = re.search(r'<a class="button" href="([^"]+)" download>Export CSV', html)
    assert link and link.group(1).startswith("/api/v1/mentions/export.csv?")
    response = browser.get(link.group(1))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    assert [r["external_id"] for r in rows] == ["m1"]
    # a range becomes the API's `since`, in the API's terms; multipliers too
    with tenancy.tenant_context(world.alpha):
        Mention.objects.filter(external_id__in=["m1", "m4"]).update(posted_at=timezone.now())
    tenancy.reset_to_public()
    html = unescape(
        browser.get("/mentions/", {"range": "1h", "multipliers": "on"}).content.decode()
    )
    link = re.search(r'<a class="button" href="([^"]+)" download>', html)
    assert link and "since=" in link.group(1) and "multipliers=true" in link.group(1)
    rows = list(csv.DictReader(io.StringIO(browser.get(link.group(1)).getvalue().decode())))
    assert [(r["external_id"], r["source_id"]) for r in rows] == [("m1", str(sources["x"].pk))]


def test_a_viewer_reads_the_stream_and_cannot_post(world):
    alpha_stream(world)
    browser = page(world, world.viewer_a, world.alpha)
    html = browser.get("/mentions/").content.decode()
    assert shown(html) == ["m4", "m3", "m2", "m1"]
    assert html.count('method="post"') == 1  # log out, nothing else
    assert browser.post("/mentions/", {"q": "x"}).status_code == 403
    assert browser.post("/waves/").status_code == 403


def test_another_brands_mentions_stay_invisible(world):
    alpha = alpha_stream(world)
    stream(world.bravo, [mention(9, text="Bravo boten lekken", language="nl")])
    as_admin = page(world, world.admin, world.alpha).get("/mentions/").content.decode()
    assert "Bravo boten lekken" not in as_admin and TEXTS["m1"] in as_admin
    on_bravo = page(world, world.staff_b, world.bravo)
    bravo_html = on_bravo.get("/mentions/").content.decode()
    assert "Bravo boten lekken" in bravo_html and TEXTS["m1"] not in bravo_html
    # alpha's ids name nothing on bravo's host: not a source there, no mention of that wave
    assert on_bravo.get("/mentions/", {"source": alpha["x"].pk}).status_code == 400
    by_wave = on_bravo.get("/mentions/", {"wave": alpha["wave"].pk})
    assert by_wave.status_code == 200 and "No mentions match." in by_wave.content.decode()
    assert on_bravo.get(f"/waves/{alpha['wave'].pk}/").status_code == 404
    assert (
        page(world, world.staff_b, world.bravo)
        .get("/mentions/", {"q": "bezorger"})
        .content.decode()
        .count('<p class="text">')
        == 0
    )
    # not on the brand: refused
    for user in (world.outsider, world.staff_b, world.viewer_b):
        assert page(world, user, world.alpha).get("/mentions/").status_code == 403


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({"since": "yesterday", "platform": "myspace"}, {"since", "platform"}),
        ({"source": "abc"}, {"source"}),
        ({"source": "999999"}, {"source"}),
        ({"wave": "-1"}, {"wave"}),
        ({"wave": str(2**70)}, {"wave"}),
        ({"since": "2026-03-03T20:00", "until": "2026-03-03T19:00"}, {"until"}),
        ({"range": "24h", "since": "2026-03-03T19:00"}, {"range"}),
        ({"range": "forever"}, {"range"}),
        ({"sentiment": "angry"}, {"sentiment"}),
        ({"q": "x" * 501}, {"q"}),
        ({"q": "null\x00byte"}, {"q"}),
        ({"since": "99999-01-01T00:00"}, {"since"}),
    ],
)
def test_bad_filter_values_are_field_errors(world, query, fields):
    response = page(world, world.staff_a, world.alpha).get("/mentions/", query)
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == fields
    assert 'class="errorlist' in response.content.decode()


def test_a_forged_cursor_names_no_page(world):
    alpha_stream(world)
    browser = page(world, world.staff_a, world.alpha)
    assert browser.get("/mentions/", {"cursor": "not-base64!"}).status_code == 404
    # well-formed base64 whose position is not a time
    assert browser.get("/mentions/", {"cursor": "cD1ub3QtYS10aW1l"}).status_code == 404


# Any of the page's parameters with any text (NUL and other control characters included).
queries = st.dictionaries(
    st.sampled_from(
        [
            "q",
            "platform",
            "sentiment",
            "source",
            "range",
            "since",
            "until",
            "wave",
            "multipliers",
            "cursor",
            "page_size",
            "other",
        ]
    ),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
    max_size=5,
)


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=queries)
def test_whatever_the_query_string_the_answer_is_a_page_or_a_4xx(world, query):
    response = page(world, world.staff_a, world.alpha).get("/mentions/", query)
    # only a cursor names a page that may not exist
    allowed = (200, 400, 404) if query.get("cursor") else (200, 400)
    assert response.status_code in allowed, (query, response.status_code)
    if response.status_code == 400:
        assert response.context["form"].errors
    if response.status_code == 200:
        assert "Export CSV" in response.content.decode()


def test_the_stream_costs_a_fixed_number_of_queries(world):
    alpha_stream(world)
    browser = page(world, world.staff_a, world.alpha)
    browser.get("/mentions/")  # warm

    def count(query: dict[str, Any]) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get("/mentions/", query).status_code == 200
        return len(captured)

    listed = count({})
    searched = count({"q": "bezorger", "sentiment": "neg"})
    stream(world.alpha, [mention(n, repost_of="m1") for n in range(20, 40)], name="More")
    assert count({}) == listed  # not one query per mention, author, share or source
    # (no share among the found ones: no originals to read)
    assert (listed, searched) == (STREAM_QUERIES, STREAM_QUERIES - 1)


def test_the_stream_counts_nothing_and_skips_nothing_over_the_table(world):
    alpha_stream(world)
    browser = page(world, world.staff_a, world.alpha)
    first = unescape(browser.get("/mentions/", {"page_size": 2}).content.decode())
    older = re.search(r'<a href="([^"]+)" rel="next">', first)
    assert older
    with CaptureQueriesContext(connection) as captured:
        assert browser.get(older.group(1)).status_code == 200
    mention_queries = [q["sql"] for q in captured if 'FROM "monitoring_mention"' in q["sql"]]
    assert mention_queries
    for sql in mention_queries:
        assert "COUNT(" not in sql.upper() and "OFFSET" not in sql.upper()
    # the keyset: the page starts below the last time shown
    assert any('"monitoring_mention"."posted_at" <' in sql for sql in mention_queries)


# the brand's schema, session, user, the person's access to the brand, the sources (filter
# choices), the page of mentions with their authors and sources, the shares' originals
STREAM_QUERIES = 7
