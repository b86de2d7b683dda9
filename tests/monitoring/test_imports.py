"""Imports of Brandwatch-, Meltwater- and Talkwalker-style exports, by command and by API."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from clients import tenancy
from monitoring.models import DeadLetter, ImportJob, Mention
from monitoring.services import imports
from monitoring.services.imports import import_job_create, import_job_run
from tests.conftest import api_client
from tests.monitoring.factories import make_source

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _import_root(settings, tmp_path):
    settings.IMPORT_ROOT = tmp_path


def test_brandwatch_csv_by_command_with_progress(world, capsys):
    source = make_source(world.alpha)
    call_command("import_mentions", str(DATA / "brandwatch.csv"), brand="alpha", source=source.pk)
    out, err = capsys.readouterr()
    assert "3 accepted, 0 duplicates, 1 rejected of 4 rows" in out
    assert "4/4" in err and "rows" in err  # the progress bar
    with tenancy.tenant_context(world.alpha):
        tweet = Mention.objects.get(external_id="1902")
        assert tweet.author.handle == "nieuwsuur" and tweet.author.followers == 612_304
        assert (tweet.likes, tweet.shares, tweet.thread_id, tweet.language) == (
            1204,
            380,
            "1897",
            "nl",
        )
        assert tweet.posted_at.isoformat() == "2026-03-03T18:04:40+00:00"
        assert Mention.objects.get(external_id="6302118").platform == "news"
        letter = DeadLetter.objects.get()
        assert letter.errors[0]["field"] == "posted_at (column 'Date')"
        assert letter.batch_index == 3 and "broken date row" in letter.raw_body
    # the same file again: nothing new
    call_command("import_mentions", str(DATA / "brandwatch.csv"), brand="alpha", source=source.pk)
    assert "0 accepted, 3 duplicates, 1 rejected" in capsys.readouterr().out


def test_meltwater_csv_with_local_times(world):
    source = make_source(world.alpha, platform="other", kind="feed")
    call_command(
        "import_mentions",
        str(DATA / "meltwater.csv"),
        brand="alpha",
        source=source.pk,
        timezone="Europe/Amsterdam",
    )
    with tenancy.tenant_context(world.alpha):
        ig = Mention.objects.get(platform="instagram")
        assert ig.external_id == "https://www.instagram.com/p/Cx1"  # no id column: the URL
        assert ig.posted_at.isoformat() == "2026-03-03T17:02:00+00:00"  # 18:02 in Amsterdam
        assert ig.author.handle == "koffieliefhebber" and ig.author.followers == 2300
        assert ig.text == "Koffie was koud en de app crasht"
        assert Mention.objects.get(platform="facebook").comments == 1


def test_talkwalker_jsonl_keeps_unreadable_lines(world):
    source = make_source(world.alpha, platform="other", kind="feed")
    call_command("import_mentions", str(DATA / "talkwalker.jsonl"), brand="alpha", source=source.pk)
    with tenancy.tenant_context(world.alpha):
        assert sorted(Mention.objects.values_list("platform", flat=True)) == ["other", "tiktok"]
        assert Mention.objects.get(platform="tiktok").author.followers == 48000
        letter = DeadLetter.objects.get()
        assert letter.errors[0]["field"] == "line" and "line 2" in letter.errors[0]["message"]
        assert letter.raw_body.startswith("this line is not JSON")


def test_upload_over_the_api_shows_progress(world, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)
    source = make_source(world.alpha)
    api = api_client(world, world.staff_a, world.alpha)
    with (
        (DATA / "brandwatch.csv").open("rb") as handle,
        django_capture_on_commit_callbacks() as queued,
    ):
        response = api.post(
            "/api/v1/imports/", {"file": handle, "source": source.pk}, format="multipart"
        )
    assert response.status_code == 202, response.content
    job = response.json()
    assert (job["status"], job["total_rows"], job["percent"]) == ("queued", 4, 0.0)
    assert len(queued) == 1  # the worker is asked after commit
    seen = []
    with tenancy.tenant_context(world.alpha):
        import_job_run(
            client=world.alpha, import_id=job["id"], progress=lambda j: seen.append(j.next_row)
        )
    assert seen == [2, 4]
    done = api.get(f"/api/v1/imports/{job['id']}/").json()
    assert (done["status"], done["percent"], done["accepted"], done["rejected"]) == (
        "done",
        100.0,
        3,
        1,
    )
    assert (
        api_client(world, world.admin, world.bravo).get(f"/api/v1/imports/{job['id']}/").status_code
        == 404
    )
    assert (
        api_client(world, world.viewer_a, world.alpha)
        .post("/api/v1/imports/", {"source": source.pk}, format="multipart")
        .status_code
        == 403
    )


def test_upload_errors_name_the_field(world):
    api = api_client(world, world.staff_a, world.alpha)
    bad = api.post("/api/v1/imports/", {"source": 999}, format="multipart")
    assert bad.status_code == 400 and "file" in bad.json()["error"]["fields"]
    source = make_source(world.alpha)
    with (DATA / "meltwater.csv").open("rb") as handle:
        zone = api.post(
            "/api/v1/imports/",
            {"file": handle, "source": source.pk, "timezone": "Mars"},
            format="multipart",
        )
    assert zone.status_code == 400 and "timezone" in zone.json()["error"]["fields"]
    # The same rules as the page's upload (one service): a file of another kind is refused.
    png = api.post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("logo.png", b"\x89PNG\r\n"), "source": source.pk},
        format="multipart",
    )
    assert png.status_code == 400
    assert "logo.png is not a CSV or JSON export" in png.json()["error"]["fields"]["file"][0]


def test_a_rerun_resumes_after_the_last_committed_chunk(world, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 1)
    source = make_source(world.alpha)
    with tenancy.tenant_context(world.alpha):
        job = import_job_create(
            client=world.alpha,
            source=source,
            filename="bw.csv",
            chunks=[(DATA / "brandwatch.csv").read_bytes()],
            acting_user=None,
            run_async=False,
        )
        calls = 0

        def crash_after_two(current):
            nonlocal calls
            calls += 1
            if calls == 2:
                raise KeyboardInterrupt  # the worker dies here, after two committed chunks

        with pytest.raises(KeyboardInterrupt):
            import_job_run(client=world.alpha, import_id=job.pk, progress=crash_after_two)
        job.refresh_from_db()
        assert (job.next_row, Mention.objects.count()) == (2, 2)
        assert import_job_run(client=world.alpha, import_id=job.pk) == "done"
        job.refresh_from_db()
        assert (job.next_row, job.accepted, job.duplicates, job.rejected) == (4, 3, 0, 1)
        assert Mention.objects.count() == 3
        assert ImportJob.objects.get(pk=job.pk).status == "done"
