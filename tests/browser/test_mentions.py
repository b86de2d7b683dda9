"""The mention stream and the waves history in Chromium: staff search and filter the stream and
follow its older link; a viewer reads the stream, the history and a wave on a phone (no
sideways scroll); accessibility at both sizes."""

from __future__ import annotations

import pytest

from tests.browser.conftest import SHOTS, log_in, serious, shot
from tests.monitoring.factories import mention
from tests.monitoring.test_alert_pages import with_wave
from tests.monitoring.test_mention_pages import alpha_stream, stream
from tests.monitoring.test_wave_pages import make_wave

pytestmark = [pytest.mark.django_db, pytest.mark.browser]

HOST = "alpha.agency.localhost"
SMALL_PHONE = {"width": 375, "height": 812}


def texts(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator("ol.stream li.mention p.text").all_inner_texts()


def test_staff_search_filter_and_page_through_the_stream(world, site, chromium):
    alpha_stream(world)
    # older questions, enough for a second page
    stream(
        world.alpha,
        [
            mention(
                100 - n,
                text=f"Vraag over openingstijden {n}",
                posted_at=f"2026-02-01T{n % 24:02d}:{n % 60:02d}:00+00:00",
            )
            for n in range(52)
        ],
        name="Questions",
    )
    page = log_in(chromium, site, world.staff_a.email)
    page.goto(site.url(HOST, "/mentions/"))
    assert page.locator("nav.brand-nav a[aria-current=page]").inner_text() == "Mentions"
    first = texts(page)
    assert len(first) == 50 and first[0] == "Heerlijke croissants vandaag"
    shot(page, "mentions-desk")
    page.screenshot(path=str(SHOTS / "mentions-desk-top.png"))
    assert serious(page) == []
    page.click("text=Older →")
    page.wait_for_selector("text=← Newer")
    rest = texts(page)
    assert len(rest) == 6 and not set(first) & set(rest)
    assert "Older →" not in page.inner_text("nav.pager")
    # a search with a filter, from the form
    page.goto(site.url(HOST, "/mentions/"))
    page.fill("input[name=q]", "bezorger")
    page.select_option("select[name=sentiment]", "neg")
    page.click("button:has-text('Show')")
    page.wait_for_url(lambda url: "q=bezorger" in url)
    assert texts(page) == ["De bezorgers zijn weer veel te laat"]
    assert page.locator("text=journalist").count() == 1
    export = page.get_attribute("a:has-text('Export CSV')", "href")
    assert export and "q=bezorger" in export and "sentiment=neg" in export
    page.select_option("select[name=platform]", "instagram")
    page.fill("input[name=q]", "")
    page.select_option("select[name=sentiment]", "")
    page.keyboard.press("Enter")  # the keyboard sends the form too
    page.wait_for_url(lambda url: "platform=instagram" in url)
    assert texts(page) == ["Heerlijke croissants vandaag"]
    # a bad date is a field error on the page, not a crash
    page.goto(site.url(HOST, "/mentions/?since=yesterday"))
    assert page.locator(".errorlist").count() == 1
    page.close()


def test_a_viewer_reads_stream_history_and_wave_on_a_phone(world, site, chromium):
    alpha_stream(world)
    alert = with_wave(world.alpha)
    make_wave(
        world.alpha,
        hours_ago=30,
        figures={"platforms": {"instagram": 7, "x": 3}, "peak": {"value": 12.0, "minutes": 15}},
    )
    page = log_in(chromium, site, world.viewer_a.email, viewport=SMALL_PHONE)
    for path, name in (
        ("/mentions/", "mentions-phone-viewer"),
        ("/waves/", "waves-phone-viewer"),
        (f"/waves/{alert.wave.pk}/", "wave-phone-viewer"),
    ):
        page.goto(site.url(HOST, path))
        assert page.evaluate("document.documentElement.scrollWidth") <= SMALL_PHONE["width"], path
        assert page.locator("form[method=post] button").count() == 1  # log out, nothing else
        shot(page, name)
        assert serious(page) == [], path
    page.close()
    desk = log_in(chromium, site, world.staff_a.email)
    desk.goto(site.url(HOST, "/waves/"))
    shot(desk, "waves-desk")
    assert serious(desk) == []
    desk.click(f"a[href='/waves/{alert.wave.pk}/']")
    desk.wait_for_selector(".for-desk svg polyline")
    shot(desk, "wave-desk")
    assert serious(desk) == []
    desk.close()
