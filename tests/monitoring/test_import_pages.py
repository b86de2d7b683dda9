"""The imports page of a brand host: an upload through the API's service (stored under
IMPORT_ROOT, the worker asked through the real broker after commit), the jobs with their counts
and a progress row that htmx polls until the job is done; read-only for a client viewer, closed
to anyone not on the brand."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agency.models import User
from clients import tenancy
from monitoring.models import DeadLetter, ImportJob, Mention
from monitoring.services import imports
from monitoring.services.imports import import_job_create, import_job_run
from monitoring.services.ingestion import dead_letter_store
from monitoring.tasks import import_run
from tests.monitoring import broker
from tests.monitoring.factories import make_source

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"


@pytest.fixture(autouse=True)
def _in_english(db):  # type: ignore[no-untyped-def]
    """Everyone chose English (alpha speaks Dutch otherwise): the tests read the English text."""
    User.objects.update(language="en")


@pytest.fixture(autouse=True)
def _import_root(settings, tmp_path):
    settings.IMPORT_ROOT = tmp_path


def page(world, user, client) -> HttpClient:  # type: ignore[no-untyped-def]
    browser = HttpClient(HTTP_HOST=world.host(client))
    browser.force_login(user)
    return browser


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def jobs(client) -> list[ImportJob]:  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        found = list(ImportJob.objects.order_by("id"))
    tenancy.reset_to_public()
    return found


def a_job(client, source, name: str = "brandwatch.csv") -> ImportJob:  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        job = import_job_create(
            client=client,
            source=source,
            filename=name,
            chunks=[(DATA / "brandwatch.csv").read_bytes()],
            acting_user=None,
            run_async=False,
        )
    tenancy.reset_to_public()
    return job


def test_staff_upload_a_csv_which_the_worker_imports(
    world, tmp_path, django_capture_on_commit_callbacks
):
    source = make_source(world.alpha, name="Brandwatch history")
    with tenancy.tenant_context(world.alpha):
        before = dead_letter_store(source=source, channel="import", errors=[("line", "earlier")])
    tenancy.reset_to_public()
    browser = page(world, world.staff_a, world.alpha)
    form = browser.get("/imports/").content.decode()
    assert 'enctype="multipart/form-data"' in form and 'value="Europe/Amsterdam"' in form
    assert 'aria-current="page">Imports' in form
    with django_capture_on_commit_callbacks() as on_commit:
        response = browser.post(
            "/imports/",
            {
                "file": upload("brandwatch.csv", (DATA / "brandwatch.csv").read_bytes()),
                "source": source.pk,
                "timezone": "UTC",
            },
        )
    assert response.status_code == 302 and response["Location"] == "/imports/"
    (job,) = jobs(world.alpha)
    assert (job.status, job.total_rows, job.filename, job.timezone) == (
        "queued",
        4,
        "brandwatch.csv",
        "UTC",
    )
    assert Path(job.path).parent == tmp_path / "alpha" and Path(job.path).read_bytes().startswith(
        b"Query Id"
    )
    # the worker is asked after commit, through the real broker (taken off again: no worker here)
    assert len(on_commit) == 1
    _, sent = broker.sent_by(on_commit[0])
    assert [m["task"] for m in sent] == ["monitoring.tasks.import_run"]
    assert f"'import_id': {job.pk}" in sent[0]["kwargsrepr"]
    queued = browser.get("/imports/").content.decode()
    assert "brandwatch.csv is queued: 4 rows." in queued
    assert "Queued" in queued and "0 of 4 rows" in queued and 'hx-trigger="every 1s"' in queued
    # what the worker runs, called as it calls it
    assert import_run(schema_name=world.alpha.schema_name, import_id=job.pk) == "done"
    tenancy.reset_to_public()
    done = browser.get("/imports/").content.decode()
    assert "Done" in done and "4 of 4 rows (100.0 %)" in done and "hx-trigger" not in done
    assert '<td data-label="Stored">3</td>' in done and '<td data-label="Duplicates">0</td>' in done
    assert f'href="/dead-letters/?job={job.pk}">1 dead letter</a>' in done
    letters = browser.get("/dead-letters/", {"job": job.pk}).content.decode()
    assert (
        "posted_at (column &#x27;Date&#x27;)" in letters
        and "Those of the import of brandwatch.csv." in letters
    )
    assert f"/dead-letters/{before.pk}/" not in letters  # the source's earlier letter is not its
    with tenancy.tenant_context(world.alpha):
        assert Mention.objects.filter(source=source).count() == 3


def test_the_progress_row_polls_while_the_job_runs_and_stops_when_done(world, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)
    source = make_source(world.alpha)
    job = a_job(world.alpha, source)
    browser = page(world, world.staff_a, world.alpha)
    path = f"/imports/{job.pk}/progress/"
    queued = browser.get(path).content.decode()
    assert queued.startswith(f'<tr id="import-{job.pk}"')  # a row, to swap for the old one
    assert f'hx-get="{path}" hx-trigger="every 1s" hx-swap="outerHTML"' in queued
    assert 'value="0.0"' in queued and "0 of 4 rows (0.0 %)" in queued
    seen = []

    def look(_job: ImportJob) -> None:
        seen.append(browser.get(path).content.decode())

    with tenancy.tenant_context(world.alpha):
        import_job_run(client=world.alpha, import_id=job.pk, progress=look)
    running, last_chunk = seen
    assert "Running" in running and "2 of 4 rows (50.0 %)" in running
    assert 'value="50.0"' in running and 'hx-trigger="every 1s"' in running
    assert "4 of 4 rows (100.0 %)" in last_chunk  # still running until the job is closed
    done = browser.get(path).content.decode()
    assert "Done" in done and "4 of 4 rows (100.0 %)" in done and 'value="100.0"' in done
    assert "hx-get" not in done and "hx-trigger" not in done  # the polling stops here
    assert f'href="/dead-letters/?job={job.pk}">1 dead letter</a>' in done


def test_the_numbers_stay_machine_readable_in_the_brands_language(world, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 3)
    job = a_job(world.alpha, make_source(world.alpha))
    with tenancy.tenant_context(world.alpha):
        import_job_run(client=world.alpha, import_id=job.pk, progress=lambda j: None)
        ImportJob.objects.filter(pk=job.pk).update(status="running", next_row=3)
    tenancy.reset_to_public()
    User.objects.filter(pk=world.staff_a.pk).update(language="nl")
    html = (
        page(world, world.staff_a, world.alpha).get(f"/imports/{job.pk}/progress/").content.decode()
    )
    assert "(75,0 %)" in html  # the text in Dutch
    assert 'value="75.0"' in html  # the number as a <progress> reads it, not "75,0"


def test_uploads_that_cannot_be_imported_name_the_field(world, tmp_path, monkeypatch):
    source = make_source(world.alpha)
    browser = page(world, world.staff_a, world.alpha)
    csv = (DATA / "meltwater.csv").read_bytes()

    def refused(data: dict[str, object]) -> str:
        response = browser.post("/imports/", {"source": source.pk, "timezone": "UTC", **data})
        assert response.status_code == 400
        return response.content.decode()

    assert "This field is required." in refused({})
    assert "logo.png is not a CSV or JSON export" in refused({"file": upload("logo.png", PNG)})
    assert "The submitted file is empty." in refused({"file": upload("empty.csv", b"")})
    assert "export.json cannot be read as JSON" in refused(
        {"file": upload("export.json", b"{not json")}
    )
    assert "&#x27;Mars&#x27; is not an IANA time zone." in refused(
        {"file": upload("meltwater.csv", csv), "timezone": "Mars"}
    )
    assert "Select a valid choice." in refused({"file": upload("m.csv", csv), "source": 99_999})
    monkeypatch.setattr(imports, "MAX_IMPORT_BYTES", 1000)
    big = refused({"file": upload("big.csv", csv + b"x" * 1000)})
    assert "big.csv is larger than" in big
    assert jobs(world.alpha) == []
    # only what the service read and could not parse is kept (it says where): not a file of
    # the wrong kind, nor the part of one too big that was read before it was refused
    assert [p.name.split("-", 1)[1] for p in tmp_path.rglob("*.*")] == ["export.json"]


def test_a_viewer_follows_imports_without_controls_and_a_forged_upload_is_refused(world):
    source = make_source(world.alpha)
    job = a_job(world.alpha, source)
    browser = page(world, world.viewer_a, world.alpha)
    html = browser.get("/imports/").content.decode()
    assert "brandwatch.csv" in html and f'id="import-{job.pk}"' in html
    assert "<form" not in html.split("<main")[1] and 'type="file"' not in html
    assert browser.get(f"/imports/{job.pk}/progress/").status_code == 200
    forged = browser.post(
        "/imports/",
        {
            "file": upload("b.csv", (DATA / "brandwatch.csv").read_bytes()),
            "source": source.pk,
            "timezone": "UTC",
        },
    )
    assert forged.status_code == 403
    assert [j.pk for j in jobs(world.alpha)] == [job.pk]


def test_another_brands_imports_stay_out_of_reach(world):
    alpha = a_job(world.alpha, make_source(world.alpha), name="alpha-history.csv")
    bravo = a_job(world.bravo, make_source(world.bravo), name="bravo-history.csv")
    on_alpha = page(world, world.staff_a, world.alpha)
    html = on_alpha.get("/imports/").content.decode()
    assert "alpha-history.csv" in html and "bravo-history.csv" not in html
    on_bravo = page(world, world.staff_b, world.bravo)
    assert "alpha-history.csv" not in on_bravo.get("/imports/").content.decode()
    missing = max(alpha.pk, bravo.pk) + 1000
    assert on_bravo.get(f"/imports/{missing}/progress/").status_code == 404
    if alpha.pk != bravo.pk:  # (ids are per schema)
        assert on_bravo.get(f"/imports/{alpha.pk}/progress/").status_code == 404
    # an import the brand does not have lists no dead letter
    letters = on_alpha.get("/dead-letters/", {"job": missing}).content.decode()
    assert "No dead letters match." in letters
    staff_a = page(world, world.staff_a, world.bravo)
    assert staff_a.get("/imports/").status_code == 403
    assert staff_a.get(f"/imports/{bravo.pk}/progress/").status_code == 403
    outsider = page(world, world.outsider, world.alpha)
    assert outsider.get("/imports/").status_code == 403
    assert outsider.post("/imports/", {"source": 1}).status_code == 403
    assert [j.pk for j in jobs(world.bravo)] == [bravo.pk]


def test_the_pages_cost_a_fixed_number_of_queries(world):
    first = make_source(world.alpha)
    second = make_source(world.alpha, name="second")
    job = a_job(world.alpha, first)
    a_job(world.alpha, second)
    browser = page(world, world.staff_a, world.alpha)
    browser.get("/imports/")  # warm

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(path).status_code == 200
        return len(captured)

    listed = count("/imports/")
    progress = count(f"/imports/{job.pk}/progress/")
    for n in range(5):
        a_job(world.alpha, make_source(world.alpha, name=f"more {n}"))
    assert count("/imports/") == listed  # not one query per job or source
    assert (listed, progress) == (LIST_QUERIES, PROGRESS_QUERIES)


LIST_QUERIES = 7  # search path, session, user, access, sources, count, the page
PROGRESS_QUERIES = 5  # search path, session, user, access, the job with its source


BOUNDARY = "stormdesk-boundary"


def multipart(filename: str, content: bytes, fields: dict[str, str]) -> bytes:
    """A multipart body written by hand, so that the file's name may be anything at all."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    parts.append(head.encode("utf-8", "surrogatepass") + content + b"\r\n")
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


names = st.sampled_from(["a.csv", "a.json", "a.jsonl", "a.ndjson", "a.tsv", "a.png", "", "."])


# Any character a form can carry: lone surrogates cannot be sent as UTF-8 at all (the test
# client refuses to encode them); arbitrary bytes come through the raw `body` instead.
SENDABLE = st.characters(exclude_categories=["Cs"])


@given(
    content=st.binary(max_size=400),
    name=names | st.text(st.characters(exclude_categories=[]), max_size=30),
    source=st.text(SENDABLE, max_size=12),
    zone=st.text(SENDABLE, max_size=70),
    body=st.binary(max_size=300),
)
@example(  # one that is taken, so that the invariant is seen to hold both ways
    content=b"id,date\n1,2026-03-03T18:00:00Z\n", name="a.csv", source="0", zone="", body=b""
)
@settings(
    deadline=None,
    database=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_whatever_is_uploaded_the_page_answers_without_a_server_error(
    world, content, name, source, zone, body
):
    real = make_source(world.alpha)
    browser = page(world, world.staff_a, world.alpha)
    answers = [
        browser.post(
            "/imports/",
            multipart(name, content, {"source": str(real.pk), "timezone": "UTC"}),
            content_type=f"multipart/form-data; boundary={BOUNDARY}",
        ),
        browser.post(
            "/imports/", {"file": upload("a.csv", content), "source": source, "timezone": zone}
        ),
        browser.post("/imports/", body, content_type="multipart/form-data; boundary=xyz"),
        browser.post("/imports/", body, content_type="application/x-www-form-urlencoded"),
        browser.get("/imports/", {"page": source}),
        browser.get("/dead-letters/", {"job": source}),
    ]
    assert [a.status_code for a in answers if a.status_code >= 500] == []
    # a job exists for each upload that was taken (302) and for none that was refused
    taken = sum(a.status_code == 302 for a in answers)
    created = jobs(world.alpha)
    assert len(created) == taken
    if (name, source) == ("a.csv", "0"):
        assert taken == 1
    assert browser.get("/imports/").status_code == 200
    with tenancy.tenant_context(world.alpha):
        ImportJob.objects.all().delete()
        DeadLetter.objects.all().delete()
    tenancy.reset_to_public()
