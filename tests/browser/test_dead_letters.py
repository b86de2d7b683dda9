"""Dead letters and imports in Chromium: staff correct a dead letter's payload and replay it;
staff upload an export and watch its progress reach done without reloading; a viewer reads
both on a phone with no control that writes; accessibility (axe) on every page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agency.models import User
from clients import tenancy
from monitoring.models import DeadLetter, ImportJob, Mention
from monitoring.services import imports
from monitoring.services.imports import import_job_run
from tests.browser.conftest import PHONE, fits, log_in, serious, shot
from tests.monitoring.factories import make_source, mention
from tests.monitoring.test_dead_letter_pages import NAIVE, changed, letters_of

pytestmark = [pytest.mark.django_db, pytest.mark.browser]
DATA = Path(__file__).resolve().parents[1] / "monitoring" / "data"
HOST = "alpha.agency.localhost"


@pytest.fixture(autouse=True)
def _in_english(db):  # type: ignore[no-untyped-def]
    """Everyone chose English (alpha speaks Dutch otherwise): the tests read the English text."""
    User.objects.update(language="en")


@pytest.fixture(autouse=True)
def _import_root(settings, tmp_path):
    settings.IMPORT_ROOT = tmp_path


def test_staff_replay_a_dead_letter_with_a_corrected_payload(world, site, chromium):
    (letter,) = letters_of(
        world.alpha, mention(21, posted_at=NAIVE, text="Bezorging <b>weer</b> te laat")
    )
    letters_of(world.alpha, {"text": "an item with no id at all"})
    page = log_in(chromium, site, world.staff_a.email)
    page.goto(site.url(HOST, "/dead-letters/"))
    assert "posted_at" in page.inner_text("table.letters")
    shot(page, "dead-letters")
    assert serious(page) == []
    page.click(f"a[href='/dead-letters/{letter.pk}/']")
    page.wait_for_selector("textarea[name=payload]")
    assert "<b>weer</b>" in page.inner_text("pre.payload")  # shown as text, not markup
    shot(page, "dead-letter")
    assert serious(page) == []
    # not JSON: the field says so, and the letter stays open
    page.fill("textarea[name=payload]", '{"external_id": "m21",')
    page.click("button:has-text('Replay')")
    page.wait_for_selector("text=This is not valid JSON")
    assert serious(page) == []
    fixed = changed(letter, posted_at="2026-03-03T18:00:00+01:00")
    page.fill("textarea[name=payload]", json.dumps(fixed, indent=2))
    page.click("button:has-text('Replay')")
    page.wait_for_selector("text=Replayed: stored as a mention.")
    assert page.locator("textarea[name=payload]").count() == 0
    assert "Replayed" in page.inner_text("h1")
    with tenancy.tenant_context(world.alpha):
        assert DeadLetter.objects.get(pk=letter.pk).status == "replayed"
        assert Mention.objects.filter(external_id="m21").count() == 1
    tenancy.reset_to_public()
    page.goto(site.url(HOST, "/dead-letters/?status=replayed"))
    assert page.locator("table.letters tbody tr").count() == 1
    page.close()


def test_staff_upload_an_export_and_see_it_reach_done_without_reloading(
    world, site, chromium, monkeypatch
):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)
    source = make_source(world.alpha, name="Brandwatch history")
    page = log_in(chromium, site, world.staff_a.email)
    # Polls reach the server only while this thread waits on the page: the page's requests and
    # the import below share the test's one database connection, one at a time.
    polls: list[str] = []

    def held(route: Any) -> None:
        polls.append(route.request.url)
        route.continue_()

    page.route("**/imports/*/progress/", held)
    page.goto(site.url(HOST, "/imports/"))
    assert serious(page) == []
    page.set_input_files("input[type=file]", str(DATA / "brandwatch.csv"))
    page.select_option("select[name=source]", str(source.pk))
    page.fill("input[name=timezone]", "UTC")
    page.click("button:has-text('Upload and import')")
    page.wait_for_selector("text=brandwatch.csv is queued: 4 rows.")
    with tenancy.tenant_context(world.alpha):
        job = ImportJob.objects.get()
    tenancy.reset_to_public()
    row = f"#import-{job.pk}"
    assert "0 of 4 rows" in page.inner_text(row)
    page.evaluate("window.stormdeskMarker = 'not reloaded'")
    shot(page, "imports-queued")

    def watch(current: ImportJob) -> None:
        page.wait_for_selector(f"{row} .progress-text:has-text('{current.next_row} of 4 rows')")

    # What the worker runs (no worker takes the test's uncommitted job), chunk by chunk.
    with tenancy.tenant_context(world.alpha):
        assert import_job_run(client=world.alpha, import_id=job.pk, progress=watch) == "done"
    tenancy.reset_to_public()
    page.wait_for_selector(f"{row} .import-status:has-text('Done')")
    assert page.evaluate("window.stormdeskMarker") == "not reloaded"
    assert page.get_attribute(f"#progress-{job.pk}", "value") == "100.0"
    assert "1 dead letter" in page.inner_text(row)
    shot(page, "imports-done")
    assert serious(page) == []
    seen = len(polls)
    page.wait_for_timeout(2500)
    assert len(polls) == seen  # done: the row asks no more
    page.click(f"{row} a:has-text('1 dead letter')")
    page.wait_for_selector("text=Those of the import of brandwatch.csv.")
    assert page.locator("table.letters tbody tr").count() == 1
    page.close()


def test_a_viewer_reads_dead_letters_and_imports_on_a_phone(world, site, chromium):
    (letter,) = letters_of(
        world.alpha,
        mention(
            22,
            posted_at=NAIVE,
            text="Een heel lange tekst zonder spaties " + "x" * 300,
            url="https://example.test/" + "a" * 200,
        ),
    )
    source = make_source(world.alpha, name="Meltwater export")
    with tenancy.tenant_context(world.alpha):
        from monitoring.services.imports import import_job_create

        job = import_job_create(
            client=world.alpha,
            source=source,
            filename="meltwater-export-" + "long-name-" * 6 + ".csv",
            chunks=[(DATA / "meltwater.csv").read_bytes()],
            acting_user=None,
            run_async=False,
        )
        import_job_run(client=world.alpha, import_id=job.pk)
    tenancy.reset_to_public()
    page = log_in(chromium, site, world.viewer_a.email, viewport=PHONE)
    for path, name in (
        ("/dead-letters/", "dead-letters-phone-viewer"),
        (f"/dead-letters/{letter.pk}/", "dead-letter-phone-viewer"),
        ("/imports/", "imports-phone-viewer"),
    ):
        page.goto(site.url(HOST, path))
        assert page.locator("form[method=post] button").count() == 1, path  # log out only
        assert page.locator("textarea, input[type=file]").count() == 0, path
        assert fits(page, PHONE["width"]), path
        shot(page, name)
        assert serious(page) == [], path
    page.close()


def test_staff_pages_fit_a_phone(world, site, chromium):
    (letter,) = letters_of(world.alpha, mention(23, posted_at=NAIVE, text="y" * 400))
    make_source(world.alpha)
    page = log_in(chromium, site, world.staff_a.email, viewport=PHONE)
    for path, name in (
        (f"/dead-letters/{letter.pk}/", "dead-letter-phone-staff"),
        ("/imports/", "imports-phone-staff"),
    ):
        page.goto(site.url(HOST, path))
        assert fits(page, PHONE["width"]), path
        shot(page, name)
        assert serious(page) == [], path
    page.close()
