"""The source pages of a brand host: the list with each source's health (ok, silent, failing,
paused) and its last error in the platform's words, adding a source with the API's own checks,
a source's page with its webhook address, settings, write-only credentials, pause and resume,
and "Test connection" against X's recorded answers; read-only for a client viewer, closed to
anyone not on the brand, and never a 500 whatever is sent."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agency.models import User
from clients import tenancy
from monitoring.connectors.x import XRecentSearch
from monitoring.models import Mention, Source
from monitoring.services.ingestion import mentions_ingest
from monitoring.services.sources import source_credentials
from tests.monitoring.connectors.helpers import Recordings, local_api
from tests.monitoring.factories import make_source, mention

pytestmark = pytest.mark.django_db

SECRET = "s3cr3t-Bearer-9f8e7d6c5b4a"
SEARCH = "/2/tweets/search/recent"
OFFSET = re.compile(r"\d\d:\d\d CES?T \(\+0[12]:00\)")  # Amsterdam's clock, with its offset

x_api = local_api(XRecentSearch)
recordings = Recordings("x")


def page(world, user, client) -> HttpClient:  # type: ignore[no-untyped-def]
    browser = HttpClient(HTTP_HOST=world.host(client))
    browser.force_login(user)
    return browser


@pytest.fixture(autouse=True)
def _english(world):  # type: ignore[no-untyped-def]
    """The pages in English, whatever the brand's language (the person's choice wins)."""
    User.objects.update(language="en")


def row_of(html: str, name: str) -> str:
    """The table row of the source called `name`."""
    rows = [row for row in html.split("<tr")[1:] if f">{name}</a>" in row]
    assert len(rows) == 1, f"{name} listed {len(rows)} times"
    return rows[0]


def x_source(client, **fields) -> Source:  # type: ignore[no-untyped-def]
    values = {
        "name": "Alpha on X",
        "platform": "x",
        "kind": "keyword",
        "pull": True,
        "settings": {"keywords": ["bakkerij alpha"], "hashtag": "alphabakery"},
        "credentials": {"bearer_token": SECRET},
    }
    return make_source(client, **(values | fields))


def stored(client, pk: int) -> Source:  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        source = Source.objects.get(pk=pk)
        source.credentials = source_credentials(source=source)  # type: ignore[attr-defined]
    tenancy.reset_to_public()
    return source


def sources_with_health(client):  # type: ignore[no-untyped-def]
    """Four sources: one delivering, one silent, one failing, one paused."""
    alive = make_source(client, name="Live chatter")
    silent = make_source(client, name="Quiet hashtag", expected_per_hour=30.0)
    failing = x_source(client, name="Broken search")
    paused = make_source(client, name="Old campaign", is_active=False)
    now = timezone.now()
    with tenancy.tenant_context(client):
        Source.objects.filter(pk=silent.pk).update(created_at=now - timedelta(days=2))
        Source.objects.filter(pk=failing.pk).update(
            last_polled_at=now - timedelta(minutes=4),
            last_success_at=now - timedelta(hours=3),
            last_error_at=now - timedelta(minutes=4),
            last_error="X refused the credentials (401): Unauthorized. Set new credentials on "
            "the source.",
        )
        recent = mention(1, posted_at=(now - timedelta(minutes=3)).isoformat())
        mentions_ingest(client=client, source=alive, items=[recent], channel="api")
    tenancy.reset_to_public()
    return alive, silent, failing, paused


def test_the_list_shows_each_sources_health_and_the_platforms_words(world):
    *_, failing, _paused = sources_with_health(world.alpha)
    make_source(world.bravo, name="Bravo harbour feed")
    html = page(world, world.staff_a, world.alpha).get("/sources/").content.decode()
    live = row_of(html, "Live chatter")
    assert 'class="health-ok"' in live and "1 last hour, 1 last day" in live
    assert "received " in live and OFFSET.search(live)
    quiet = row_of(html, "Quiet hashtag")
    assert 'class="health-silent"' in quiet and ">silent<" in quiet
    assert "nothing for 48 h" in quiet
    broken = row_of(html, "Broken search")
    assert 'class="health-failing"' in broken and ">failing<" in broken
    assert "X refused the credentials (401): Unauthorized." in broken
    assert "polled " in broken and OFFSET.search(broken)
    assert 'class="health-paused"' in row_of(html, "Old campaign")
    # another brand's sources are not on this one's list
    assert "Bravo harbour feed" not in html
    assert f'href="/sources/{failing.pk}/"' in html


def test_staff_add_a_source_with_the_apis_checks(world):
    browser = page(world, world.staff_a, world.alpha)
    form = {
        "name": "Alpha on X",
        "platform": "x",
        "kind": "keyword",
        "pull": "on",
        "settings": '{"query": "bakkerij alpha"}',
        "credentials": json.dumps({"bearer_token": SECRET}),
    }
    refusals = {
        # the API's serializer: an object, storable
        "[1, 2]": "Expected a JSON object.",
        '{"query": "a\\u0000b"}': "Null characters are not allowed.",
        # the form: it is JSON at all
        "{query: oops": "Enter a valid JSON.",
    }
    for settings_text, message in refusals.items():
        refused = browser.post("/sources/", form | {"settings": settings_text})
        body = refused.content.decode()
        assert refused.status_code == 400 and message in body
        assert 'id="id_settings_error"' in body or 'aria-invalid="true"' in body
        assert SECRET not in body  # what was typed as a secret is not sent back
    # the service's check: Facebook pages are not polled
    refused = browser.post("/sources/", form | {"platform": "facebook", "kind": "owned"})
    assert refused.status_code == 400
    assert "There is no connector that polls Facebook" in refused.content.decode()
    missing = browser.post("/sources/", {"platform": "myspace"})
    assert missing.status_code == 400 and "This field is required." in missing.content.decode()
    assert "Select a valid choice. myspace is not one" in missing.content.decode()
    with tenancy.tenant_context(world.alpha):
        assert not Source.objects.exists()
    tenancy.reset_to_public()
    added = browser.post("/sources/", form)
    assert added.status_code == 302
    with tenancy.tenant_context(world.alpha):
        source = Source.objects.get()
    tenancy.reset_to_public()
    assert added["Location"] == f"/sources/{source.pk}/"
    saved = stored(world.alpha, source.pk)
    assert (saved.settings, saved.pull, saved.platform) == ({"query": "bakkerij alpha"}, True, "x")
    assert saved.credentials == {"bearer_token": SECRET}  # type: ignore[attr-defined]
    detail = browser.get(added["Location"]).content.decode()
    assert "Source added: test its connection." in detail and SECRET not in detail
    with tenancy.tenant_context(world.bravo):
        assert not Source.objects.exists()


def test_staff_edit_the_settings_with_the_apis_checks(world):
    source = x_source(world.alpha)
    with tenancy.tenant_context(world.alpha):
        Source.objects.filter(pk=source.pk).update(poll_failures=4)
    tenancy.reset_to_public()
    browser = page(world, world.staff_a, world.alpha)
    url = f"/sources/{source.pk}/settings/"
    html = browser.get(f"/sources/{source.pk}/").content.decode()
    assert "bakkerij alpha" in html and "alphabakery" in html  # settings are shown to edit
    refused = browser.post(url, {"name": "Alpha on X", "pull": "on", "settings": '"a string"'})
    assert refused.status_code == 400 and "Expected a JSON object." in refused.content.decode()
    assert stored(world.alpha, source.pk).settings["hashtag"] == "alphabakery"
    saved = browser.post(
        url,
        {
            "name": "Alpha on X (Dutch)",
            "pull": "on",
            "settings": '{"query": "bakkerij alpha lang:nl"}',
            "expected_per_hour": "12.5",
        },
    )
    assert saved.status_code == 302 and saved["Location"] == f"/sources/{source.pk}/"
    source = stored(world.alpha, source.pk)
    assert (source.name, source.settings, source.expected_per_hour) == (
        "Alpha on X (Dutch)",
        {"query": "bakkerij alpha lang:nl"},
        12.5,
    )
    assert source.poll_failures == 0  # source_update: whatever stopped polling may be fixed
    assert source.credentials == {"bearer_token": SECRET}  # type: ignore[attr-defined]
    # a push source cannot be polled where no connector polls it: the service says so
    page_source = make_source(world.alpha, name="Page", platform="facebook", kind="owned")
    refused = browser.post(
        f"/sources/{page_source.pk}/settings/", {"name": "Page", "pull": "on", "settings": "{}"}
    )
    assert refused.status_code == 400
    assert "There is no connector that polls Facebook" in refused.content.decode()
    assert stored(world.alpha, page_source.pk).pull is False


def test_credentials_are_write_only(world):
    source = x_source(world.alpha)
    browser = page(world, world.staff_a, world.alpha)
    detail = f"/sources/{source.pk}/"
    url = f"/sources/{source.pk}/credentials/"
    bodies = []
    html = browser.get(detail).content.decode()
    bodies.append(html)
    assert '<code>bearer_token</code> — <span class="set">set on ' in html
    assert 'type="password" name="value_0"' in html and 'name="remove_0"' in html
    # replace it: the new one is stored, and shown nowhere either
    replaced = browser.post(url, {"value_0": "n3w-Bearer-1234"}, follow=True)
    bodies.append(replaced.content.decode())
    assert "Credentials saved." in bodies[-1]
    assert stored(world.alpha, source.pk).credentials == {"bearer_token": "n3w-Bearer-1234"}  # type: ignore[attr-defined]
    # a refused form does not echo what was typed
    refused = browser.post(url, {"value_0": "typed-but-refused-77", "new_name": "extra"})
    bodies.append(refused.content.decode())
    assert refused.status_code == 400 and "Give the value of extra." in bodies[-1]
    nothing = browser.post(url, {})
    bodies.append(nothing.content.decode())
    assert nothing.status_code == 400 and "Type a new value, or tick one to remove." in bodies[-1]
    # add another, then remove the first
    browser.post(url, {"new_name": "webhook_secret", "new_value": "hook-Secret-5566"})
    assert stored(world.alpha, source.pk).credentials == {  # type: ignore[attr-defined]
        "bearer_token": "n3w-Bearer-1234",
        "webhook_secret": "hook-Secret-5566",
    }
    browser.post(url, {"remove_0": "on"})
    assert stored(world.alpha, source.pk).credentials == {"webhook_secret": "hook-Secret-5566"}  # type: ignore[attr-defined]
    html = browser.get(detail).content.decode()
    bodies.append(html)
    assert '<code>bearer_token</code> — <span class="muted">not set</span>' in html
    bodies.append(page(world, world.viewer_a, world.alpha).get(detail).content.decode())
    bodies.append(browser.get("/sources/").content.decode())
    for body in bodies:
        for secret in (SECRET, "n3w-Bearer-1234", "typed-but-refused-77", "hook-Secret-5566"):
            assert secret not in body


def test_a_push_source_shows_its_webhook_addresses_not_its_secrets(world):
    source = make_source(
        world.alpha,
        name="Alpha page",
        platform="facebook",
        kind="owned",
        credentials={"app_secret": "meta-App-Secret-31", "verify_token": "vt-Token-42"},
    )
    html = page(world, world.viewer_a, world.alpha).get(f"/sources/{source.pk}/").content.decode()
    host = world.host(world.alpha)
    assert f"http://{host}/api/v1/hooks/{source.public_id}/" in html
    assert f"http://{host}/api/v1/hooks/{source.public_id}/meta/" in html
    assert "<code>app_secret</code> — set on " in html
    assert "<code>webhook_secret</code> — not set" in html
    assert "meta-App-Secret-31" not in html and "vt-Token-42" not in html
    polled = x_source(world.alpha)
    assert (
        "/api/v1/hooks/"
        not in page(world, world.viewer_a, world.alpha)
        .get(f"/sources/{polled.pk}/")
        .content.decode()
    )


def test_test_connection_shows_the_platforms_answer(world, x_api):
    x_api.expect_request(SEARCH, headers={"Authorization": f"Bearer {SECRET}"}).respond_with_json(
        recordings.body("search-page1.json")
    )
    x_api.expect_request(SEARCH, headers={"Authorization": "Bearer revoked"}).respond_with_response(
        recordings.response("error-unauthorized.json")
    )
    good = x_source(world.alpha)
    revoked = x_source(world.alpha, name="old token", credentials={"bearer_token": "revoked"})
    browser = page(world, world.staff_a, world.alpha)
    # with htmx: only the result, to swap in
    works = browser.post(f"/sources/{good.pk}/test/", HTTP_HX_REQUEST="true")
    body = works.content.decode()
    assert works.status_code == 200 and "<html" not in body and 'id="source-check"' in body
    assert "The connection works." in body and "X accepts the bearer token" in body
    assert SECRET not in body
    fails = browser.post(f"/sources/{revoked.pk}/test/", HTTP_HX_REQUEST="true").content.decode()
    assert "The connection fails." in fails
    assert "X refused the credentials (401): Unauthorized" in fails
    # without JavaScript: the whole page, with the answer in it
    full = browser.post(f"/sources/{good.pk}/test/")
    assert full.status_code == 200 and "<html" in full.content.decode()
    assert "X accepts the bearer token" in full.content.decode()
    # a source nothing polls says so, in words
    pushed = make_source(world.alpha, name="Page", platform="facebook", kind="owned")
    said = browser.post(f"/sources/{pushed.pk}/test/", HTTP_HX_REQUEST="true").content.decode()
    assert "Facebook sources of this kind are not polled." in said
    with tenancy.tenant_context(world.alpha):
        assert not Mention.objects.exists()  # a test stores nothing


def test_pause_and_resume(world):
    source = x_source(world.alpha)
    browser = page(world, world.staff_a, world.alpha)
    paused = browser.post(f"/sources/{source.pk}/pause/", follow=True).content.decode()
    assert "Paused: it is not watched now." in paused and "Resume this source" in paused
    assert stored(world.alpha, source.pk).is_active is False
    assert 'class="health-paused"' in row_of(
        browser.get("/sources/").content.decode(), "Alpha on X"
    )
    browser.post(f"/sources/{source.pk}/resume/")
    assert stored(world.alpha, source.pk).is_active is True


def test_a_viewer_sees_no_control_and_a_forged_post_is_refused(world):
    _alive, _silent, failing, _paused = sources_with_health(world.alpha)
    browser = page(world, world.viewer_a, world.alpha)
    listed = browser.get("/sources/").content.decode()
    assert "Broken search" in listed and "X refused the credentials (401)" in listed
    assert "Add a source" not in listed and '<form method="post" action="/sources' not in listed
    detail = browser.get(f"/sources/{failing.pk}/").content.decode()
    assert "<code>bearer_token</code> — set on " in detail
    assert "Test connection" not in detail and 'type="password"' not in detail
    assert '<form method="post" action="/sources' not in detail
    forged = {
        "/sources/": {"name": "Forged", "platform": "x", "kind": "keyword"},
        f"/sources/{failing.pk}/settings/": {"name": "Forged", "settings": "{}"},
        f"/sources/{failing.pk}/credentials/": {"value_0": "forged"},
        f"/sources/{failing.pk}/test/": {},
        f"/sources/{failing.pk}/pause/": {},
    }
    for url, data in forged.items():
        assert browser.post(url, data).status_code == 403, url
    source = stored(world.alpha, failing.pk)
    assert (source.name, source.is_active) == ("Broken search", True)
    assert source.credentials == {"bearer_token": SECRET}  # type: ignore[attr-defined]
    with tenancy.tenant_context(world.alpha):
        assert not Source.objects.filter(name="Forged").exists()


def test_another_brands_sources_stay_out_of_reach(world):
    alpha = x_source(world.alpha)
    make_source(world.bravo, name="Bravo harbour feed")
    # staff of bravo only, and someone on no brand, are refused on alpha's host
    for user in (world.staff_b, world.outsider, world.viewer_b):
        browser = page(world, user, world.alpha)
        assert browser.get("/sources/").status_code == 403
        assert browser.get(f"/sources/{alpha.pk}/").status_code == 403
        assert browser.post(f"/sources/{alpha.pk}/pause/").status_code == 403
    # on bravo's own host, alpha's source id names nothing
    bravo = page(world, world.staff_b, world.bravo)
    assert "Alpha on X" not in bravo.get("/sources/").content.decode()
    assert bravo.get(f"/sources/{alpha.pk}/").status_code == 404
    for action in ("settings", "credentials", "test", "pause", "resume"):
        assert bravo.post(f"/sources/{alpha.pk}/{action}/", {"value_0": "x"}).status_code == 404
    assert stored(world.alpha, alpha.pk).is_active is True


NASTY = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.sampled_from(
        [
            "[" * 50_000,
            '{"a": ' * 3000 + "1" + "}" * 3000,
            "1e400",
            "NaN",
            "-Infinity",
            '{"x": 1e999}',
            '{"\\ud800": 1}',
            "null",
            "x" * 100_000,
            "\x00",
        ]
    ),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(settings_text=NASTY, credentials_text=NASTY, other=NASTY)
def test_wrong_bytes_in_the_forms_are_never_a_500(world, settings_text, credentials_text, other):
    with tenancy.tenant_context(world.alpha):
        source = Source.objects.filter(name="Target").first() or make_source(
            world.alpha, name="Target"
        )
    tenancy.reset_to_public()
    browser = page(world, world.staff_a, world.alpha)
    posts = {
        "/sources/": {
            "name": other,
            "platform": "x",
            "kind": "keyword",
            "settings": settings_text,
            "credentials": credentials_text,
            "expected_per_hour": other,
        },
        f"/sources/{source.pk}/settings/": {
            "name": "Target",
            "settings": settings_text,
            "expected_per_hour": other,
        },
        f"/sources/{source.pk}/credentials/": {"value_0": other, "new_name": credentials_text},
    }
    for url, data in posts.items():
        assert browser.post(url, data).status_code < 500, url
    assert browser.get(f"/sources/{source.pk}/").status_code == 200
    assert browser.get("/sources/").status_code == 200


def test_bad_ids_and_methods_answer_4xx(world):
    browser = page(world, world.staff_a, world.alpha)
    assert browser.get("/sources/99999999/").status_code == 404
    assert browser.get("/sources/99999999999999999999999/").status_code == 404
    assert browser.get("/sources/abc/").status_code == 404
    assert browser.post("/sources/99999999999999999999999/test/").status_code == 404
    source = make_source(world.alpha)
    assert browser.get(f"/sources/{source.pk}/test/").status_code == 405
    assert browser.delete("/sources/").status_code == 405


def test_the_pages_cost_a_fixed_number_of_queries(world):
    sources_with_health(world.alpha)
    source = x_source(world.alpha, name="Measured")
    browser = page(world, world.staff_a, world.alpha)
    browser.get("/sources/")  # warm

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(path).status_code == 200
        return len(captured)

    listed = count("/sources/")
    detail = count(f"/sources/{source.pk}/")
    for n in range(4):
        x_source(world.alpha, name=f"More {n}")
    assert count("/sources/") == listed  # not one query per source
    assert (listed, detail) == (LIST_QUERIES, DETAIL_QUERIES)


LIST_QUERIES = 5
DETAIL_QUERIES = 5
