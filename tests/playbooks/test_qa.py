"""The crisis Q&A page: drafts and publication (services), the public page on the brand's host
(no log-in, published versions only, this brand's codes only, served from the cache with
ETag/Last-Modified and 304s, invalidated by a publication), and its editor for the agency's
people (client viewers read it; their POSTs are refused)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from agency.exceptions import PermissionDeniedError
from agency.models import AuditEvent
from clients import tenancy
from playbooks import qa
from playbooks.exceptions import IncidentError
from playbooks.models import Incident, IncidentEvent, QAPage, QAVersion
from playbooks.services import incident_open
from tests.monitoring.test_escalation import raise_alert
from tests.playbooks.test_incidents import NIGHT

pytestmark = pytest.mark.django_db

DUTCH_MONTHS = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
]
ENTRIES = [
    {"q": "Is de taart veilig?", "a": "Ja. De partij van maandag is teruggeroepen."},
    {"q": "Krijg ik mijn geld terug?", "a": "Ja, in elke winkel, ook zonder bon."},
]


def incident_of(client) -> Incident:  # type: ignore[no-untyped-def]
    alert = raise_alert(client, at=NIGHT)
    with tenancy.tenant_context(client):
        incident = incident_open(client=client, alert=alert, acting_user=None)
    tenancy.reset_to_public()
    return incident


def draft(client, incident, user, title="Wat er gebeurde", entries=None, **kw) -> QAVersion:  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        page = qa.qa_page_for(client=client, incident=incident)
        version = qa.qa_draft_save(
            client=client,
            page=page,
            acting_user=user,
            title=title,
            intro=kw.get("intro", "We zoeken het uit."),
            entries=entries or ENTRIES,
            language=kw.get("language", "nl"),
        )
    tenancy.reset_to_public()
    return version


def publish(client, version, user, on_commit) -> QAVersion:  # type: ignore[no-untyped-def]
    """Publish as a page would: the transaction's on-commit work (the cache) runs."""
    with on_commit(execute=True), tenancy.tenant_context(client):
        published = qa.qa_publish(client=client, version=version, acting_user=user)
    tenancy.reset_to_public()
    return published


def anonymous(world, client) -> HttpClient:  # type: ignore[no-untyped-def]
    return HttpClient(HTTP_HOST=world.host(client))


def signed_in(world, user, client) -> HttpClient:  # type: ignore[no-untyped-def]
    browser = HttpClient(HTTP_HOST=world.host(client))
    browser.force_login(user)
    return browser


def code_of(client, incident) -> str:  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        code = QAPage.objects.get(incident=incident).code
    tenancy.reset_to_public()
    return code


def updated_at(client, at) -> str:  # type: ignore[no-untyped-def]
    local = timezone.localtime(at, timezone=client.zone)
    offset = local.strftime("%z")
    return f"{local:%H:%M} ({offset[:3]}:{offset[3:]}), {local.day} {DUTCH_MONTHS[local.month - 1]}"


# --- Services ---------------------------------------------------------------------------------


def test_a_page_has_one_code_and_its_versions_are_numbered(world):
    incident = incident_of(world.alpha)
    with tenancy.tenant_context(world.alpha):
        page = qa.qa_page_for(client=world.alpha, incident=incident)
        assert qa.qa_page_for(client=world.alpha, incident=incident).pk == page.pk
        assert re.fullmatch(r"[A-Za-z0-9_-]{8}", page.code)
    tenancy.reset_to_public()
    first = draft(world.alpha, incident, world.staff_a)
    second = draft(world.alpha, incident, world.staff_a, title="Tweede")
    assert (first.number, second.number) == (1, 2)
    assert first.published_at is None and first.created_by == world.staff_a.email
    assert first.entries == ENTRIES


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"entries": []}, "entries"),
        ({"entries": [{"q": "q", "a": "a"}] * 51}, "entries"),
        ({"entries": [{"q": "q" * 2001, "a": "a"}]}, "q_0"),
        ({"entries": [{"q": "q", "a": ""}]}, "a_0"),
        ({"entries": [{"q": "q", "a": "a" * 5001}]}, "a_0"),
        ({"entries": ["not a pair"]}, "entries"),
        ({"language": "xx"}, "language"),
    ],
)
def test_a_draft_is_checked(world, change, field):
    incident = incident_of(world.alpha)
    arguments = {"title": "Titel", "intro": "", "entries": ENTRIES, "language": "nl", **change}
    with tenancy.tenant_context(world.alpha):
        page = qa.qa_page_for(client=world.alpha, incident=incident)
        with pytest.raises(IncidentError) as refused:
            qa.qa_draft_save(client=world.alpha, page=page, acting_user=world.staff_a, **arguments)
        assert refused.value.field == field
        assert not page.versions.exists()


def test_only_the_agency_people_of_the_brand_write(world, django_capture_on_commit_callbacks):
    incident = incident_of(world.alpha)
    version = draft(world.alpha, incident, world.staff_a)
    with tenancy.tenant_context(world.alpha):
        page = QAPage.objects.get(incident=incident)
        for person in (world.viewer_a, world.staff_b, world.outsider, None):
            with pytest.raises(PermissionDeniedError):
                qa.qa_draft_save(
                    client=world.alpha,
                    page=page,
                    acting_user=person,
                    title="t",
                    intro="",
                    entries=ENTRIES,
                    language="nl",
                )
            with pytest.raises(PermissionDeniedError):
                qa.qa_publish(client=world.alpha, version=version, acting_user=person)
        assert page.versions.count() == 1 and QAPage.objects.get().published is None
    tenancy.reset_to_public()
    # Not in the brand's schema: refused before anything is read.
    with pytest.raises(Exception, match="schema"):
        qa.qa_page_for(client=world.alpha, incident=incident)


def test_publishing_puts_it_on_the_timeline_and_the_link_appears(
    world, django_capture_on_commit_callbacks, settings
):
    settings.PUBLIC_PORT = ""
    incident = incident_of(world.alpha)
    with tenancy.tenant_context(world.alpha):
        assert qa.qa_link_for_incident(client=world.alpha, incident=incident) is None
    tenancy.reset_to_public()
    first = draft(world.alpha, incident, world.staff_a)
    with tenancy.tenant_context(world.alpha):
        # A draft alone gives no link: it would lead to "not found".
        assert qa.qa_link_for_incident(client=world.alpha, incident=incident) is None
    tenancy.reset_to_public()
    published = publish(world.alpha, first, world.staff_a, django_capture_on_commit_callbacks)
    assert published.published_at is not None
    with tenancy.tenant_context(world.alpha):
        page = QAPage.objects.get(incident=incident)
        assert page.published_id == first.pk
        link = qa.qa_link_for_incident(client=world.alpha, incident=incident)
        assert link == f"http://alpha.agency.localhost/qa/{page.code}/"
        settings.SECURE_SSL_REDIRECT, settings.PUBLIC_PORT = True, "8443"
        link = qa.qa_link_for_incident(client=world.alpha, incident=incident)
        assert link == f"https://alpha.agency.localhost:8443/qa/{page.code}/"
        event = IncidentEvent.objects.filter(incident=incident, kind="note").get()
        assert event.note == "Q&A page v1 published" and event.actor == world.staff_a.email
    tenancy.reset_to_public()
    audit = AuditEvent.objects.filter(verb="qa.published").get()
    assert audit.client_slug == "alpha" and audit.detail["version"] == 1
    # Publishing it again changes nothing; an older draft is refused once a newer one is out.
    older = draft(world.alpha, incident, world.staff_a, title="Oud")
    newer = draft(world.alpha, incident, world.staff_a, title="Nieuw")
    publish(world.alpha, first, world.staff_a, django_capture_on_commit_callbacks)
    publish(world.alpha, newer, world.staff_a, django_capture_on_commit_callbacks)
    with tenancy.tenant_context(world.alpha):
        with pytest.raises(IncidentError, match="newer"):
            qa.qa_publish(client=world.alpha, version=older, acting_user=world.staff_a)
        with pytest.raises(IncidentError, match="published before"):
            qa.qa_publish(client=world.alpha, version=first, acting_user=world.staff_a)
        assert QAPage.objects.get(incident=incident).published_id == newer.pk
        assert IncidentEvent.objects.filter(incident=incident, kind="note").count() == 2


# --- The public page -------------------------------------------------------------------------


def test_the_public_page_shows_only_the_published_version(
    world, django_capture_on_commit_callbacks
):
    incident = incident_of(world.alpha)
    first = draft(world.alpha, incident, world.staff_a, title="De eerste versie")
    code = code_of(world.alpha, incident)
    visitor = anonymous(world, world.alpha)
    # A draft is invisible: nothing is published yet.
    answer = visitor.get(f"/qa/{code}/")
    assert answer.status_code == 404
    assert "De eerste versie" not in answer.content.decode()
    publish(world.alpha, first, world.staff_a, django_capture_on_commit_callbacks)
    draft(world.alpha, incident, world.staff_a, title="Een concept dat niemand ziet")
    answer = visitor.get(f"/qa/{code}/")
    html = answer.content.decode()
    assert answer.status_code == 200
    assert '<html lang="nl">' in html and answer["Content-Language"] == "nl"
    assert "<h1>De eerste versie</h1>" in html
    assert "Is de taart veilig?" in html and "ook zonder bon." in html
    assert "We zoeken het uit." in html
    assert "Een concept dat niemand ziet" not in html
    with tenancy.tenant_context(world.alpha):
        at = QAVersion.objects.get(pk=first.pk).published_at
    assert f"Bijgewerkt om {updated_at(world.alpha, at)}" in html
    assert "Eerdere versies" not in html  # the first publication has none
    # A minimal page: no log-in chrome, no navigation, no script.
    assert "<nav" not in html and "<script" not in html and "Log out" not in html
    assert "Alpha Bakery" in html


def test_a_new_publication_is_served_at_once_with_the_earlier_ones_times(
    world, django_capture_on_commit_callbacks
):
    incident = incident_of(world.alpha)
    first = draft(world.alpha, incident, world.staff_a, title="Versie een")
    publish(world.alpha, first, world.staff_a, django_capture_on_commit_callbacks)
    code = code_of(world.alpha, incident)
    visitor = anonymous(world, world.alpha)
    before = visitor.get(f"/qa/{code}/")
    assert "Versie een" in before.content.decode()
    assert "Versie een" in visitor.get(f"/qa/{code}/").content.decode()  # (from the cache)
    second = draft(world.alpha, incident, world.staff_a, title="Second version", language="en")
    publish(world.alpha, second, world.staff_a, django_capture_on_commit_callbacks)
    after = visitor.get(f"/qa/{code}/")
    html = after.content.decode()
    assert "Second version" in html and "Versie een" not in html
    assert after["ETag"] != before["ETag"]
    # The version's language, not the brand's: English words, the English month.
    assert '<html lang="en">' in html and "Updated at " in html
    with tenancy.tenant_context(world.alpha):
        at = QAVersion.objects.get(pk=first.pk).published_at
    assert at is not None
    local = timezone.localtime(at, timezone=world.alpha.zone)
    assert "Earlier versions:" in html
    assert f"{local:%H:%M}" in html.split("Earlier versions:")[1]
    assert local.strftime("%B") in html.split("Earlier versions:")[1]


def test_no_log_in_no_cookie_no_vary_and_a_cdn_may_keep_it(
    world, django_capture_on_commit_callbacks
):
    incident = incident_of(world.alpha)
    version = publish(
        world.alpha,
        draft(world.alpha, incident, world.staff_a),
        world.staff_a,
        django_capture_on_commit_callbacks,
    )
    code = code_of(world.alpha, incident)
    answer = anonymous(world, world.alpha).get(f"/qa/{code}/")
    assert answer.status_code == 200  # no redirect to the log-in
    assert answer["Cache-Control"] == "public, max-age=60, stale-while-revalidate=300"
    assert answer.get("Vary") is None and not answer.cookies
    assert answer["ETag"].startswith('"qa-') and answer["Last-Modified"].endswith(" GMT")
    # A signed-in person (here the brand's staff) gets the very same bytes and headers.
    staff = signed_in(world, world.staff_a, world.alpha).get(f"/qa/{code}/")
    assert staff.content == answer.content and staff.get("Vary") is None
    assert world.staff_a.email not in staff.content.decode()
    # Only /qa/ is public: the editor and the other brand pages still want a log-in.
    editor = anonymous(world, world.alpha).get(f"/incidents/{incident.pk}/qa/")
    assert editor.status_code == 302 and "/accounts/login/" in editor["Location"]
    assert version.number == 1


def test_an_unchanged_page_answers_304(world, django_capture_on_commit_callbacks):
    incident = incident_of(world.alpha)
    publish(
        world.alpha,
        draft(world.alpha, incident, world.staff_a),
        world.staff_a,
        django_capture_on_commit_callbacks,
    )
    code = code_of(world.alpha, incident)
    visitor = anonymous(world, world.alpha)
    first = visitor.get(f"/qa/{code}/")
    again = visitor.get(f"/qa/{code}/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == first["ETag"] and again["Cache-Control"] == first["Cache-Control"]
    since = visitor.get(f"/qa/{code}/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304
    assert visitor.get(f"/qa/{code}/", HTTP_IF_NONE_MATCH='"qa-other"').status_code == 200
    assert visitor.head(f"/qa/{code}/").status_code == 200
    assert visitor.post(f"/qa/{code}/").status_code in (403, 405)


def test_another_brands_code_and_an_unknown_code_are_not_found(
    world, django_capture_on_commit_callbacks
):
    incident = incident_of(world.alpha)
    publish(
        world.alpha,
        draft(world.alpha, incident, world.staff_a, title="Alleen bij Alpha"),
        world.staff_a,
        django_capture_on_commit_callbacks,
    )
    code = code_of(world.alpha, incident)
    assert anonymous(world, world.alpha).get(f"/qa/{code}/").status_code == 200
    elsewhere = anonymous(world, world.bravo).get(f"/qa/{code}/")
    assert elsewhere.status_code == 404 and "Alleen bij Alpha" not in elsewhere.content.decode()
    # On the portal there is no Q&A page at all.
    assert HttpClient(HTTP_HOST=world.host(None)).get(f"/qa/{code}/").status_code == 404
    assert anonymous(world, world.alpha).get("/qa/nosuchco/").status_code == 404


CACHED_HIT_QUERIES = 0  # the host's brand is remembered by the tenant middleware, the page by Redis


def test_a_cached_hit_reads_no_database(world, django_capture_on_commit_callbacks):
    incident = incident_of(world.alpha)
    publish(
        world.alpha,
        draft(world.alpha, incident, world.staff_a),
        world.staff_a,
        django_capture_on_commit_callbacks,
    )
    code = code_of(world.alpha, incident)
    visitor = anonymous(world, world.alpha)
    with CaptureQueriesContext(connection) as miss:
        visitor.get(f"/qa/{code}/")
    assert len(miss) >= 2  # the first request renders: the host's brand, the page, its versions
    for browser in (visitor, signed_in(world, world.staff_a, world.alpha)):
        with CaptureQueriesContext(connection) as hit:
            assert browser.get(f"/qa/{code}/").status_code == 200
        assert len(hit) == CACHED_HIT_QUERIES, [q["sql"] for q in hit]
    # Without its cache entry the page is read again (so the figure above is the cache's).
    qa.qa_cache_forget(schema_name="brand_alpha", code=code)
    with CaptureQueriesContext(connection) as again:
        visitor.get(f"/qa/{code}/")
    reads = [q["sql"] for q in again if not q["sql"].startswith("SET search_path")]
    assert len(reads) == 2, reads  # the page with its published version, the earlier ones


# --- The editor ------------------------------------------------------------------------------


def form_data(**change: str) -> dict[str, str]:
    data = {
        "rows": "10",
        "title": "Wat er gebeurde",
        "intro": "Kort.",
        "language": "nl",
        "q_0": "Is de taart veilig?",
        "a_0": "Ja.",
        "q_3": "Waar kan ik terecht?",
        "a_3": "In elke winkel.",
    }
    data.update(change)
    return data


def test_staff_save_a_draft_publish_it_and_see_the_versions(
    world, django_capture_on_commit_callbacks, settings
):
    settings.PUBLIC_PORT = ""
    incident = incident_of(world.alpha)
    browser = signed_in(world, world.staff_a, world.alpha)
    url = f"/incidents/{incident.pk}/qa/"
    html = browser.get(url).content.decode()
    assert "No Q&A page yet" in html and 'name="q_9"' in html and 'name="q_10"' not in html
    saved = browser.post(f"{url}draft/", form_data())
    assert saved.status_code == 302 and saved["Location"] == url
    with tenancy.tenant_context(world.alpha):
        version = QAVersion.objects.get(page__incident=incident)
        assert version.entries == [
            {"q": "Is de taart veilig?", "a": "Ja."},
            {"q": "Waar kan ik terecht?", "a": "In elke winkel."},
        ]
        code = version.page.code
    tenancy.reset_to_public()
    html = browser.get(url).content.decode()
    assert "Draft 1 saved." in html
    assert f'value="http://alpha.agency.localhost/qa/{code}/"' in html
    assert f'action="/incidents/{incident.pk}/qa/versions/1/publish/"' in html
    assert 'value="Wat er gebeurde"' in html  # the form starts from the latest version
    assert anonymous(world, world.alpha).get(f"/qa/{code}/").status_code == 404
    # (The test's transaction never commits: its on-commit work, the cache's, is run here.)
    with django_capture_on_commit_callbacks(execute=True):
        published = browser.post(f"{url}versions/1/publish/")
    assert published.status_code == 302
    html = browser.get(url).content.decode()
    assert "Version 1 is public." in html and "versions/1/publish/" not in html
    public = anonymous(world, world.alpha).get(f"/qa/{code}/")
    assert public.status_code == 200 and "Waar kan ik terecht?" in public.content.decode()
    # Save and publish in one go.
    browser.post(f"{url}draft/", form_data(title="Tweede versie", publish="1"))
    with tenancy.tenant_context(world.alpha):
        assert QAPage.objects.get(incident=incident).published.title == "Tweede versie"  # type: ignore[union-attr]


def test_the_form_says_what_is_wrong(world):
    incident = incident_of(world.alpha)
    browser = signed_in(world, world.staff_a, world.alpha)
    url = f"/incidents/{incident.pk}/qa/"
    for data, says in (
        (form_data(a_0=""), "Give the answer to this question."),
        (form_data(q_0="", a_0="", q_3="", a_3=""), "Give at least one question"),
        (form_data(title=""), "This field is required."),
        (form_data(language="xx"), "Select a valid choice."),
    ):
        answer = browser.post(f"{url}draft/", data)
        assert answer.status_code == 400 and says in answer.content.decode()
    with tenancy.tenant_context(world.alpha):
        assert not QAVersion.objects.filter(page__incident=incident).exists()


def test_a_client_viewer_reads_the_editor_without_controls_and_cannot_post(world):
    incident = incident_of(world.alpha)
    draft(world.alpha, incident, world.staff_a, title="Voor de klant")
    viewer = signed_in(world, world.viewer_a, world.alpha)
    url = f"/incidents/{incident.pk}/qa/"
    html = viewer.get(url).content.decode()
    assert "Voor de klant" in html and "Version 1" in html
    assert "<form" not in html.split('<main id="main">')[1]
    assert viewer.post(f"{url}draft/", form_data()).status_code == 403
    assert viewer.post(f"{url}versions/1/publish/").status_code == 403
    with tenancy.tenant_context(world.alpha):
        assert QAVersion.objects.filter(page__incident=incident).count() == 1
        assert QAPage.objects.get(incident=incident).published is None


def test_a_forged_post_is_refused(world):
    """A page elsewhere that makes a signed-in person's browser post: no CSRF token, 403."""
    incident = incident_of(world.alpha)
    browser = HttpClient(HTTP_HOST=world.host(world.alpha), enforce_csrf_checks=True)
    browser.force_login(world.staff_a)
    url = f"/incidents/{incident.pk}/qa/"
    assert browser.post(f"{url}draft/", form_data(publish="1")).status_code == 403
    with tenancy.tenant_context(world.alpha):
        assert not QAPage.objects.filter(incident=incident).exists()


def test_another_brand_sees_nothing_of_it(world):
    incident = incident_of(world.alpha)
    draft(world.alpha, incident, world.staff_a, title="Geheim van Alpha")
    # Bravo's staff on alpha's host: no access at all.
    assert (
        signed_in(world, world.staff_b, world.alpha)
        .get(f"/incidents/{incident.pk}/qa/")
        .status_code
        == 403
    )
    # Alpha's incident id on bravo's host, by someone who may see both: no such incident there.
    admin = signed_in(world, world.admin, world.bravo)
    with tenancy.tenant_context(world.bravo):
        taken = Incident.objects.filter(pk=incident.pk).exists()
    tenancy.reset_to_public()
    if not taken:
        assert admin.get(f"/incidents/{incident.pk}/qa/").status_code == 404
        assert admin.post(f"/incidents/{incident.pk}/qa/draft/", form_data()).status_code == 404
    other = incident_of(world.bravo)
    html = admin.get(f"/incidents/{other.pk}/qa/").content.decode()
    assert "Geheim van Alpha" not in html


# The schema's search path, session, user, access; the incident, its page, its versions.
EDITOR_QUERIES = 7


def test_the_editor_query_count_does_not_grow_with_versions(world):
    incident = incident_of(world.alpha)
    browser = signed_in(world, world.staff_a, world.alpha)
    url = f"/incidents/{incident.pk}/qa/"
    draft(world.alpha, incident, world.staff_a)
    captured_last: list[dict[str, str]] = []

    def count() -> int:
        browser.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(url).status_code == 200
        captured_last[:] = list(captured)
        return len(captured)

    one = count()
    for n in range(5):
        draft(world.alpha, incident, world.staff_a, title=f"Versie {n}")
    assert count() == one == EDITOR_QUERIES, [q["sql"][:60] for q in captured_last]


SENDABLE = st.characters(exclude_categories=["Cs"])
TEXT = st.text(SENDABLE, max_size=300)


@given(
    title=st.text(SENDABLE, max_size=320),
    language=TEXT,
    rows=TEXT,
    question=st.text(SENDABLE, max_size=2100),
    answer=TEXT,
    publish=TEXT,
    number=st.integers(min_value=0, max_value=5),
    body=st.binary(max_size=300),
)
@examples(
    deadline=None,
    database=None,
    max_examples=30,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_whatever_arrives_the_editor_answers_without_a_server_error(
    world, title, language, rows, question, answer, publish, number, body
):
    incident = incident_of(world.alpha)
    browser = signed_in(world, world.staff_a, world.alpha)
    url = f"/incidents/{incident.pk}/qa/"
    data = {
        "title": title,
        "language": language,
        "rows": rows,
        "q_0": question,
        "a_0": answer,
        "q_49": answer,
        "a_49": question,
        "publish": publish,
    }
    answers = [
        browser.post(f"{url}draft/", data),
        browser.post(f"{url}draft/", {**data, "language": "sv"}),
        browser.post(f"{url}draft/", body, content_type="application/x-www-form-urlencoded"),
        browser.post(f"{url}versions/{number}/publish/"),
        browser.post(f"{url}versions/{number}/publish/", body, content_type="x/y"),
    ]
    for reply in answers:
        assert reply.status_code in (200, 302, 400, 404), reply.status_code
    assert browser.get(url).status_code == 200
    with tenancy.tenant_context(world.alpha):
        page = QAPage.objects.filter(incident=incident).select_related("published").first()
        code = page.code if page is not None else "nosuchco"
        published = page is not None and page.published is not None
    tenancy.reset_to_public()
    # The public page still reads (or is not found while nothing is published).
    assert anonymous(world, world.alpha).get(f"/qa/{code}/").status_code == (
        200 if published else 404
    )
