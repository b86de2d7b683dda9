"""RSS and Atom feeds: the real polling service against a Google Alerts feed served locally
(Google's redirect links, the feed's title, Google's <b> around the matched words), and a news
feed whose entry without an id or a link is dead-lettered once however often the feed repeats
it."""

from __future__ import annotations

import pytest

from clients import tenancy
from monitoring.models import DeadLetter, Mention
from tests.monitoring.connectors.helpers import DATA, poll, reload, source_factory, stored

pytestmark = pytest.mark.django_db

feed_source = source_factory(name="Google Alert acme", platform="news", kind="feed")


def test_google_alerts_store_the_article_url_no_feed_title_as_author_and_plain_text(
    world, httpserver
):
    httpserver.expect_request("/alerts/feeds/acme").respond_with_data(
        (DATA / "rss" / "google-alerts-acme.atom").read_bytes(),
        content_type="application/atom+xml",
    )
    source = feed_source(world.alpha, settings={"url": httpserver.url_for("/alerts/feeds/acme")})

    result = poll(world.alpha, source)
    assert (result.accepted, result.rejected, result.error) == (2, 0, "")
    with tenancy.tenant_context(world.alpha):
        recall = Mention.objects.select_related("author").get(
            external_id="tag:google.com,2013:googlealerts/feed:13849021766403958211"
        )
        authors = set(Mention.objects.values_list("author", flat=True))
    # the `url` parameter of Google's redirect, decoded, with the article's own query
    assert (
        recall.url
        == "https://www.dutchnews.example/2026/03/acme-recalls-kettles/?utm_source=rss&id=42"
    )
    # "Google Alert - acme" names the feed; Google Alerts entries have no author of their own
    assert recall.author is None and authors == {None}
    assert recall.text == (
        "Acme recalls kettles over scalding risk. Consumers who bought an Acme kettle since "
        "January are asked to stop using it ..."
    )
    with tenancy.tenant_context(world.bravo):
        assert not Mention.objects.exists()


def dead_letters(client) -> list[DeadLetter]:  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        return list(DeadLetter.objects.order_by("pk"))


def test_an_entry_without_an_id_or_link_is_a_dead_letter_once_while_the_feed_repeats_it(
    world, httpserver
):
    httpserver.expect_request("/nieuws.rss").respond_with_data(
        (DATA / "rss" / "news-unlinked.rss").read_bytes(), content_type="application/rss+xml"
    )
    source = feed_source(
        world.alpha, name="Nieuws uit de stad", settings={"url": httpserver.url_for("/nieuws.rss")}
    )

    first = poll(world.alpha, source)
    assert (first.accepted, first.rejected, first.error) == (2, 1, "")
    assert stored(world.alpha) == {
        "https://news.example.nl/alpha-recall",
        "https://news.example.nl/markt",
    }
    [letter] = dead_letters(world.alpha)
    assert letter.errors == [{"field": "item", "message": "a feed entry needs an id or a link"}]
    assert letter.payload["title"] == "Live: de terugroepactie van Bakkerij Alpha"

    # the feed has no ETag: it is read whole again, the same entries in it
    second = poll(world.alpha, source)
    assert (second.accepted, second.duplicates, second.rejected, second.error) == (0, 0, 0, "")
    assert [d.pk for d in dead_letters(world.alpha)] == [letter.pk]
    cursor = reload(world.alpha, source).poll_cursor
    assert len(cursor["seen"]) == 2 and len(cursor["dead"]) == 1
    assert dead_letters(world.bravo) == [] and stored(world.bravo) == set()
