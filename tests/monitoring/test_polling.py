"""Polling pull sources: the production connector against recorded responses served locally,
cursors that resume with no gap and no duplicate, 429s, backoff, refused tokens, rate budgets,
"test connection", and brands kept apart."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone
from werkzeug import Response

from clients import tenancy
from monitoring.connectors.rss import Rss
from monitoring.models import Mention, Source
from monitoring.services.polling import sources_due
from monitoring.services.sources import source_update
from tests.conftest import api_client
from tests.monitoring.connectors.helpers import next_poll, poll, reload
from tests.monitoring.factories import make_source

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data" / "connectors" / "rss"


@pytest.fixture(autouse=True)
def _fresh_budgets():
    """Rate budgets are counted in the cache per window: each test starts with full ones."""
    cache.clear()


def feed_source(client, url: str, **fields) -> Source:  # type: ignore[no-untyped-def]
    values = {
        "name": "Local news",
        "platform": "news",
        "kind": "feed",
        "pull": True,
        "settings": {"url": url},
    }
    return make_source(client, **(values | fields))


def test_a_feed_is_read_once_then_only_what_is_new(world, httpserver):
    body = (DATA / "news.rss").read_bytes()
    httpserver.expect_ordered_request("/feed.rss").respond_with_data(
        body, content_type="application/rss+xml", headers={"ETag": '"v1"'}
    )
    # the site answers 304 when the feed has not changed
    httpserver.expect_ordered_request(
        "/feed.rss", headers={"If-None-Match": '"v1"'}
    ).respond_with_response(Response(status=304))
    newer = body.replace(
        b"<item>",
        b"<item><title>Alpha reageert op terugroepactie</title>"
        b"<link>https://news.example.nl/alpha-reactie</link>"
        b"<guid>https://news.example.nl/alpha-reactie</guid>"
        b"<pubDate>Tue, 10 Mar 2026 19:00:00 +0000</pubDate></item><item>",
        1,
    )
    httpserver.expect_ordered_request("/feed.rss").respond_with_data(
        newer, content_type="application/rss+xml", headers={"ETag": '"v2"'}
    )
    source = feed_source(world.alpha, httpserver.url_for("/feed.rss"))

    first = poll(world.alpha, source)
    assert (first.pages, first.accepted, first.error) == (1, 2, "")
    with tenancy.tenant_context(world.alpha):
        recall = Mention.objects.get(external_id="https://news.example.nl/alpha-recall")
        assert recall.text == (
            "Bakkerij Alpha haalt brood terug. Klanten werden ziek na het eten van zuurdesembrood."
        )
        assert (recall.language, recall.platform) == ("nl", "news")
        assert recall.author.handle == "Redactie"
    assert reload(world.alpha, source).poll_cursor["etag"] == '"v1"'

    # not changed: nothing stored, nothing lost
    assert poll(world.alpha, source).accepted == 0
    # changed: only the new entry
    third = poll(world.alpha, source)
    assert (third.accepted, third.duplicates) == (1, 0)
    with tenancy.tenant_context(world.alpha):
        assert Mention.objects.count() == 3
    httpserver.check_assertions()
    with tenancy.tenant_context(world.bravo):
        assert not Mention.objects.exists()


def test_google_alerts_atom_feeds_are_read_with_the_link_and_plain_text(world, httpserver):
    httpserver.expect_request("/alerts").respond_with_data(
        (DATA / "google-alerts.atom").read_bytes(), content_type="application/atom+xml"
    )
    source = feed_source(world.alpha, httpserver.url_for("/alerts"))
    assert poll(world.alpha, source).accepted == 2
    with tenancy.tenant_context(world.alpha):
        texts = sorted(Mention.objects.values_list("text", flat=True))
    assert texts[0].startswith("Alpha Bakery recalls bread after customers fall ill. Customers of")
    assert "<b>" not in "".join(texts)


def test_a_429_waits_what_the_platform_says_and_is_shown_on_the_health(world, httpserver):
    httpserver.expect_request("/feed").respond_with_data(
        "Too many requests", status=429, headers={"Retry-After": "120"}
    )
    source = feed_source(world.alpha, httpserver.url_for("/feed"))
    before = timezone.now()
    result = poll(world.alpha, source)
    assert "rate limit reached" in result.error and "retry after 120 s" in result.error
    source = reload(world.alpha, source)
    assert source.last_error == result.error and source.poll_failures == 1
    assert before + timedelta(seconds=119) < next_poll(world.alpha, source)
    assert next_poll(world.alpha, source) < before + timedelta(seconds=130)
    with tenancy.tenant_context(world.alpha):
        assert not Mention.objects.exists()
        assert sources_due(client=world.alpha) == []  # not before the platform says so


def test_failures_back_off_exponentially_and_a_success_resets(world, httpserver):
    httpserver.expect_ordered_request("/feed").respond_with_data("down", status=503)
    httpserver.expect_ordered_request("/feed").respond_with_data("down", status=502)
    httpserver.expect_ordered_request("/feed").respond_with_data(
        (DATA / "news.rss").read_bytes(), content_type="application/rss+xml"
    )
    source = feed_source(world.alpha, httpserver.url_for("/feed"))
    waits = []
    for _ in range(2):
        start = timezone.now()
        result = poll(world.alpha, source)
        assert "is having trouble (50" in result.error
        waits.append((next_poll(world.alpha, source) - start).total_seconds())
    assert waits[0] == pytest.approx(Rss.interval, abs=5)
    assert waits[1] == pytest.approx(2 * Rss.interval, abs=5)
    assert poll(world.alpha, source).accepted == 2
    assert reload(world.alpha, source).poll_failures == 0


def test_a_refused_token_is_a_health_error_and_new_credentials_retry(world, httpserver):
    httpserver.expect_request("/feed").respond_with_json(
        {"error": {"message": "Invalid OAuth access token."}}, status=401
    )
    source = feed_source(world.alpha, httpserver.url_for("/feed"))
    result = poll(world.alpha, source)
    assert result.error == (
        "The feed refused the credentials (401): Invalid OAuth access token.. "
        "Set new credentials on the source."
    )
    assert next_poll(world.alpha, source) > timezone.now() + timedelta(minutes=55)
    source = reload(world.alpha, source)
    with tenancy.tenant_context(world.alpha):
        source_update(
            client=world.alpha, source=source, acting_user=None, credentials={"token": "new"}
        )
        assert sources_due(client=world.alpha) == [source.pk]  # tried again at once


def test_the_platform_budget_is_respected(world, httpserver, monkeypatch):
    monkeypatch.setattr(Rss, "budget", (1, 3600))
    httpserver.expect_request("/feed").respond_with_data(
        (DATA / "news.rss").read_bytes(), content_type="application/rss+xml"
    )
    source = feed_source(world.alpha, httpserver.url_for("/feed"))
    assert poll(world.alpha, source).pages == 1
    second = poll(world.alpha, source)
    assert second.pages == 0 and "budget" in second.skipped
    assert next_poll(world.alpha, source) > timezone.now()
    assert len(httpserver.log) == 1  # the second poll sent nothing


def test_due_sources_and_the_poll_task_stay_in_their_brand(world, httpserver):
    from monitoring.tasks import source_poll as poll_task
    from monitoring.tasks import sources_poll_due

    httpserver.expect_request("/feed").respond_with_data(
        (DATA / "news.rss").read_bytes(), content_type="application/rss+xml"
    )
    alpha = feed_source(world.alpha, httpserver.url_for("/feed"))
    make_source(world.alpha, name="pushed", kind="feed")  # not polled
    feed_source(world.alpha, httpserver.url_for("/feed"), name="paused", is_active=False)
    with tenancy.tenant_context(world.alpha):
        assert sources_due(client=world.alpha) == [alpha.pk]
    with tenancy.tenant_context(world.bravo):
        assert sources_due(client=world.bravo) == []
    assert sources_poll_due.apply(kwargs={"schema_name": world.bravo.schema_name}).get() == 0
    # alpha's source id polled in bravo's schema finds nothing to poll
    result = poll_task.apply(
        kwargs={"schema_name": world.bravo.schema_name, "source_id": alpha.pk}
    ).get()
    assert result["pages"] == 0
    with tenancy.tenant_context(world.alpha):
        assert not Mention.objects.exists()
    result = poll_task.apply(
        kwargs={"schema_name": world.alpha.schema_name, "source_id": alpha.pk}
    ).get()
    assert result == {"pages": 1, "accepted": 2, "error": ""}


def test_test_connection_says_what_is_wrong(world, httpserver):
    httpserver.expect_request("/page").respond_with_data(
        "<html><body>not a feed</body></html>", content_type="text/html"
    )
    httpserver.expect_request("/feed").respond_with_data(
        (DATA / "news.rss").read_bytes(), content_type="application/rss+xml"
    )
    api = api_client(world, world.staff_a, world.alpha)
    empty = feed_source(world.alpha, "")
    response = api.post(f"/api/v1/sources/{empty.pk}/test/")
    assert response.status_code == 200
    assert response.json() == {
        "ok": False,
        "message": "Missing setting 'url' (the feed's address, http or https).",
        "details": {},
    }
    page = feed_source(world.alpha, httpserver.url_for("/page"))
    body = api.post(f"/api/v1/sources/{page.pk}/test/").json()
    assert body["ok"] is False and "is not a readable RSS or Atom feed" in body["message"]
    good = feed_source(world.alpha, httpserver.url_for("/feed"))
    body = api.post(f"/api/v1/sources/{good.pk}/test/").json()
    assert body["ok"] is True and "2 mentions" in body["message"]
    with tenancy.tenant_context(world.alpha):
        assert not Mention.objects.exists()  # a test stores nothing
    # read-only viewers and other brands cannot
    assert (
        api_client(world, world.viewer_a, world.alpha)
        .post(f"/api/v1/sources/{good.pk}/test/")
        .status_code
        == 403
    )
    assert (
        api_client(world, world.staff_b, world.bravo)
        .post(f"/api/v1/sources/{good.pk}/test/")
        .status_code
        == 404
    )


def test_pull_is_refused_where_no_connector_polls(world):
    api = api_client(world, world.staff_a, world.alpha)
    response = api.post(
        "/api/v1/sources/",
        {"name": "wa", "platform": "whatsapp", "kind": "owned", "pull": True},
        format="json",
    )
    assert response.status_code == 400
    assert "pull" in response.json()["error"]["fields"]


def test_the_periodic_poll_fans_out_one_task_per_brand_and_then_per_due_source(world, httpserver):
    from monitoring.tasks import sources_poll_due, sources_poll_due_all
    from tests.monitoring.broker import sent_by

    count, sent = sent_by(lambda: sources_poll_due_all.apply().get())
    assert count == 2  # runs in public
    assert sorted(h["kwargsrepr"] for h in sent) == [
        "{'schema_name': 'brand_alpha'}",
        "{'schema_name': 'brand_bravo'}",
    ]
    source = feed_source(world.alpha, httpserver.url_for("/feed"))
    count, sent = sent_by(
        lambda: sources_poll_due.apply(kwargs={"schema_name": world.alpha.schema_name}).get()
    )
    assert count == 1
    (message,) = sent
    assert message["task"] == "monitoring.tasks.source_poll"
    assert message["kwargsrepr"] == f"{{'schema_name': 'brand_alpha', 'source_id': {source.pk}}}"
