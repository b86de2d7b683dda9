"""Shift calendars: a person's and a schedule's iCal feed, read back as a calendar application
reads it (icalendar parses it, recurring-ical-events expands it between two dates), against
the shift arithmetic; across both daylight-saving changes; with overrides; behind a secret
token that a reset replaces; and the small API that hands out the URL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from agency import shifts
from agency.calendars import calendar_build, calendar_feed_for, calendar_feed_reset
from agency.models import Role, Schedule, User
from agency.roster import (
    leave_add,
    schedule_create,
    schedule_layer_add,
    schedule_override_add,
    schedule_plan,
)
from agency.services import membership_grant
from tests.agency.factories import UserFactory
from tests.conftest import World, api_client

pytestmark = pytest.mark.django_db

AMS = ZoneInfo("Europe/Amsterdam")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=AMS).astimezone(UTC)


def desk(
    world: World,
    name: str,
    people: list[User],
    *,
    hand_off: time = time(9),
    brands: tuple[object, ...] = (),
    starts_on: date = date(2027, 1, 4),
) -> Schedule:
    schedule = schedule_create(name=name, brands=brands or [world.alpha], acting_user=world.admin)  # type: ignore[arg-type]
    schedule_layer_add(
        schedule=schedule,
        people=people,
        starts_on=starts_on,
        hand_off=hand_off,
        acting_user=world.admin,
    )
    return schedule


def moment(prop: Any) -> datetime:
    """A DTSTART or DTEND as an aware datetime (shifts are never all-day events)."""
    value = prop.dt
    assert isinstance(value, datetime) and value.tzinfo is not None
    return value.astimezone(UTC)


def parsed(feed_bytes: bytes) -> Calendar:
    return Calendar.from_ical(feed_bytes)


def expanded(
    feed_bytes: bytes, start: datetime, end: datetime
) -> list[tuple[datetime, datetime, str]]:
    """The events between two moments as a calendar application shows them: (start, end,
    summary), in UTC, by start."""
    events = recurring_ical_events.of(parsed(feed_bytes)).between(start, end)
    return sorted(
        (
            moment(e["DTSTART"]),
            moment(e["DTEND"]),
            str(e["SUMMARY"]),
        )
        for e in events
    )


def stretches_of(plan: shifts.Schedule, person: str, start: datetime, end: datetime) -> list:  # type: ignore[type-arg]
    """The person's stretches per role straight from the arithmetic, adjacent slots joined."""
    found: list[list[object]] = []
    for slot in plan.slots(start, end):
        for role, who in (("primary", slot.primary), ("backup", slot.backup)):
            if who != person:
                continue
            same = [f for f in found if f[2] == role and f[1] == slot.start]
            if same:
                same[0][1] = slot.end
            else:
                found.append([slot.start, slot.end, role])
    return sorted(tuple(f) for f in found)


def test_a_persons_feed_is_their_shifts_as_the_arithmetic_gives_them(world):
    schedule = desk(world, "Alpha desk", [world.staff_a, world.staff_b, world.manager])
    feed = calendar_feed_for(user=world.staff_a)
    now = at("2027-02-01 12:00")
    body = calendar_build(feed, now=now)
    cal = parsed(body)
    assert str(cal["VERSION"]) == "2.0" and str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["CALSCALE"]) == "GREGORIAN" and str(cal["PRODID"])
    assert str(cal["X-WR-TIMEZONE"]) == "Europe/Amsterdam" and str(cal["X-WR-CALNAME"])
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in body
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Amsterdam"]

    start, end = at("2027-02-03 00:00"), at("2027-02-20 00:00")
    events = expanded(body, start, end)
    plan = schedule_plan(schedule=schedule, start=start - timedelta(days=3), end=end)
    expected = [
        (s, e, f"On duty ({role}): Alpha desk")
        for s, e, role in stretches_of(
            plan, str(world.staff_a.pk), start - timedelta(days=3), end + timedelta(days=3)
        )
        if e > start and s < end
    ]
    assert events == expected
    assert {"On duty (primary): Alpha desk", "On duty (backup): Alpha desk"} == {
        summary for _s, _e, summary in events
    }
    raw = body.decode()
    assert "DTSTART;TZID=Europe/Amsterdam:20270205T090000" in raw
    # The window: 14 days back to 60 ahead.
    all_events = cal.walk("VEVENT")
    starts = [moment(e["DTSTART"]) for e in all_events]
    assert min(moment(e["DTEND"]) for e in all_events) > now - timedelta(days=15)
    assert max(starts) < now + timedelta(days=61) and min(starts) < now - timedelta(days=13)
    event = next(e for e in all_events if moment(e["DTSTART"]) >= start)
    assert "Alpha Bakery" in str(event["DESCRIPTION"])
    assert "/shifts/" in str(event["DESCRIPTION"]) and str(event["URL"]).endswith("/shifts/")
    assert "Bravo Boats" not in raw


def test_uids_stay_as_the_window_moves_and_differ_per_shift(world):
    desk(world, "Alpha desk", [world.staff_a, world.staff_b])
    feed = calendar_feed_for(user=world.staff_a)
    first = {
        str(e["UID"]): e
        for e in parsed(calendar_build(feed, now=at("2027-02-01 12:00"))).walk("VEVENT")
    }
    later = {
        str(e["UID"]): e
        for e in parsed(calendar_build(feed, now=at("2027-02-03 12:00"))).walk("VEVENT")
    }
    assert len(first) == len(
        parsed(calendar_build(feed, now=at("2027-02-01 12:00"))).walk("VEVENT")
    )
    shared = set(first) & set(later)
    assert len(shared) > 30
    for uid in shared:
        assert moment(first[uid]["DTSTART"]) == moment(later[uid]["DTSTART"])


@pytest.mark.parametrize("hand_off", [time(9), time(2, 30)])
@pytest.mark.parametrize(("day", "hours"), [(date(2027, 3, 28), 23), (date(2027, 10, 31), 25)])
def test_a_daily_rotation_covers_every_hour_across_daylight_saving(world, hand_off, day, hours):
    """Expanded, the schedule's primary events meet end to start: no hour lost or doubled."""
    schedule = desk(world, "Day desk", [world.staff_a, world.staff_b], hand_off=hand_off)
    feed = calendar_feed_for(schedule=schedule)
    body = calendar_build(feed, now=datetime.combine(day, time(12), tzinfo=UTC) - timedelta(days=5))
    start = datetime.combine(day - timedelta(days=3), time(0), tzinfo=AMS)
    end = datetime.combine(day + timedelta(days=3), time(0), tzinfo=AMS)
    primary = [(s, e) for s, e, summary in expanded(body, start, end) if "(primary)" in summary]
    assert primary[0][0] <= start.astimezone(UTC) and primary[-1][1] >= end.astimezone(UTC)
    for (_s, finish), (begin, _e) in pairwise(primary):
        assert finish == begin
    hour = start.astimezone(UTC)
    while hour < end.astimezone(UTC):
        assert sum(1 for s, e in primary if s <= hour < e) == 1, hour
        hour += timedelta(hours=1)
    # One shift of the week is an hour shorter or longer (which one depends on the hand-off's
    # side of the change), every other lasts a day.
    lengths = sorted(e - s for s, e in primary)
    assert timedelta(hours=hours) in lengths
    assert [n for n in lengths if n != timedelta(hours=24)] == [timedelta(hours=hours)]
    assert {s.astimezone(AMS).time() for s, _e in primary} <= {hand_off, time(3, 30)}
    names = {summary for *_x, summary in expanded(body, start, end)}
    assert f"{world.staff_a.full_name} on duty (primary): Day desk" in names


def test_an_override_is_the_override_persons_shift_and_not_the_rotations(world):
    schedule = desk(world, "Alpha desk", [world.staff_a])
    taker = world.staff_b
    cover_start, cover_end = at("2027-02-10 13:00"), at("2027-02-10 21:00")
    schedule_override_add(
        schedule=schedule, user=taker, start=cover_start, end=cover_end, acting_user=world.manager
    )
    now = at("2027-02-05 12:00")
    window = (at("2027-02-09 00:00"), at("2027-02-12 00:00"))
    mine = expanded(calendar_build(calendar_feed_for(user=world.staff_a), now=now), *window)
    theirs = expanded(calendar_build(calendar_feed_for(user=taker), now=now), *window)
    assert theirs == [(cover_start, cover_end, "On duty (primary): Alpha desk")]
    primary = [(s, e) for s, e, summary in mine if "(primary)" in summary]
    assert not [1 for s, e in primary if s < cover_end and e > cover_start]
    # The rotation's one person is on before and after it: two stretches, split by it.
    assert [e for s, e in primary if e <= cover_start][-1] == cover_start
    assert next(s for s, e in primary if s >= cover_end) == cover_end


def test_another_persons_feed_never_shows_my_shifts(world):
    mine = desk(world, "Alpha desk", [world.staff_a])
    theirs = desk(world, "Bravo desk", [world.staff_b], brands=(world.bravo,))
    now = at("2027-02-01 12:00")
    body_b = calendar_build(calendar_feed_for(user=world.staff_b), now=now)
    events = parsed(body_b).walk("VEVENT")
    assert events
    assert {str(e["SUMMARY"]) for e in events} <= {
        "On duty (primary): Bravo desk",
        "On duty (backup): Bravo desk",
    }
    assert all(f"shift-{theirs.pk}-" in str(e["UID"]) for e in events)
    assert b"Alpha desk" not in body_b and b"Alpha Bakery" not in body_b
    assert f"-{world.staff_a.pk}-".encode() not in body_b.replace(
        f"shift-{theirs.pk}-".encode(), b""
    )
    nobody = UserFactory.create(email="nobody-on-duty@example.test")
    membership_grant(user=nobody, role=Role.AGENCY_STAFF, client=world.alpha)
    assert parsed(calendar_build(calendar_feed_for(user=nobody), now=now)).walk("VEVENT") == []
    assert mine.pk != theirs.pk


def test_the_feed_url_serves_without_login_and_a_reset_token_is_gone(world):
    desk(world, "Alpha desk", [world.staff_a, world.staff_b], starts_on=date(2026, 1, 5))
    http = HttpClient(HTTP_HOST=world.host(None))
    feed = calendar_feed_for(user=world.staff_a)
    assert calendar_feed_for(user=world.staff_a).token == feed.token  # one feed per person
    response = http.get(f"/calendar/{feed.token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=300"
    assert parsed(response.content).walk("VEVENT")
    assert http.get("/calendar/not-a-token-at-all.ics").status_code == 404
    fresh = calendar_feed_reset(user=world.staff_a, acting_user=world.staff_a)
    assert fresh.token != feed.token
    assert http.get(f"/calendar/{feed.token}.ics").status_code == 404
    assert http.get(f"/calendar/{fresh.token}.ics").status_code == 200
    assert http.post(f"/calendar/{fresh.token}.ics").status_code == 405


def test_a_person_who_left_the_agency_has_no_feed_any_more(world):
    leaver = UserFactory.create(email="leaver@example.test")
    membership_grant(user=leaver, role=Role.AGENCY_STAFF, client=world.alpha)
    feed = calendar_feed_for(user=leaver)
    http = HttpClient(HTTP_HOST=world.host(None))
    assert http.get(f"/calendar/{feed.token}.ics").status_code == 200
    leaver.memberships.all().delete()
    assert http.get(f"/calendar/{feed.token}.ics").status_code == 404


def test_the_api_hands_out_the_url_to_agency_people_only(world):
    schedule = desk(world, "Alpha desk", [world.staff_a, world.staff_b], starts_on=date(2026, 1, 5))
    http = HttpClient(HTTP_HOST=world.host(None))
    staff = api_client(world, world.staff_a, None)
    url = staff.get("/api/v1/me/calendar/").json()["url"]
    assert url.startswith("http") and url.endswith(".ics")
    path = "/" + url.split("/", 3)[3]
    assert http.get(path).status_code == 200
    assert staff.get("/api/v1/me/calendar/").json()["url"] == url  # the same until reset
    new = staff.post("/api/v1/me/calendar/reset/").json()["url"]
    assert new != url and http.get(path).status_code == 404
    assert http.get("/" + new.split("/", 3)[3]).status_code == 200
    # Another person's URL is their own feed, never mine.
    other = api_client(world, world.staff_b, None).get("/api/v1/me/calendar/").json()["url"]
    assert other not in (url, new)
    for role in ("viewer_a", "viewer_b", "outsider"):
        refused = api_client(world, getattr(world, role), None)
        assert refused.get("/api/v1/me/calendar/").status_code == 403
        assert refused.post("/api/v1/me/calendar/reset/").status_code == 403
        assert refused.get(f"/api/v1/schedules/{schedule.pk}/calendar/").status_code == 403
    assert staff.get(f"/api/v1/schedules/{schedule.pk}/calendar/").status_code == 403
    manager = api_client(world, world.manager, None)
    shared = manager.get(f"/api/v1/schedules/{schedule.pk}/calendar/").json()["url"]
    body = http.get("/" + shared.split("/", 3)[3]).content
    assert b"on duty (primary): Alpha desk" in body
    assert manager.get("/api/v1/schedules/999999/calendar/").status_code == 404
    renewed = manager.post(f"/api/v1/schedules/{schedule.pk}/calendar/reset/").json()["url"]
    assert renewed != shared
    assert http.get("/" + shared.split("/", 3)[3]).status_code == 404


def test_a_feed_reads_the_same_number_of_queries_for_more_schedules(world):
    http = HttpClient(HTTP_HOST=world.host(None))
    feed = calendar_feed_for(user=world.staff_a)
    desk(world, "Desk 1", [world.staff_a, world.staff_b], starts_on=date(2026, 1, 5))
    http.get(f"/calendar/{feed.token}.ics")  # the host's tenant, remembered
    counts = []
    for n in (2, 3, 4):
        schedule = desk(
            world, f"Desk {n}", [world.staff_b, world.staff_a], starts_on=date(2026, 1, 5)
        )
        schedule_override_add(
            schedule=schedule,
            user=world.staff_a,
            start=datetime.now(UTC) + timedelta(days=n),
            end=datetime.now(UTC) + timedelta(days=n, hours=3),
            acting_user=world.manager,
        )
        with CaptureQueriesContext(connection) as queries:
            response = http.get(f"/calendar/{feed.token}.ics")
        assert response.status_code == 200
        assert len(parsed(response.content).walk("VEVENT")) > 40 * n
        counts.append(len(queries))
    # The schema, the feed, the person's role, schedules, layers, people, brands, overrides,
    # leave.
    assert counts == [9, 9, 9]


def test_leave_takes_the_shifts_out_of_the_persons_feed(world):
    desk(world, "Alpha desk", [world.staff_a, world.staff_b])
    away = (at("2027-02-10 00:00"), at("2027-02-13 00:00"))
    now = at("2027-02-05 12:00")
    feed = calendar_feed_for(user=world.staff_a)

    def during() -> list[tuple[datetime, datetime, str]]:
        return [
            (s, e, summary)
            for s, e, summary in expanded(calendar_build(feed, now=now), *away)
            if s < away[1] and e > away[0]
        ]

    assert {summary for *_x, summary in during()} == {
        "On duty (primary): Alpha desk",
        "On duty (backup): Alpha desk",
    }
    leave_add(user=world.staff_a, start=away[0], end=away[1], acting_user=world.staff_a)
    assert during() == []
