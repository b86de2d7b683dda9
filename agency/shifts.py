"""Shift arithmetic of the 24/7 watch: who is on duty at a moment, the slots of a period, and
where nobody is. Plain Python, no Django: the roster's models (agency) turn their rows into
these values, and the pages, the escalation and the coverage board ask them.

A schedule is layers of rotations. A rotation hands over from one person to the next at fixed
wall-clock times in its own time zone (every day at 09:00, every Monday at 08:00, every 12 hours
from 08:00), so a daylight-saving change moves no hand-off: the shift across it is an hour
shorter or longer, and the slots still meet end to start, with no hour dropped or covered
twice. A layer may be restricted to windows of the week in its own zone (a follow-the-sun desk
in Amsterdam from 08:00 to 20:00, one in Sydney for the rest). At a moment the primary is the
person of an override covering it, else of the highest-priority layer that is in its window
and whose person is not on leave; the backup is the person of the highest backup layer (else
the next one up in the primary's rotation) who is neither the primary nor on leave.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

PRIMARY = "primary"
BACKUP = "backup"


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("moments must carry their time zone")
    return moment.astimezone(UTC)


def _localize(naive: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time in `zone` as an instant. A time the spring change skips (02:30 on
    the last Sunday of March in Europe) is read with the offset before the change, which is
    the instant the clocks reached it; of a time the autumn change repeats, the first."""
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


@dataclass(frozen=True)
class Window:
    """When in the week a layer covers, in its zone: the weekdays (0 = Monday) and the hours
    from `start` to `end` (an `end` at or before `start` runs past midnight)."""

    weekdays: frozenset[int] = frozenset(range(7))
    start: time = time(0)
    end: time = time(0)


@dataclass(frozen=True)
class Rotation:
    """People taking turns: `people[0]` from `anchor` (a wall-clock time in `zone`), each for
    `shift` of wall-clock time, then the next, round and round."""

    people: tuple[str, ...]
    anchor: datetime  # naive, wall-clock in `zone`
    shift: timedelta
    zone: str = "UTC"

    def __post_init__(self) -> None:
        if not self.people:
            raise ValueError("a rotation needs people")
        if self.shift <= timedelta(0):
            raise ValueError("a shift must last")
        if self.anchor.tzinfo is not None:
            raise ValueError("the anchor is a wall-clock time in the rotation's zone")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def boundary(self, k: int) -> datetime:
        """When shift number k begins (shift 0 at the anchor)."""
        return _localize(self.anchor + k * self.shift, self.tz)

    def index_at(self, moment: datetime) -> int:
        """The number of the shift running at `moment`."""
        moment = _aware(moment)
        local = moment.astimezone(self.tz).replace(tzinfo=None)
        k = (local - self.anchor) // self.shift
        # The wall-clock estimate can be off by one next to a DST change: settle on instants.
        while self.boundary(k + 1) <= moment:
            k += 1
        while self.boundary(k) > moment:
            k -= 1
        return k

    def person_at(self, moment: datetime) -> str:
        return self.people[self.index_at(moment) % len(self.people)]

    def next_person_at(self, moment: datetime, after: int = 1) -> str:
        return self.people[(self.index_at(moment) + after) % len(self.people)]

    def boundaries(self, start: datetime, end: datetime) -> list[datetime]:
        """The hand-offs strictly inside (start, end)."""
        k = self.index_at(start) + 1
        found = []
        while (moment := self.boundary(k)) < end:
            found.append(moment)
            k += 1
        return found


@dataclass(frozen=True)
class Layer:
    rotation: Rotation
    priority: int = 0
    role: str = PRIMARY
    windows: tuple[Window, ...] = ()  # none: always
    name: str = ""

    def covers(self, moment: datetime) -> bool:
        if not self.windows:
            return True
        local = _aware(moment).astimezone(self.rotation.tz)
        return any(_in_window(window, local) for window in self.windows)

    def window_edges(self, start: datetime, end: datetime) -> list[datetime]:
        """Where a window opens or closes strictly inside (start, end)."""
        if not self.windows:
            return []
        tz = self.rotation.tz
        day = _aware(start).astimezone(tz).date() - timedelta(days=1)
        last = _aware(end).astimezone(tz).date() + timedelta(days=1)
        edges = []
        while day <= last:
            for window in self.windows:
                for clock in (window.start, window.end):
                    moment = _localize(datetime.combine(day, clock), tz)
                    if start < moment < end:
                        edges.append(moment)
            day += timedelta(days=1)
        return edges


def _in_window(window: Window, local: datetime) -> bool:
    clock, weekday = local.time(), local.weekday()
    if window.start < window.end:
        return weekday in window.weekdays and window.start <= clock < window.end
    # Past midnight (or the whole day when start == end): the part before midnight belongs
    # to the day it starts on, the part after to the day before.
    if clock >= window.start:
        return weekday in window.weekdays
    if clock < window.end:
        return (weekday - 1) % 7 in window.weekdays
    return False


@dataclass(frozen=True)
class Span:
    """A person's interval: an override (they take it) or leave (they are away)."""

    person: str
    start: datetime
    end: datetime

    def holds(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True)
class Cover:
    primary: str | None
    backup: str | None


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    primary: str | None
    backup: str | None


@dataclass(frozen=True)
class Schedule:
    layers: tuple[Layer, ...]
    overrides: tuple[Span, ...] = ()
    leave: tuple[Span, ...] = ()
    name: str = field(default="", compare=False)

    def _away(self, person: str, moment: datetime) -> bool:
        return any(span.person == person and span.holds(moment) for span in self.leave)

    def on_duty(self, moment: datetime) -> Cover:
        """Who is primary and who is backup at `moment` (either may be None: a gap)."""
        moment = _aware(moment)
        ordered = sorted(self.layers, key=lambda layer: -layer.priority)
        primary_layer: Layer | None = None
        primary = next(
            (o.person for o in reversed(self.overrides) if o.holds(moment)), None
        )  # the override made last wins
        if primary is None:
            for layer in ordered:
                if layer.role != PRIMARY or not layer.covers(moment):
                    continue
                person = layer.rotation.person_at(moment)
                if not self._away(person, moment):
                    primary, primary_layer = person, layer
                    break
        backup = None
        for layer in ordered:
            if layer.role == BACKUP and layer.covers(moment):
                person = layer.rotation.person_at(moment)
                if person != primary and not self._away(person, moment):
                    backup = person
                    break
        if backup is None and primary_layer is not None:
            rotation = primary_layer.rotation
            for after in range(1, len(rotation.people)):
                person = rotation.next_person_at(moment, after)
                if person != primary and not self._away(person, moment):
                    backup = person
                    break
        return Cover(primary, backup)

    def changes(self, start: datetime, end: datetime) -> list[datetime]:
        """Every moment in (start, end) at which the cover may change."""
        points: set[datetime] = set()
        for layer in self.layers:
            points.update(layer.rotation.boundaries(start, end))
            points.update(layer.window_edges(start, end))
        for span in (*self.overrides, *self.leave):
            points.update(p for p in (span.start, span.end) if start < p < end)
        return sorted(points)

    def slots(self, start: datetime, end: datetime) -> list[Slot]:
        """The period from `start` to `end` as consecutive slots of one cover each: they meet
        end to start and together last exactly as long as the period."""
        start, end = _aware(start), _aware(end)
        if end <= start:
            return []
        edges = [start, *self.changes(start, end), end]
        slots: list[Slot] = []
        for begin, finish in pairwise(edges):
            cover = self.on_duty(begin)
            if slots and (slots[-1].primary, slots[-1].backup) == (cover.primary, cover.backup):
                slots[-1] = Slot(slots[-1].start, finish, cover.primary, cover.backup)
            else:
                slots.append(Slot(begin, finish, cover.primary, cover.backup))
        return slots

    def gaps(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Where nobody is primary between `start` and `end`."""
        return [(s.start, s.end) for s in self.slots(start, end) if s.primary is None]


def hours(start: datetime, end: datetime) -> Iterable[datetime]:
    """The whole hours (UTC) from `start`'s hour up to `end`, for boards by the hour."""
    moment = _aware(start).replace(minute=0, second=0, microsecond=0)
    while moment < _aware(end):
        yield moment
        moment += timedelta(hours=1)


def busiest(
    covers: Sequence[tuple[str, Sequence[Slot]]], limit: int
) -> list[tuple[str, datetime, datetime, list[str]]]:
    """Where one person is primary for more than `limit` brands at once: (person, start, end,
    the brands), from each brand's slots over the same period."""
    edges = sorted({moment for _, slots in covers for s in slots for moment in (s.start, s.end)})
    found: list[tuple[str, datetime, datetime, list[str]]] = []
    for begin, finish in pairwise(edges):
        load: dict[str, list[str]] = {}
        for brand, slots in covers:
            for s in slots:
                if s.start <= begin < s.end and s.primary is not None:
                    load.setdefault(s.primary, []).append(brand)
        for person, brands in sorted(load.items()):
            if len(brands) > limit:
                if (
                    found
                    and found[-1][0] == person
                    and found[-1][2] == begin
                    and found[-1][3] == brands
                ):
                    found[-1] = (person, found[-1][1], finish, brands)
                else:
                    found.append((person, begin, finish, brands))
    return found
