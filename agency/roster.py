"""Writes to the roster of the 24/7 watch (public schema): schedules, their layers and people,
overrides, leave, and shift swaps that a colleague takes and an account manager decides; and
the read that turns a schedule's rows into agency.shifts arithmetic.

Each write is one transaction with its audit event; a swap's transitions lock its row, so two
people taking the same offer, or a decision racing a withdrawal, end with one of them refused.
Nothing here touches a brand's schema.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import takewhile
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from agency import shifts
from agency.exceptions import PermissionDeniedError, StormdeskError
from agency.models import (
    AGENCY_ROLES,
    LayerMember,
    Leave,
    Membership,
    Schedule,
    ScheduleLayer,
    ScheduleOverride,
    ShiftRole,
    ShiftSwap,
    SwapStatus,
    User,
)
from agency.selectors import user_can_manage_clients
from agency.services import audit_record

if TYPE_CHECKING:
    from clients.models import Client


class RosterError(StormdeskError):
    code = "invalid_roster"


class SwapConflictError(StormdeskError):
    code = "swap_conflict"
    status = 409


def _zone(name: str, field: str = "timezone") -> str:
    if name not in zoneinfo.available_timezones():
        raise RosterError(f"'{name}' is not an IANA time zone.", field=field)
    return name


def _stretch(start: datetime, end: datetime) -> None:
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise RosterError("Give times with their offset.", field="start")
    if end <= start:
        raise RosterError("It must end after it starts.", field="end")


def _agency_people(people: Iterable[User]) -> list[User]:
    chosen = list(people)
    ids = {u.pk for u in chosen}
    watching = set(
        Membership.objects.filter(user_id__in=ids, role__in=AGENCY_ROLES).values_list(
            "user_id", flat=True
        )
    )
    if outsiders := [u.email for u in chosen if u.pk not in watching]:
        raise RosterError(
            f"Only agency people take shifts: {', '.join(sorted(outsiders))}.", field="people"
        )
    return chosen


def _windows(windows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    checked = []
    for n, window in enumerate(windows):
        try:
            days = sorted({int(d) for d in window.get("weekdays", range(7))})
            start = time.fromisoformat(str(window["start"]))
            end = time.fromisoformat(str(window["end"]))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise RosterError(
                f"Window {n + 1}: give weekdays (0 = Monday) and start and end as HH:MM.",
                field="windows",
            ) from exc
        if not days or any(d < 0 or d > 6 for d in days):
            raise RosterError(
                f"Window {n + 1}: weekdays run from 0 (Monday) to 6.", field="windows"
            )
        checked.append({"weekdays": days, "start": f"{start:%H:%M}", "end": f"{end:%H:%M}"})
    return checked


@transaction.atomic
def schedule_create(
    *,
    name: str,
    timezone_name: str = "Europe/Amsterdam",
    covers_all: bool = False,
    brands: Iterable[Client] = (),
    is_default: bool = False,
    acting_user: User | None,
) -> Schedule:
    if not name.strip():
        raise RosterError("Name the schedule.", field="name")
    if Schedule.objects.filter(name=name.strip()).exists():
        raise RosterError(f"A schedule named {name.strip()!r} exists already.", field="name")
    if is_default and Schedule.objects.filter(is_default=True).exists():
        raise RosterError("The agency has a default schedule already.", field="is_default")
    schedule = Schedule.objects.create(
        name=name.strip(),
        timezone=_zone(timezone_name),
        covers_all=covers_all,
        is_default=is_default,
    )
    schedule.brands.set(list(brands))
    audit_record(verb="schedule.created", acting_user=acting_user, schedule=schedule.name)
    return schedule


@transaction.atomic
def schedule_layer_add(
    *,
    schedule: Schedule,
    people: Sequence[User],
    starts_on: date,
    hand_off: time,
    shift_hours: int = 24,
    priority: int = 0,
    role: str = ShiftRole.PRIMARY,
    windows: Sequence[dict[str, Any]] = (),
    timezone_name: str = "",
    name: str = "",
    acting_user: User | None,
) -> ScheduleLayer:
    """A rotation of `people` (in that order) on `schedule`."""
    if not people:
        raise RosterError("A rotation needs people.", field="people")
    if shift_hours <= 0 or shift_hours > 24 * 28:
        raise RosterError("A shift lasts from 1 hour to 4 weeks.", field="shift_hours")
    if role not in ShiftRole.values:
        raise RosterError(f"A layer is {' or '.join(ShiftRole.values)}.", field="role")
    layer = ScheduleLayer.objects.create(
        schedule=schedule,
        name=name,
        priority=priority,
        role=role,
        starts_on=starts_on,
        hand_off=hand_off,
        shift_hours=shift_hours,
        timezone=_zone(timezone_name) if timezone_name else "",
        windows=_windows(windows),
    )
    LayerMember.objects.bulk_create(
        LayerMember(layer=layer, user=user, position=n)
        for n, user in enumerate(_agency_people(people))
    )
    audit_record(
        verb="schedule.layer_added",
        acting_user=acting_user,
        schedule=schedule.name,
        people=[u.email for u in people],
    )
    return layer


@transaction.atomic
def schedule_override_add(
    *,
    schedule: Schedule,
    user: User,
    start: datetime,
    end: datetime,
    reason: str = "",
    acting_user: User | None,
) -> ScheduleOverride:
    _stretch(start, end)
    _agency_people([user])
    override = ScheduleOverride.objects.create(
        schedule=schedule,
        user=user,
        start=start,
        end=end,
        reason=reason,
        created_by=acting_user,
    )
    audit_record(
        verb="schedule.override_added",
        acting_user=acting_user,
        schedule=schedule.name,
        user=user.email,
        start=start.isoformat(),
        end=end.isoformat(),
    )
    return override


@transaction.atomic
def leave_add(
    *, user: User, start: datetime, end: datetime, note: str = "", acting_user: User | None
) -> Leave:
    _stretch(start, end)
    leave = Leave.objects.create(user=user, start=start, end=end, note=note)
    audit_record(
        verb="leave.added",
        acting_user=acting_user,
        user=user.email,
        start=start.isoformat(),
        end=end.isoformat(),
    )
    return leave


@transaction.atomic
def swap_offer(
    *, schedule: Schedule, offered_by: User, start: datetime, end: datetime, note: str = ""
) -> ShiftSwap:
    """`offered_by` offers a stretch of their own shifts on `schedule` to a colleague."""
    _stretch(start, end)
    plan = schedule_plan(schedule=schedule, start=start, end=end)
    mine = {s.primary for s in plan.slots(start, end)}
    if mine != {str(offered_by.pk)}:
        raise RosterError("Offer only a stretch in which you are on duty.", field="start")
    swap = ShiftSwap.objects.create(
        schedule=schedule, start=start, end=end, offered_by=offered_by, note=note
    )
    audit_record(verb="swap.offered", acting_user=offered_by, swap=swap.pk)
    return swap


def _locked(swap: ShiftSwap) -> ShiftSwap:
    return ShiftSwap.objects.select_for_update().get(pk=swap.pk)


@transaction.atomic
def swap_take(*, swap: ShiftSwap, taken_by: User) -> ShiftSwap:
    """A colleague takes an offered stretch; nothing changes until it is approved."""
    swap = _locked(swap)
    if swap.status != SwapStatus.OFFERED:
        raise SwapConflictError(f"This swap is {swap.get_status_display().lower()}.")
    if taken_by.pk == swap.offered_by_id:
        raise RosterError("Someone else must take your shift.", field="taken_by")
    _agency_people([taken_by])
    if Leave.objects.filter(user=taken_by, start__lt=swap.end, end__gt=swap.start).exists():
        raise RosterError("You are on leave then.", field="taken_by")
    swap.taken_by, swap.status = taken_by, SwapStatus.TAKEN
    swap.save(update_fields=["taken_by", "status"])
    audit_record(verb="swap.taken", acting_user=taken_by, swap=swap.pk)
    return swap


@transaction.atomic
def swap_decide(*, swap: ShiftSwap, approve: bool, acting_user: User) -> ShiftSwap:
    """An account manager (or agency admin) approves a taken swap, which writes the taker's
    override, or rejects it."""
    if not user_can_manage_clients(user=acting_user):
        raise PermissionDeniedError("Account managers decide on swaps.")
    swap = _locked(swap)
    if swap.status != SwapStatus.TAKEN:
        raise SwapConflictError(f"This swap is {swap.get_status_display().lower()}.")
    swap.decided_by, swap.decided_at = acting_user, timezone.now()
    if approve:
        assert swap.taken_by is not None
        swap.override = ScheduleOverride.objects.create(
            schedule=swap.schedule,
            user=swap.taken_by,
            start=swap.start,
            end=swap.end,
            reason=f"swap {swap.pk} with {swap.offered_by.email}",
            created_by=acting_user,
        )
        swap.status = SwapStatus.APPROVED
    else:
        swap.status = SwapStatus.REJECTED
    swap.save(update_fields=["decided_by", "decided_at", "override", "status"])
    audit_record(verb=f"swap.{swap.status}", acting_user=acting_user, swap=swap.pk)
    return swap


@transaction.atomic
def swap_withdraw(*, swap: ShiftSwap, acting_user: User) -> ShiftSwap:
    swap = _locked(swap)
    if acting_user.pk != swap.offered_by_id:
        raise PermissionDeniedError("Only who offered a swap withdraws it.")
    if swap.status not in (SwapStatus.OFFERED, SwapStatus.TAKEN):
        raise SwapConflictError(f"This swap is {swap.get_status_display().lower()}.")
    swap.status = SwapStatus.WITHDRAWN
    swap.save(update_fields=["status"])
    audit_record(verb="swap.withdrawn", acting_user=acting_user, swap=swap.pk)
    return swap


def schedule_join_default(*, client: Client) -> Schedule | None:
    """At onboarding: the brand joins the agency's default schedule (if it has one that does
    not already cover every brand), so that it is watched from its first minute."""
    default = Schedule.objects.filter(is_default=True).first()
    if default is not None and not default.covers_all:
        default.brands.add(client)
    return default


# --- Reads ----------------------------------------------------------------------------------

# How far back an override or leave is read when planning from a moment: none lasts longer.
LONGEST_SPAN = timedelta(days=366)


def _layer(row: ScheduleLayer, zone: str) -> shifts.Layer:
    people = tuple(str(m.user_id) for m in row.members.all())
    return shifts.Layer(
        rotation=shifts.Rotation(
            people=people or ("",),
            anchor=datetime.combine(row.starts_on, row.hand_off),
            shift=timedelta(hours=row.shift_hours),
            zone=row.timezone or zone,
        ),
        priority=row.priority,
        role=row.role,
        windows=tuple(
            shifts.Window(
                weekdays=frozenset(w["weekdays"]),
                start=time.fromisoformat(w["start"]),
                end=time.fromisoformat(w["end"]),
            )
            for w in row.windows
        ),
        name=row.name,
    )


def schedules_prefetched() -> Any:
    """Schedules with their layers and people, for planning many at once (two queries more)."""
    return Schedule.objects.prefetch_related(
        Prefetch("layers", queryset=ScheduleLayer.objects.prefetch_related("members"))
    )


def schedule_plan(
    *,
    schedule: Schedule,
    start: datetime,
    end: datetime,
    overrides: Sequence[ScheduleOverride] | None = None,
    leave: Sequence[Leave] | None = None,
) -> shifts.Schedule:
    """The schedule's arithmetic for the period from `start` to `end` (its overrides and the
    leave overlapping it; pass them when planning many schedules at once). People are user ids
    as strings."""
    if overrides is None:
        overrides = list(schedule.overrides.filter(start__lt=end, end__gt=start))
    if leave is None:
        leave = list(Leave.objects.filter(start__lt=end, end__gt=start))
    layers = tuple(
        _layer(row, schedule.timezone) for row in schedule.layers.all() if row.members.all()
    )
    return shifts.Schedule(
        layers=layers,
        overrides=tuple(
            shifts.Span(str(o.user_id), o.start, o.end)
            for o in sorted(overrides, key=lambda o: (o.created_at, o.pk))
            if o.schedule_id == schedule.pk
        ),
        leave=tuple(shifts.Span(str(item.user_id), item.start, item.end) for item in leave),
        name=schedule.name,
    )


def _schedules_by_brand(schedules: Sequence[Schedule]) -> Callable[[Client], list[Schedule]]:
    """For a brand, the schedules that cover it in the order they are asked: those naming it,
    then those covering every brand."""
    named: dict[int, list[Schedule]] = {}
    for s in schedules:
        for brand in s.brands.all():
            named.setdefault(brand.pk, []).append(s)
    everyone = [s for s in schedules if s.covers_all]
    return lambda client: [*named.get(client.pk, []), *everyone]


def on_duty_for_brands(
    *, clients: Sequence[Client], at: datetime | None = None
) -> dict[int, tuple[shifts.Cover, Schedule | None]]:
    """Who is on duty for each brand at `at` (default now), and by which schedule: a schedule
    naming the brand first, then one covering all brands; a brand no one covers has
    Cover(None, None). Six queries (schedules, layers, people, brands, overrides, leave)
    whatever the number of brands and schedules."""
    at = at or timezone.now()
    schedules = list(schedules_prefetched().prefetch_related("brands"))
    overrides = list(ScheduleOverride.objects.filter(start__lte=at, end__gt=at))
    leave = list(Leave.objects.filter(start__lte=at, end__gt=at))
    covers = {
        s.pk: schedule_plan(schedule=s, start=at, end=at, overrides=overrides, leave=leave).on_duty(
            at
        )
        for s in schedules
    }
    order = _schedules_by_brand(schedules)
    found: dict[int, tuple[shifts.Cover, Schedule | None]] = {}
    for client in clients:
        found[client.pk] = (shifts.Cover(None, None), None)
        for s in order(client):
            if covers[s.pk].primary is not None:
                found[client.pk] = (covers[s.pk], s)
                break
    return found


def schedules_for_brand(*, client: Client) -> Any:
    return Schedule.objects.filter(Q(brands=client) | Q(covers_all=True)).distinct()


# --- The coverage board ----------------------------------------------------------------------

COVERED, PARTIAL, GAP = "covered", "partial", "gap"
# More brands than this at once for one person, and the board marks the hours.
BRANDS_PER_PERSON = 8


@dataclass(frozen=True)
class BoardCell:
    """One brand's hour: covered the whole hour, partly, or not at all; by whom (the
    primary at the hour's start, else the first in it); and whether that person holds more
    brands at once than they can watch."""

    state: str
    primary: str | None
    overloaded: bool = False


@dataclass(frozen=True)
class BoardRow:
    client: Client
    cells: list[BoardCell]

    @property
    def gap_hours(self) -> int:
        return sum(1 for cell in self.cells if cell.state != COVERED)


@dataclass(frozen=True)
class CoverageBoard:
    hours: list[datetime]  # each hour's start (UTC)
    rows: list[BoardRow]
    people: dict[str, User]  # by user id, for the names

    @property
    def days(self) -> list[list[int]]:
        """The hours' indexes by day (24 each, UTC days)."""
        return [list(range(n, min(n + 24, len(self.hours)))) for n in range(0, len(self.hours), 24)]


def _hourly(
    slots: Sequence[shifts.Slot], hours: Sequence[datetime]
) -> list[tuple[str, str | None]]:
    """Per hour of `hours`: covered/partial/gap and the primary, from a schedule's slots."""
    found: list[tuple[str, str | None]] = []
    i = 0
    for start in hours:
        end = start + timedelta(hours=1)
        while i < len(slots) and slots[i].end <= start:
            i += 1
        inside = list(takewhile(lambda s, end=end: s.start < end, slots[i:]))  # type: ignore[misc]
        if not inside:
            found.append((GAP, None))
            continue
        primaries = [s.primary for s in inside if s.primary is not None]
        whole = all(s.primary is not None for s in inside)
        found.append(
            (
                COVERED if whole else PARTIAL if primaries else GAP,
                primaries[0] if primaries else None,
            )
        )
    return found


def coverage_board(
    *,
    clients: Sequence[Client],
    start: datetime | None = None,
    days: int = 14,
    per_person: int = BRANDS_PER_PERSON,
) -> CoverageBoard:
    """Brand by hour for `days` from `start`'s hour (default now): who covers, where nobody
    does, where one person holds more than `per_person` brands at once. A brand takes the
    cover of the schedules naming it first, then of those covering every brand; an hour is
    covered if one of them covers all of it. Seven queries whatever the number of brands."""
    begin = (start or timezone.now()).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    hours = [begin + timedelta(hours=n) for n in range(days * 24)]
    end = hours[-1] + timedelta(hours=1)
    schedules = list(schedules_prefetched().prefetch_related("brands"))
    overrides = list(ScheduleOverride.objects.filter(start__lt=end, end__gt=begin))
    leave = list(Leave.objects.filter(start__lt=end, end__gt=begin))
    hourly = {
        s.pk: _hourly(
            schedule_plan(schedule=s, start=begin, end=end, overrides=overrides, leave=leave).slots(
                begin, end
            ),
            hours,
        )
        for s in schedules
    }
    order = _schedules_by_brand(schedules)
    chosen: list[tuple[Client, list[tuple[str, str | None]]]] = []
    for client in clients:
        candidates = [hourly[s.pk] for s in order(client)]
        cells = []
        for n in range(len(hours)):
            options = [c[n] for c in candidates]
            cell = next((o for o in options if o[0] == COVERED), None) or next(
                (o for o in options if o[0] == PARTIAL), (GAP, None)
            )
            cells.append(cell)
        chosen.append((client, cells))
    load: list[dict[str, int]] = [{} for _ in hours]
    for _, cells in chosen:
        for n, (_, primary) in enumerate(cells):
            if primary is not None:
                load[n][primary] = load[n].get(primary, 0) + 1
    rows = [
        BoardRow(
            client=client,
            cells=[
                BoardCell(state, primary, primary is not None and load[n][primary] > per_person)
                for n, (state, primary) in enumerate(cells)
            ],
        )
        for client, cells in chosen
    ]
    ids = {int(p) for load_at in load for p in load_at if p}
    people = {str(pk): user for pk, user in User.objects.in_bulk(ids).items()} if ids else {}
    return CoverageBoard(hours=hours, rows=rows, people=people)
