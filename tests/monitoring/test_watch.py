"""The watch log (issue 13, point 3): the person on duty records that they looked at the brand
(quiet, or see an alert), each brand says how often by day and by night, and the log is the
proof for the client: the checks, the longest stretch without one, who checked, whether one is
due now. One service and one selector, under the page (/watch/) and the API (/api/v1/watch/)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agency.exceptions import PermissionDeniedError
from agency.models import AuditEvent
from clients import tenancy
from clients.exceptions import WrongTenantError
from monitoring.exceptions import SettingsError, WatchInputError
from monitoring.models import Alert, BrandSettings, WatchCheck
from monitoring.selectors import watch_log
from monitoring.services import brand_settings_update
from monitoring.services.watch import watch_check_record
from monitoring.watchtime import Cadence, check_due, interval_at, is_night, longest_stretch
from tests.conftest import api_client
from tests.monitoring.factories import make_alert

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
CADENCE = Cadence(day_minutes=30, night_minutes=60, night_starts=time(20), night_ends=time(8))
STATUS = "monitoring.services.status"


def page(world, user, client) -> HttpClient:  # type: ignore[no-untyped-def]
    browser = HttpClient(HTTP_HOST=world.host(client))
    browser.force_login(user)
    return browser


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def checks_at(client, *moments: datetime, by: str = "staff_a@example.test") -> None:  # type: ignore[no-untyped-def]
    """Checks made in the past (the service stamps them now)."""
    with tenancy.tenant_context(client):
        for moment in moments:
            WatchCheck.objects.create(checked_at=moment, by=by, outcome="quiet")


# --- The arithmetic, plain Python ---------------------------------------------------------------


def test_night_may_span_midnight_or_not():
    assert is_night(time(23), starts=time(20), ends=time(8))
    assert is_night(time(7, 59), starts=time(20), ends=time(8))
    assert not is_night(time(8), starts=time(20), ends=time(8))
    assert is_night(time(20), starts=time(20), ends=time(8))
    assert is_night(time(3), starts=time(1), ends=time(6))
    assert not is_night(time(23), starts=time(1), ends=time(6))
    assert not is_night(time(12), starts=time(8), ends=time(8))


def test_the_longest_stretch_counts_the_period_edges():
    since, until = utc(2026, 5, 1, 0), utc(2026, 5, 1, 12)
    # from since to the first check: 3 h, the longest
    stretch = longest_stretch(
        since,
        until,
        [utc(2026, 5, 1, 3), utc(2026, 5, 1, 4)] + [utc(2026, 5, 1, h) for h in range(5, 12)],
    )
    assert (stretch.start, stretch.end) == (since, utc(2026, 5, 1, 3))
    # from the last check to until: 6 h
    stretch = longest_stretch(since, until, [utc(2026, 5, 1, 3), utc(2026, 5, 1, 6)])
    assert (stretch.start, stretch.end, stretch.length) == (
        utc(2026, 5, 1, 6),
        until,
        timedelta(hours=6),
    )
    # a tie: the earliest stretch
    stretch = longest_stretch(since, until, [utc(2026, 5, 1, 2), utc(2026, 5, 1, 7)])
    assert (stretch.start, stretch.length) == (utc(2026, 5, 1, 2), timedelta(hours=5))
    # between two checks, and checks outside the period do not count
    stretch = longest_stretch(
        since,
        until,
        [utc(2026, 4, 30, 23), utc(2026, 5, 1, 1), utc(2026, 5, 1, 10), utc(2026, 5, 2)],
    )
    assert (stretch.start, stretch.end) == (utc(2026, 5, 1, 1), utc(2026, 5, 1, 10))
    # none at all: the whole period; a check on each edge: the stretch between
    assert longest_stretch(since, until, []).length == timedelta(hours=12)
    assert longest_stretch(since, until, [since, until]).length == timedelta(hours=12)
    assert longest_stretch(since, until, [since, utc(2026, 5, 1, 6), until]).length == timedelta(
        hours=6
    )
    with pytest.raises(ValueError):
        longest_stretch(until, since, [])


def test_due_by_day_and_by_night_on_the_brands_clock():
    # 1 May, CEST (+02:00): 12:00 local is day (30 min), 23:00 local is night (60 min)
    noon = utc(2026, 5, 1, 10)
    assert interval_at(noon, CADENCE, AMSTERDAM) == timedelta(minutes=30)
    assert not check_due(noon - timedelta(minutes=29), noon, CADENCE, AMSTERDAM)
    assert check_due(noon - timedelta(minutes=31), noon, CADENCE, AMSTERDAM)
    late = utc(2026, 5, 1, 21)
    assert interval_at(late, CADENCE, AMSTERDAM) == timedelta(minutes=60)
    assert not check_due(late - timedelta(minutes=45), late, CADENCE, AMSTERDAM)
    assert check_due(late - timedelta(minutes=61), late, CADENCE, AMSTERDAM)
    assert check_due(None, late, CADENCE, AMSTERDAM)  # never checked


def test_night_ends_at_eight_on_the_wall_clock_across_the_spring_switch():
    # 06:30 UTC is 07:30 CET on 28 March (night) but 08:30 CEST on 29 March (day)
    before, after = utc(2026, 3, 28, 6, 30), utc(2026, 3, 29, 6, 30)
    assert interval_at(before, CADENCE, AMSTERDAM) == timedelta(minutes=60)
    assert interval_at(after, CADENCE, AMSTERDAM) == timedelta(minutes=30)
    last = timedelta(minutes=45)
    assert not check_due(before - last, before, CADENCE, AMSTERDAM)
    assert check_due(after - last, after, CADENCE, AMSTERDAM)


def test_elapsed_time_is_real_time_across_the_spring_switch():
    # last check 01:30 CET (00:30 UTC), now 03:20 CEST (01:20 UTC): the wall clock moved 1 h 50,
    # but 50 minutes passed; the night interval is 60: not due
    last, now = utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 20)
    assert last.astimezone(AMSTERDAM).strftime("%H:%M") == "01:30"
    assert now.astimezone(AMSTERDAM).strftime("%H:%M") == "03:20"
    assert not check_due(last.astimezone(AMSTERDAM), now.astimezone(AMSTERDAM), CADENCE, AMSTERDAM)
    assert check_due(last, now + timedelta(minutes=11), CADENCE, AMSTERDAM)


def test_elapsed_time_is_real_time_across_the_autumn_switch():
    # last check 02:30 CEST (00:30 UTC); the clock goes back at 03:00 CEST to 02:00 CET
    last = utc(2026, 10, 25, 0, 30)
    at_0210 = utc(2026, 10, 25, 1, 10)  # 02:10 CET: the wall clock says -20 min, 40 passed
    at_0240 = utc(2026, 10, 25, 1, 40)  # 02:40 CET: the wall clock says 10 min, 70 passed
    assert at_0210.astimezone(AMSTERDAM).strftime("%H:%M %Z") == "02:10 CET"
    local = last.astimezone(AMSTERDAM)
    assert not check_due(local, at_0210.astimezone(AMSTERDAM), CADENCE, AMSTERDAM)
    assert check_due(local, at_0240.astimezone(AMSTERDAM), CADENCE, AMSTERDAM)
    # and 08:00 CET is day again: 07:00 UTC (it was 06:00 UTC the day before)
    assert interval_at(utc(2026, 10, 24, 6, 30), CADENCE, AMSTERDAM) == timedelta(minutes=30)
    assert interval_at(utc(2026, 10, 25, 6, 30), CADENCE, AMSTERDAM) == timedelta(minutes=60)


# --- The service --------------------------------------------------------------------------------


def test_recording_a_check_writes_the_row_and_its_audit_event_then_refreshes_the_desk(
    world, django_capture_on_commit_callbacks
):
    with tenancy.tenant_context(world.alpha), django_capture_on_commit_callbacks() as callbacks:
        check = watch_check_record(
            client=world.alpha, acting_user=world.staff_a, note="  Quiet night so far. "
        )
        # the desk refresh waits for the commit
        assert [c for c in callbacks if c.__module__ == STATUS] == []
    assert [c.__module__ for c in callbacks] == [STATUS]
    assert (check.by, check.outcome, check.note, check.alert) == (
        world.staff_a.email,
        "quiet",
        "Quiet night so far.",
        None,
    )
    assert abs(check.checked_at - timezone.now()) < timedelta(seconds=5)
    event = AuditEvent.objects.get(verb="watch.checked")
    assert (event.actor, event.client_slug, event.detail) == (
        world.staff_a,
        "alpha",
        {"check": check.pk, "outcome": "quiet", "alert": None},
    )


def test_a_check_cites_an_alert_of_the_brand(world):
    alert = make_alert(world.alpha)
    with tenancy.tenant_context(world.alpha):
        check = watch_check_record(client=world.alpha, acting_user=world.manager, alert=alert.pk)
        assert (check.outcome, check.alert_id) == ("alert", alert.pk)
        assert WatchCheck.objects.get().alert == alert
    assert AuditEvent.objects.get(verb="watch.checked").detail["alert"] == alert.pk


def test_an_alert_id_of_another_brand_is_refused(world):
    bravo = make_alert(world.bravo)
    with tenancy.tenant_context(world.alpha):
        Alert.objects.filter(pk=bravo.pk).delete()  # (ids are per schema: make sure it is free)
        with pytest.raises(WatchInputError) as refused:
            watch_check_record(client=world.alpha, acting_user=world.staff_a, alert=bravo.pk)
        assert refused.value.field == "alert"
        with pytest.raises(WatchInputError):
            watch_check_record(client=world.alpha, acting_user=world.staff_a, alert=2**63)
        assert not WatchCheck.objects.exists()
    assert not AuditEvent.objects.filter(verb="watch.checked").exists()


def test_only_writers_of_the_brand_check(world):
    with tenancy.tenant_context(world.alpha):
        for who in (world.viewer_a, world.staff_b, world.outsider, None):
            with pytest.raises(PermissionDeniedError):
                watch_check_record(client=world.alpha, acting_user=who)
        for who in (world.staff_a, world.manager, world.admin):
            watch_check_record(client=world.alpha, acting_user=who)
        assert WatchCheck.objects.count() == 3


def test_the_service_asserts_the_schema(world):
    with tenancy.tenant_context(world.bravo), pytest.raises(WrongTenantError):
        watch_check_record(client=world.alpha, acting_user=world.staff_a)


def test_a_long_or_nul_note_is_refused(world):
    with tenancy.tenant_context(world.alpha):
        for note in ("x" * 501, "nul \x00 here", "lone \ud800"):
            with pytest.raises(WatchInputError):
                watch_check_record(client=world.alpha, acting_user=world.staff_a, note=note)


# --- The settings -------------------------------------------------------------------------------


def test_the_check_intervals_and_the_night_are_settings(world):
    with tenancy.tenant_context(world.alpha):
        current = BrandSettings.objects.get()
        assert (
            current.check_every_minutes_day,
            current.check_every_minutes_night,
            current.night_starts,
            current.night_ends,
        ) == (30, 60, time(20), time(8))
        updated = brand_settings_update(
            client=world.alpha,
            acting_user=world.manager,
            changes={"check_every_minutes_night": 90, "night_starts": time(22)},
        )
        assert (updated.check_every_minutes_night, updated.night_starts) == (90, time(22))
        with pytest.raises(SettingsError) as refused:
            brand_settings_update(
                client=world.alpha, acting_user=None, changes={"night_ends": time(22)}
            )
        assert refused.value.field == "night_ends"
        with pytest.raises(SettingsError) as refused:
            brand_settings_update(
                client=world.alpha, acting_user=None, changes={"check_every_minutes_day": 2}
            )
        assert refused.value.field == "check_every_minutes_day"


def test_the_settings_api_and_page_carry_the_watch_settings(world):
    api = api_client(world, world.staff_a, world.alpha)
    response = api.patch(
        "/api/v1/brand/settings/", {"check_every_minutes_day": 20, "night_ends": "07:00"}
    )
    assert response.status_code == 200, response.content
    assert (response.json()["check_every_minutes_day"], response.json()["night_ends"]) == (
        20,
        "07:00",
    )
    refused = api.patch("/api/v1/brand/settings/", {"night_starts": "07:00"})
    assert refused.status_code == 400
    assert "night_starts" in refused.json()["error"]["fields"]
    html = page(world, world.staff_a, world.alpha).get("/settings/").content.decode()
    assert "Check by night at least every" in html and 'type="time"' in html


# --- The selector -------------------------------------------------------------------------------


def test_the_log_of_a_period(world):
    now = utc(2026, 5, 1, 12)  # 14:00 CEST: day, 30 minutes
    since = now - timedelta(hours=6)
    checks_at(world.alpha, now - timedelta(hours=7))  # before the period
    checks_at(world.alpha, since + timedelta(hours=1), now - timedelta(hours=2))
    checks_at(world.alpha, now - timedelta(minutes=40), by="manager@example.test")
    checks_at(world.bravo, now - timedelta(minutes=1))  # the other brand's
    with tenancy.tenant_context(world.alpha):
        log = watch_log(client=world.alpha, since=since, until=now, now=now)
        assert log.count == 3
        assert log.by == [("staff_a@example.test", 2), ("manager@example.test", 1)]
        assert [c.checked_at for c in log.checks] == [
            now - timedelta(minutes=40),
            now - timedelta(hours=2),
            since + timedelta(hours=1),
        ]
        # from 1 h in to 2 h before the end: 3 h
        assert (log.longest.start, log.longest.length) == (
            since + timedelta(hours=1),
            timedelta(hours=3),
        )
        assert (log.last_checked_at, log.interval, log.due) == (
            now - timedelta(minutes=40),
            timedelta(minutes=30),
            True,
        )
        # an earlier period: the last check ever is still the one that counts for "due"
        earlier = watch_log(
            client=world.alpha, since=since, until=since + timedelta(hours=2), now=now
        )
        assert (earlier.count, earlier.last_checked_at) == (1, now - timedelta(minutes=40))
        # at night, 40 minutes is within the hour
        night = now + timedelta(hours=8)
        checks_at(world.alpha, night - timedelta(minutes=40))
        assert not watch_log(client=world.alpha, since=since, until=night, now=night).due


# --- The page -----------------------------------------------------------------------------------


def test_staff_check_from_the_page_and_see_it_in_the_log(world):
    browser = page(world, world.staff_a, world.alpha)
    html = browser.get("/watch/").content.decode()
    assert "Check due" in html and "Checked: all quiet" in html  # never checked yet
    response = browser.post("/watch/")
    assert (response.status_code, response["Location"]) == (302, "/watch/")
    html = browser.get("/watch/").content.decode()
    assert "Checked: all quiet." in html and "Check due" not in html
    assert "checked: quiet" in html and "by staff_a@example.test" in html
    assert "staff_a@example.test (1)" in html
    # the time in the brand's zone with its offset
    assert "(+01:00)" in html or "(+02:00)" in html


def test_a_check_with_a_note_and_an_alert_and_back_to_the_dashboard(world):
    alert = make_alert(world.alpha)
    browser = page(world, world.staff_a, world.alpha)
    assert 'action="/watch/"' in browser.get("/").content.decode()  # the dashboard's button
    response = browser.post("/watch/", {"note": "Looking into it", "alert": alert.pk, "next": "/"})
    assert (response.status_code, response["Location"]) == (302, "/")
    html = browser.get("/watch/").content.decode()
    assert f"see alert {alert.pk}" in html and "Looking into it" in html
    # a next that is not the brand's own page is not followed
    response = browser.post("/watch/", {"next": "https://evil.example/"})
    assert response["Location"] == "/watch/"


def test_field_errors_are_a_400(world):
    bravo = make_alert(world.bravo)
    with tenancy.tenant_context(world.alpha):
        Alert.objects.filter(pk=bravo.pk).delete()
    browser = page(world, world.staff_a, world.alpha)
    for data in ({"note": "x" * 501}, {"alert": bravo.pk}, {"alert": "twelve"}):
        response = browser.post("/watch/", data)
        assert response.status_code == 400, data
        assert response.context["form"].errors
    with tenancy.tenant_context(world.alpha):
        assert not WatchCheck.objects.exists()


def test_a_viewer_reads_the_log_without_the_button_and_a_post_is_refused(world):
    checks_at(world.alpha, timezone.now() - timedelta(minutes=5))
    browser = page(world, world.viewer_a, world.alpha)
    html = browser.get("/watch/").content.decode()
    assert "staff_a@example.test (1)" in html
    assert "Checked: all quiet" not in html and 'method="post" class="watch' not in html
    assert 'action="/watch/"' not in browser.get("/").content.decode()
    assert browser.post("/watch/").status_code == 403
    with tenancy.tenant_context(world.alpha):
        assert WatchCheck.objects.count() == 1


def test_another_brands_people_are_refused_the_page(world):
    for who in (world.staff_b, world.viewer_b, world.outsider):
        browser = page(world, who, world.alpha)
        assert browser.get("/watch/").status_code == 403
        assert browser.post("/watch/").status_code == 403
    with tenancy.tenant_context(world.alpha):
        assert not WatchCheck.objects.exists()


def test_the_page_costs_a_fixed_number_of_queries(world):
    now = timezone.now()
    make_alert(world.alpha)
    checks_at(world.alpha, now - timedelta(hours=1), now - timedelta(hours=30))
    browser = page(world, world.staff_a, world.alpha)
    browser.get("/watch/")  # warm

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get("/watch/").status_code == 200
        return len(captured)

    first = count()
    checks_at(world.alpha, *(now - timedelta(minutes=20 + n) for n in range(30)))
    make_alert(world.alpha, wave_status="closed")
    assert count() == first == PAGE_QUERIES


# The schema, the session, the user, their access; the open alerts to cite; for the last 24
# hours and the last 7 days each the settings and the period's checks; the list of checks.
PAGE_QUERIES = 10


form_bytes = st.binary(max_size=300) | st.lists(
    st.tuples(
        st.sampled_from([b"note", b"alert", b"next", b"csrfmiddlewaretoken", b"x"]),
        st.binary(max_size=40),
    ),
    max_size=4,
).map(lambda pairs: b"&".join(k + b"=" + v for k, v in pairs))


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=form_bytes)
def test_whatever_bytes_the_form_gets_the_answer_is_a_redirect_or_a_400(world, body):
    response = page(world, world.staff_a, world.alpha).post(
        "/watch/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code in (302, 400), (body, response.status_code)
    if response.status_code == 400:
        assert response.context["form"].errors


# --- The API ------------------------------------------------------------------------------------


def test_the_api_lists_the_log_with_its_summary_and_pages(world):
    now = timezone.now()
    checks_at(world.alpha, *(now - timedelta(minutes=10 * n + 1) for n in range(60)))
    checks_at(world.bravo, now - timedelta(minutes=2), by="staff_b@example.test")
    api = api_client(world, world.viewer_a, world.alpha)
    response = api.get("/api/v1/watch/", {"since": (now - timedelta(hours=2)).isoformat()})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["summary"]["checks"] == 12
    assert body["summary"]["by"] == [{"email": "staff_a@example.test", "checks": 12}]
    assert body["summary"]["due"] is False and body["summary"]["interval_minutes"] in (30, 60)
    assert all(c["by"] == "staff_a@example.test" for c in body["results"])
    # seven days by default, 50 a page, then the next
    body = api.get("/api/v1/watch/").json()
    assert body["summary"]["checks"] == 60 and len(body["results"]) == 50
    rest = api.get(body["next"]).json()
    assert len(rest["results"]) == 10 and rest["next"] is None
    seen = [c["id"] for c in body["results"] + rest["results"]]
    assert len(set(seen)) == 60
    # bravo's check is invisible on alpha, and alpha's on bravo
    assert "staff_b@example.test" not in str(body) + str(rest)
    on_bravo = api_client(world, world.staff_b, world.bravo).get("/api/v1/watch/").json()
    assert on_bravo["summary"]["checks"] == 1
    assert [c["by"] for c in on_bravo["results"]] == ["staff_b@example.test"]


def test_the_api_refuses_a_period_that_is_not_one(world):
    api = api_client(world, world.staff_a, world.alpha)
    now = timezone.now()
    for params in (
        {"since": now.isoformat(), "until": (now - timedelta(hours=1)).isoformat()},
        {"since": (now - timedelta(days=100)).isoformat()},
        {"since": "0001-01-01T00:00:00Z"},
        {"until": "0001-01-08T00:00:00Z"},
        {"since": "yesterday"},
    ):
        response = api.get("/api/v1/watch/", params)
        assert response.status_code == 400, params
        assert response.json()["error"]["code"] == "invalid"


def test_the_api_records_a_check_and_refuses_viewers_and_other_brands(world):
    alert = make_alert(world.alpha)
    staff = api_client(world, world.staff_a, world.alpha)
    response = staff.post(
        "/api/v1/watch/checks/", {"note": "see the alert", "alert": alert.pk}, format="json"
    )
    assert response.status_code == 201, response.content
    assert (response.json()["outcome"], response.json()["alert"]) == ("alert", alert.pk)
    quiet = staff.post("/api/v1/watch/checks/", {}, format="json")
    assert (quiet.status_code, quiet.json()["outcome"]) == (201, "quiet")
    viewer = api_client(world, world.viewer_a, world.alpha)
    assert viewer.post("/api/v1/watch/checks/", {}, format="json").status_code == 403
    assert viewer.get("/api/v1/watch/").json()["summary"]["checks"] == 2
    other = api_client(world, world.staff_b, world.alpha)
    assert other.post("/api/v1/watch/checks/", {}, format="json").status_code == 403
    assert other.get("/api/v1/watch/").status_code == 403
    # an id of bravo's alert is not one of alpha's
    bravo = make_alert(world.bravo)
    with tenancy.tenant_context(world.alpha):
        Alert.objects.filter(pk=bravo.pk).delete()
    refused = staff.post("/api/v1/watch/checks/", {"alert": bravo.pk}, format="json")
    assert refused.status_code == 400 and "alert" in refused.json()["error"]["fields"]
    assert staff.post("/api/v1/watch/checks/", {"oops": 1}, format="json").status_code == 400
    with tenancy.tenant_context(world.alpha):
        assert WatchCheck.objects.count() == 2
    with tenancy.tenant_context(world.bravo):
        assert not WatchCheck.objects.exists()
