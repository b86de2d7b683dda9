"""The shift arithmetic (agency.shifts, no Django): rotations hand over at wall-clock times in
their own zone, so the European spring and autumn changes neither drop nor double an hour of
cover; layers, windows, overrides, leave, backups and gaps; and, for any rotation in any zone,
the slots of a period meet end to start and say who is on duty at every moment of them."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from agency.shifts import (
    BACKUP,
    Layer,
    Rotation,
    Schedule,
    Slot,
    Span,
    Window,
    busiest,
)

AMS = ZoneInfo("Europe/Amsterdam")
DAY = timedelta(days=1)


def at(text: str, zone: ZoneInfo = AMS) -> datetime:
    """A wall-clock time in `zone` ("2026-03-29 09:00") as an instant."""
    return datetime.fromisoformat(text).replace(tzinfo=zone).astimezone(UTC)


def test_the_arithmetic_runs_without_django():
    """Loaded from its file alone (the agency package itself starts Celery and Django)."""
    code = (
        "import importlib.util, sys; "
        "spec = importlib.util.spec_from_file_location('shifts', 'agency/shifts.py'); "
        "module = importlib.util.module_from_spec(spec); sys.modules['shifts'] = module; "
        "spec.loader.exec_module(module); "
        "sys.exit(any(m.split('.')[0] in ('django', 'celery') for m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0


def daily(*people: str, hour: int = 9, zone: str = "Europe/Amsterdam") -> Rotation:
    return Rotation(people=people, anchor=datetime(2026, 1, 5, hour), shift=DAY, zone=zone)


def assert_tiles(slots: list[Slot], start: datetime, end: datetime) -> None:
    """Consecutive, no gap and no overlap between them, exactly the period."""
    assert slots[0].start == start and slots[-1].end == end
    for before, after in pairwise(slots):
        assert before.end == after.start and before.start < before.end
    assert sum((s.end - s.start for s in slots), timedelta()) == end - start


def test_a_daily_rotation_hands_over_at_nine_across_both_dst_changes():
    schedule = Schedule(layers=(Layer(daily("ann", "bob", "cem")),))
    # Spring: on 29 March 2026 the clocks jump from 02:00 to 03:00.
    spring = schedule.slots(at("2026-03-28 09:00"), at("2026-03-30 09:00"))
    assert [s.start.astimezone(AMS).hour for s in spring] == [9, 9]
    assert [s.end - s.start for s in spring] == [timedelta(hours=23), timedelta(hours=24)]
    # Autumn: on 25 October 2026 02:00-03:00 happens twice.
    autumn = schedule.slots(at("2026-10-24 09:00"), at("2026-10-26 09:00"))
    assert [s.end - s.start for s in autumn] == [timedelta(hours=25), timedelta(hours=24)]
    assert [s.start.astimezone(AMS).hour for s in autumn] == [9, 9]
    # Whoever held the night of the change held all of it, both times.
    for moment in ("2026-03-29 01:59", "2026-03-29 03:00", "2026-03-29 08:59"):
        assert schedule.on_duty(at(moment)).primary == spring[0].primary
    repeated = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST, the first time
    assert schedule.on_duty(repeated).primary == autumn[0].primary
    assert schedule.on_duty(repeated + timedelta(hours=1)).primary == autumn[0].primary


def test_twelve_hour_shifts_keep_their_clock_times_and_the_night_shrinks_or_grows():
    rotation = Rotation(
        people=("day", "night"),
        anchor=datetime(2026, 1, 5, 8),
        shift=timedelta(hours=12),
        zone="Europe/Amsterdam",
    )
    schedule = Schedule(layers=(Layer(rotation),))
    week = schedule.slots(at("2026-03-27 08:00"), at("2026-03-31 08:00"))
    assert_tiles(week, at("2026-03-27 08:00"), at("2026-03-31 08:00"))
    assert {s.start.astimezone(AMS).time() for s in week} == {time(8), time(20)}
    nights = {
        s.start.astimezone(AMS).date().isoformat(): s.end - s.start
        for s in week
        if s.primary == "night"
    }
    assert nights["2026-03-28"] == timedelta(hours=11)  # the spring night
    assert nights["2026-03-29"] == timedelta(hours=12)
    autumn = schedule.slots(at("2026-10-24 20:00"), at("2026-10-25 08:00"))
    assert [(s.primary, s.end - s.start) for s in autumn] == [("night", timedelta(hours=13))]


def test_a_hand_off_inside_the_skipped_or_repeated_hour_still_meets_end_to_start():
    # 02:30 does not exist on 29 March and exists twice on 25 October (Amsterdam).
    rotation = Rotation(
        people=("ann", "bob"),
        anchor=datetime(2026, 1, 5, 2, 30),
        shift=DAY,
        zone="Europe/Amsterdam",
    )
    schedule = Schedule(layers=(Layer(rotation),))
    for start, end in (
        ("2026-03-27 12:00", "2026-04-01 12:00"),
        ("2026-10-23 12:00", "2026-10-28 12:00"),
    ):
        slots = schedule.slots(at(start), at(end))
        assert_tiles(slots, at(start), at(end))
        assert all(s.end - s.start >= timedelta(hours=23) for s in slots[1:-1])
    # The skipped 02:30 hands over when the clocks reach it: 03:30 summer time.
    spring = schedule.slots(at("2026-03-28 12:00"), at("2026-03-29 12:00"))
    assert spring[1].start == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_weekly_rotation_hands_over_on_monday_morning():
    rotation = Rotation(
        people=("ann", "bob"),
        anchor=datetime(2026, 1, 5, 8),
        shift=7 * DAY,
        zone="Europe/Amsterdam",
    )
    schedule = Schedule(layers=(Layer(rotation),))
    slots = schedule.slots(at("2026-03-23 08:00"), at("2026-04-06 08:00"))
    assert [(s.start.astimezone(AMS).strftime("%a %H:%M"), s.primary) for s in slots] == [
        ("Mon 08:00", "bob"),
        ("Mon 08:00", "ann"),
    ]
    assert slots[0].end - slots[0].start == 7 * DAY - timedelta(hours=1)


def test_a_day_layer_over_a_night_layer_and_the_weekend():
    day = Layer(
        daily("dana", "dirk"),
        priority=1,
        windows=(Window(weekdays=frozenset(range(5)), start=time(8), end=time(20)),),
    )
    night = Layer(daily("nina"), priority=0)
    schedule = Schedule(layers=(day, night))
    assert schedule.on_duty(at("2026-03-24 12:00")).primary in ("dana", "dirk")
    assert schedule.on_duty(at("2026-03-24 22:00")).primary == "nina"
    assert schedule.on_duty(at("2026-03-28 12:00")).primary == "nina"  # a Saturday
    edges = [
        s.start.astimezone(AMS).strftime("%a %H:%M")
        for s in schedule.slots(at("2026-03-23 00:00"), at("2026-03-24 00:00"))
    ]
    assert edges == ["Mon 00:00", "Mon 08:00", "Mon 09:00", "Mon 20:00"]


def test_follow_the_sun_leaves_the_hours_nobody_covers_as_gaps():
    europe = Layer(
        daily("eva", zone="Europe/Amsterdam", hour=8),
        windows=(Window(start=time(8), end=time(18)),),
    )
    sydney = Layer(
        daily("sam", zone="Australia/Sydney", hour=8),
        windows=(Window(start=time(8), end=time(18)),),
    )
    schedule = Schedule(layers=(europe, sydney))
    gaps = schedule.gaps(at("2026-06-10 00:00"), at("2026-06-11 00:00"))
    # In June, Amsterdam is UTC+2 and Sydney UTC+10: Sydney's 08-18 is 00-10 in Amsterdam.
    as_local = [
        (a.astimezone(AMS).strftime("%H:%M"), b.astimezone(AMS).strftime("%H:%M")) for a, b in gaps
    ]
    assert as_local == [("18:00", "00:00")]
    assert schedule.on_duty(at("2026-06-10 07:00")).primary == "sam"
    assert schedule.on_duty(at("2026-06-10 11:00")).primary == "eva"


def test_overrides_take_the_slot_and_leave_hands_it_down_or_leaves_a_gap():
    main = Layer(daily("ann", "bob"), priority=1)
    schedule = Schedule(
        layers=(main,),
        overrides=(
            Span("cem", at("2026-03-24 12:00"), at("2026-03-24 18:00")),
            Span("dee", at("2026-03-24 14:00"), at("2026-03-24 15:00")),  # made later: wins
        ),
        leave=(Span("ann", at("2026-03-20 00:00"), at("2026-04-01 00:00")),),
    )
    assert schedule.on_duty(at("2026-03-24 13:00")).primary == "cem"
    assert schedule.on_duty(at("2026-03-24 14:30")).primary == "dee"
    day_of_ann = at("2026-03-24 12:00") + DAY
    if daily("ann", "bob").person_at(day_of_ann) != "ann":
        day_of_ann += DAY
    assert daily("ann", "bob").person_at(day_of_ann) == "ann"
    assert schedule.on_duty(day_of_ann).primary is None  # ann is away: nobody in her slot
    with_cover = Schedule(layers=(main, Layer(daily("pool"), priority=0)), leave=schedule.leave)
    assert with_cover.on_duty(day_of_ann).primary == "pool"
    her_day = day_of_ann.astimezone(AMS).replace(hour=9, minute=0).astimezone(UTC)
    assert (her_day, her_day + DAY) in schedule.gaps(her_day - DAY, her_day + 2 * DAY)


def test_the_backup_is_never_the_primary_nor_someone_away():
    main = Layer(daily("ann", "bob", "cem"))
    assert Schedule(layers=(main,)).on_duty(at("2026-03-24 12:00")) == Schedule(
        layers=(main,)
    ).on_duty(at("2026-03-24 12:00"))
    cover = Schedule(layers=(main,)).on_duty(at("2026-03-24 12:00"))
    assert cover.backup not in (None, cover.primary)
    # A backup layer names the backup; if it names the primary, the next one up is taken.
    second = Layer(daily(cover.primary or ""), role=BACKUP)
    assert Schedule(layers=(main, second)).on_duty(at("2026-03-24 12:00")).backup != cover.primary
    away = Schedule(
        layers=(main,),
        leave=(Span(cover.backup or "", at("2026-03-01 00:00"), at("2026-04-30 00:00")),),
    )
    other = away.on_duty(at("2026-03-24 12:00"))
    assert other.primary == cover.primary and other.backup not in (cover.backup, cover.primary)
    alone = Schedule(layers=(Layer(daily("solo")),)).on_duty(at("2026-03-24 12:00"))
    assert alone == alone.__class__("solo", None)


def test_one_person_on_too_many_brands_at_once_is_found():
    start, end = at("2026-03-24 00:00"), at("2026-03-25 00:00")
    nights = Schedule(layers=(Layer(daily("nina", hour=20)),))
    days = Schedule(layers=(Layer(daily("dana", hour=8)),))
    covers = [
        ("acme", nights.slots(start, end)),
        ("bolt", nights.slots(start, end)),
        ("cube", days.slots(start, end)),
    ]
    found = busiest(covers, limit=1)
    assert [(person, brands) for person, _, _, brands in found] == [("nina", ["acme", "bolt"])]
    assert found[0][1] == start and found[0][2] == end
    assert busiest(covers, limit=2) == []


ZONES = [
    "Europe/Amsterdam",
    "Europe/Stockholm",
    "America/New_York",
    "Australia/Sydney",
    "UTC",
    "Asia/Kolkata",
]


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    people=st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=4),
    shift_minutes=st.integers(min_value=30, max_value=8 * 24 * 60),
    anchor=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1)),
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 20)),
    length_hours=st.integers(min_value=1, max_value=24 * 10),
    window=st.none() | st.tuples(st.integers(0, 23), st.integers(0, 23)),
)
def test_any_rotation_in_any_zone_tiles_the_period_and_agrees_with_on_duty(
    zone, people, shift_minutes, anchor, start, length_hours, window
):
    layer = Layer(
        Rotation(
            people=tuple(people), anchor=anchor, shift=timedelta(minutes=shift_minutes), zone=zone
        ),
        windows=() if window is None else (Window(start=time(window[0]), end=time(window[1])),),
    )
    schedule = Schedule(layers=(layer,))
    begin = start.replace(tzinfo=UTC)
    end = begin + timedelta(hours=length_hours)
    slots = schedule.slots(begin, end)
    assert_tiles(slots, begin, end)
    for s in slots:
        # (the last instant inside the slot: a slot cut by the period may be under a second)
        for moment in (s.start, s.end - timedelta(microseconds=1)):
            cover = schedule.on_duty(moment)
            assert (cover.primary, cover.backup) == (s.primary, s.backup)
