"""The watch log's time arithmetic, plain Python (no Django): which interval applies at a
moment on the brand's wall clock, whether a check is due, the longest stretch without one.

Elapsed time is always measured in UTC, so that a daylight-saving change neither shortens nor
lengthens a stretch; day and night are read on the brand's wall clock, so that night starts at
20:00 there in winter and in summer alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Cadence:
    """How often the brand must be checked: by day, by night, and when night is."""

    day_minutes: int
    night_minutes: int
    night_starts: time
    night_ends: time


def is_night(clock: time, *, starts: time, ends: time) -> bool:
    """Whether the wall-clock time `clock` falls in the night from `starts` to `ends`, which
    may span midnight (20:00-08:00) or not (01:00-06:00); equal bounds: no night."""
    clock = clock.replace(tzinfo=None)
    if starts < ends:
        return starts <= clock < ends
    if starts > ends:
        return clock >= starts or clock < ends
    return False


def interval_at(moment: datetime, cadence: Cadence, zone: ZoneInfo) -> timedelta:
    """The interval between checks that applies at `moment` (aware), by the brand's clock."""
    local = moment.astimezone(zone).time()
    night = is_night(local, starts=cadence.night_starts, ends=cadence.night_ends)
    return timedelta(minutes=cadence.night_minutes if night else cadence.day_minutes)


def check_due(last: datetime | None, now: datetime, cadence: Cadence, zone: ZoneInfo) -> bool:
    """Whether a check is due at `now`: none ever made, or the last one longer ago than the
    interval that applies now."""
    if last is None:
        return True
    return now.astimezone(UTC) - last.astimezone(UTC) > interval_at(now, cadence, zone)


@dataclass(frozen=True)
class Stretch:
    """The longest time without a check inside a period, and where it lay."""

    start: datetime
    end: datetime

    @property
    def length(self) -> timedelta:
        return self.end - self.start


def longest_stretch(since: datetime, until: datetime, checks: Iterable[datetime]) -> Stretch:
    """The longest stretch without a check from `since` to `until`, the period's edges counting
    (from `since` to the first check, from the last check to `until`). Checks outside the period
    are ignored; with none inside it the whole period is the stretch; the earliest stretch wins a
    tie."""
    since, until = since.astimezone(UTC), until.astimezone(UTC)
    if until < since:
        raise ValueError("the period ends before it starts")
    inside = sorted(c.astimezone(UTC) for c in checks if since <= c.astimezone(UTC) <= until)
    best = Stretch(since, until)
    if not inside:
        return best
    best = Stretch(since, inside[0])
    for start, end in zip([*inside], [*inside[1:], until], strict=True):
        if end - start > best.length:
            best = Stretch(start, end)
    return best
