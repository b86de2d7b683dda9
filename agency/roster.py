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
from itertools import pairwise, takewhile
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from agency import shifts
from agency.exceptions import PermissionDeniedError, StormdeskError
from agency.models import (
    AGENCY_ROLES,
    LayerMember,
    Leave,
    Membership,
    Role,
    Schedule,
    ScheduleLayer,
    ScheduleOverride,
    ShiftRole,
    ShiftSwap,
    SwapStatus,
    User,
)
from agency.reminders import (
    layer_summary,
    leave_notify_on_commit,
    override_summary,
    schedule_change_notify_on_commit,
    schedule_people,
    swap_summary,
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
    for_duty_managers: bool = False,
    acting_user: User | None,
) -> Schedule:
    """A schedule of brands (some, or all), or the agency's duty managers' (no brands: it is
    the last step of every escalation and the fallback when a brand has nobody on duty)."""
    if not name.strip():
        raise RosterError("Name the schedule.", field="name")
    brands = list(brands)
    if for_duty_managers and (covers_all or brands or is_default):
        raise RosterError(
            "The duty managers' schedule covers no brand itself.", field="for_duty_managers"
        )
    if Schedule.objects.filter(name=name.strip()).exists():
        raise RosterError(f"A schedule named {name.strip()!r} exists already.", field="name")
    if is_default and Schedule.objects.filter(is_default=True).exists():
        raise RosterError("The agency has a default schedule already.", field="is_default")
    schedule = Schedule.objects.create(
        name=name.strip(),
        timezone=_zone(timezone_name),
        covers_all=covers_all,
        is_default=is_default,
        for_duty_managers=for_duty_managers,
    )
    schedule.brands.set(brands)
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
    schedule_change_notify_on_commit(
        schedule=schedule,
        summary=layer_summary(layer=layer, people=people),
        people=people,
        acting_user=acting_user,
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
    schedule_change_notify_on_commit(
        schedule=schedule,
        summary=override_summary(override=override),
        people=[user, *schedule_people(schedule=schedule)],
        acting_user=acting_user,
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
    leave_notify_on_commit(leave=leave, acting_user=acting_user)
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
    schedule_change_notify_on_commit(
        schedule=swap.schedule,
        summary=swap_summary(swap=swap),
        people=[p for p in (swap.offered_by, swap.taken_by) if p is not None],
        acting_user=acting_user,
    )
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


def duty_managers_on_duty(*, at: datetime | None = None) -> list[User]:
    """The agency's duty managers at `at` (default now): the primary, then the backup, of the
    schedules marked for duty managers; empty if none is on."""
    at = at or timezone.now()
    ids: list[int] = []
    for s in schedules_prefetched().filter(for_duty_managers=True):
        cover = schedule_plan(schedule=s, start=at, end=at).on_duty(at)
        ids.extend(int(p) for p in (cover.primary, cover.backup) if p and int(p) not in ids)
    found = User.objects.filter(pk__in=ids, is_active=True).in_bulk()
    return [found[pk] for pk in ids if pk in found]


def agency_admins() -> list[User]:
    """The last resort of every page: the agency's admins."""
    return list(
        User.objects.filter(
            is_active=True, memberships__role=Role.AGENCY_ADMIN, memberships__client__isnull=True
        )
        .distinct()
        .order_by("id")
    )


# --- The roster's pages and API: who sees what, a person's shifts, a brand's cover, and the
# writes that undo (issue 13, point 7). Public schema only, like everything above. ---------

# Times the roster takes: within this century, so that no arithmetic overflows; a swap spans at
# most a month, an override or leave at most LONGEST_SPAN (a plan reads no further back).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
LONGEST_SWAP = timedelta(days=31)
MAX_TEXT = 300  # an override's reason, a leave's or a swap's note


def roster_stretch_check(
    start: datetime, end: datetime, *, longest: timedelta = LONGEST_SPAN, field: str = "start"
) -> None:
    """Refuse a stretch the roster cannot take: naive, backwards, outside 2000-2100 or longer
    than `longest` (RosterError, on `field` or on `end`)."""
    _stretch(start, end)
    if start < EARLIEST or end > LATEST:
        raise RosterError("Give times between the years 2000 and 2100.", field=field)
    if end - start > longest:
        raise RosterError(f"It lasts at most {longest.days} days.", field="end")


def roster_text_check(text: str, field: str) -> str:
    if len(text) > MAX_TEXT:
        raise RosterError(f"At most {MAX_TEXT} characters.", field=field)
    return text


def _require_manager(acting_user: User | None, what: str) -> User:
    if acting_user is None or not user_can_manage_clients(user=acting_user):
        raise PermissionDeniedError(f"Account managers and agency admins {what}.")
    return acting_user


def _layer_people(schedule: Schedule) -> list[User]:
    from agency.reminders import schedule_people

    return list(schedule_people(schedule=schedule))


def _when(moment: datetime, zone: str) -> str:
    from agency.reminders import when

    return when(moment, zone)


def _name(user: User) -> str:
    from agency.reminders import person_name

    return person_name(user)


def _notify(*, schedule: Schedule, summary: Any, people: Iterable[User], acting_user: User) -> None:
    """The schedule's people hear of the change once it commits (agency.reminders)."""
    from agency.reminders import schedule_change_notify_on_commit

    schedule_change_notify_on_commit(
        schedule=schedule, summary=summary, people=people, acting_user=acting_user
    )


@transaction.atomic
def schedule_update(
    *,
    schedule: Schedule,
    acting_user: User,
    name: str | None = None,
    timezone_name: str | None = None,
    covers_all: bool | None = None,
    brands: Iterable[Client] | None = None,
    for_duty_managers: bool | None = None,
) -> Schedule:
    """Change a schedule's name, zone or brands, or whether it is the duty managers' (None:
    leave it). Account managers and agency admins; its people hear of it."""
    _require_manager(acting_user, "change schedules")
    schedule = Schedule.objects.select_for_update().get(pk=schedule.pk)
    brands = list(brands) if brands is not None else None
    changed: list[str] = []
    if name is not None and name.strip() != schedule.name:
        name = name.strip()
        if not name:
            raise RosterError("Name the schedule.", field="name")
        if Schedule.objects.filter(name=name).exclude(pk=schedule.pk).exists():
            raise RosterError(f"A schedule named {name!r} exists already.", field="name")
        schedule.name = name
        changed.append("name")
    if timezone_name is not None and timezone_name != schedule.timezone:
        schedule.timezone = _zone(timezone_name)
        changed.append("timezone")
    if covers_all is not None and covers_all != schedule.covers_all:
        schedule.covers_all = covers_all
        changed.append("covers_all")
    if for_duty_managers is not None and for_duty_managers != schedule.for_duty_managers:
        schedule.for_duty_managers = for_duty_managers
        changed.append("for_duty_managers")
    if schedule.for_duty_managers and (schedule.covers_all or bool(brands)):
        raise RosterError(
            "The duty managers' schedule covers no brand itself.", field="for_duty_managers"
        )
    if changed:
        schedule.save(update_fields=changed)
    if brands is not None:
        chosen = list(brands)
        if {b.pk for b in chosen} != set(schedule.brands.values_list("pk", flat=True)):
            schedule.brands.set(chosen)
            changed.append("brands")
    if not changed:
        return schedule
    audit_record(
        verb="schedule.updated", acting_user=acting_user, schedule=schedule.name, changed=changed
    )
    _notify(
        schedule=schedule,
        summary=format_lazy(
            gettext_lazy("{schedule} changed: its name, time zone or the brands it covers."),
            schedule=schedule.name,
        ),
        people=_layer_people(schedule),
        acting_user=acting_user,
    )
    return schedule


@transaction.atomic
def schedule_layer_remove(*, layer: ScheduleLayer, acting_user: User) -> None:
    """Take a rotation off its schedule (account managers and agency admins); its people and
    the schedule's other people hear of it."""
    _require_manager(acting_user, "change schedules")
    layer = ScheduleLayer.objects.select_for_update().select_related("schedule").get(pk=layer.pk)
    schedule = layer.schedule
    people = _layer_people(schedule)
    label = layer.name or layer.get_role_display()
    layer.delete()
    audit_record(
        verb="schedule.layer_removed",
        acting_user=acting_user,
        schedule=schedule.name,
        layer=str(label),
        people=sorted(u.email for u in people),
    )
    _notify(
        schedule=schedule,
        summary=format_lazy(
            gettext_lazy("A rotation of {schedule} was removed: {layer}."),
            schedule=schedule.name,
            layer=label,
        ),
        people=people,
        acting_user=acting_user,
    )


@transaction.atomic
def schedule_override_remove(*, override: ScheduleOverride, acting_user: User) -> None:
    """Remove an override (account managers and agency admins); the rotation covers its
    stretch again. An approved swap's override stays: add another one over it instead (the
    override made last wins)."""
    _require_manager(acting_user, "remove overrides")
    override = (
        ScheduleOverride.objects.select_for_update()
        .select_related("schedule", "user")
        .get(pk=override.pk)
    )
    if ShiftSwap.objects.filter(override=override).exists():
        raise RosterError(
            "This override is an approved swap: add another override over it instead.",
            field="override",
        )
    schedule, person = override.schedule, override.user
    start, end = override.start, override.end
    override.delete()
    audit_record(
        verb="schedule.override_removed",
        acting_user=acting_user,
        schedule=schedule.name,
        user=person.email,
        start=start.isoformat(),
        end=end.isoformat(),
    )
    _notify(
        schedule=schedule,
        summary=format_lazy(
            gettext_lazy("An override of {schedule} was removed: {person}, {start} to {end}."),
            schedule=schedule.name,
            person=_name(person),
            start=_when(start, schedule.timezone),
            end=_when(end, schedule.timezone),
        ),
        people=[person, *_layer_people(schedule)],
        acting_user=acting_user,
    )


def _leave_allowed(*, user: User, acting_user: User) -> None:
    if acting_user.pk != user.pk and not user_can_manage_clients(user=acting_user):
        raise PermissionDeniedError(
            "You enter and remove your own leave; account managers and agency admins anyone's."
        )


def leave_record(
    *, user: User, start: datetime, end: datetime, note: str = "", acting_user: User
) -> Leave:
    """Leave as the pages and the API take it: a person's own, or anyone's when an account
    manager or agency admin enters it; agency people only (nobody else takes shifts); a
    stretch the roster can plan (roster_stretch_check). Then leave_add."""
    _leave_allowed(user=user, acting_user=acting_user)
    try:
        _agency_people([user])
    except RosterError as exc:
        raise RosterError(exc.message, field="user") from exc
    roster_stretch_check(start, end)
    roster_text_check(note, "note")
    return leave_add(user=user, start=start, end=end, note=note, acting_user=acting_user)


@transaction.atomic
def leave_remove(*, leave: Leave, acting_user: User) -> None:
    """Remove leave (its person, or an account manager or agency admin); the colleagues on
    the person's schedules hear of it, as of leave added."""
    leave = Leave.objects.select_for_update().select_related("user").get(pk=leave.pk)
    _leave_allowed(user=leave.user, acting_user=acting_user)
    person, start, end = leave.user, leave.start, leave.end
    leave.delete()
    audit_record(
        verb="leave.removed",
        acting_user=acting_user,
        user=person.email,
        start=start.isoformat(),
        end=end.isoformat(),
    )
    for schedule in Schedule.objects.filter(layers__members__user=person).distinct():
        _notify(
            schedule=schedule,
            summary=format_lazy(
                gettext_lazy("{person} is no longer away from {start} to {end}."),
                person=_name(person),
                start=_when(start, schedule.timezone),
                end=_when(end, schedule.timezone),
            ),
            people=_layer_people(schedule),
            acting_user=acting_user,
        )


def schedules_for_person(*, user: User, role: str | None = None) -> Any:
    """The schedules `user` may see: all of them for account managers and agency admins; for
    agency staff those covering every brand or one of theirs, and those they take shifts on;
    none for anyone else (client viewers see a brand's cover on its host, brand_cover).
    `role`: the person's role (agency.selectors.user_agency_role), if the caller has it."""
    from agency.selectors import clients_for_user, user_agency_role

    role = role or user_agency_role(user=user)
    if role in (Role.AGENCY_ADMIN, Role.ACCOUNT_MANAGER):
        return Schedule.objects.all()
    if role != Role.AGENCY_STAFF:
        return Schedule.objects.none()
    return Schedule.objects.filter(
        Q(covers_all=True)
        | Q(brands__in=clients_for_user(user=user))
        | Q(layers__members__user=user)
        | Q(overrides__user=user)
    ).distinct()


def person_name(user: User | None) -> str | None:
    """What a brand's people read of someone on duty: the name, never the e-mail address."""
    if user is None:
        return None
    return user.full_name.strip() or gettext("Someone of the agency")


@dataclass(frozen=True)
class PersonShift:
    """A stretch in which one person is primary or backup on one schedule (consecutive slots
    of theirs merged into one)."""

    schedule: Schedule
    role: str
    start: datetime
    end: datetime


def _runs(slots: Sequence[shifts.Slot], person: str, role: str) -> list[tuple[datetime, datetime]]:
    runs: list[tuple[datetime, datetime]] = []
    for slot in slots:
        if getattr(slot, role) != person:
            continue
        if runs and runs[-1][1] == slot.start:
            runs[-1] = (runs[-1][0], slot.end)
        else:
            runs.append((slot.start, slot.end))
    return runs


def person_shifts(*, user: User, start: datetime, end: datetime) -> list[PersonShift]:
    """`user`'s shifts from `start` to `end` on every schedule, by start (the schedules come
    with their brands prefetched). Seven queries, whatever the number of schedules."""
    schedules = list(
        schedules_prefetched()
        .prefetch_related("brands")
        .filter(
            Q(layers__members__user=user)
            | Q(overrides__user=user, overrides__start__lt=end, overrides__end__gt=start)
        )
        .distinct()
    )
    overrides = list(
        ScheduleOverride.objects.filter(schedule__in=schedules, start__lt=end, end__gt=start)
    )
    leave = list(Leave.objects.filter(start__lt=end, end__gt=start))
    me = str(user.pk)
    found: list[PersonShift] = []
    for schedule in schedules:
        plan = schedule_plan(
            schedule=schedule, start=start, end=end, overrides=overrides, leave=leave
        )
        slots = plan.slots(start, end)
        for role in (ShiftRole.PRIMARY, ShiftRole.BACKUP):
            found += [
                PersonShift(schedule=schedule, role=role, start=a, end=b)
                for a, b in _runs(slots, me, role)
            ]
    return sorted(found, key=lambda s: (s.start, s.role != ShiftRole.PRIMARY, s.schedule.name))


@dataclass(frozen=True)
class CalendarSlot:
    """A slot of one schedule with its people, and whether an override makes its primary."""

    start: datetime
    end: datetime
    primary: User | None
    backup: User | None
    override: bool


def schedule_slots(*, schedule: Schedule, start: datetime, end: datetime) -> list[CalendarSlot]:
    """The schedule's slots from `start` to `end` with their people, an override's marked.
    Give a schedule from schedules_prefetched(). Three queries (overrides, leave, people)."""
    overrides = list(schedule.overrides.filter(start__lt=end, end__gt=start))
    leave = list(Leave.objects.filter(start__lt=end, end__gt=start))
    plan = schedule_plan(schedule=schedule, start=start, end=end, overrides=overrides, leave=leave)
    slots = plan.slots(start, end)
    ids = {int(p) for s in slots for p in (s.primary, s.backup) if p}
    people = User.objects.in_bulk(ids) if ids else {}

    def person(key: str | None) -> User | None:
        return people.get(int(key)) if key else None

    def overridden(slot: shifts.Slot) -> bool:
        return any(
            str(o.user_id) == slot.primary and o.start < slot.end and o.end > slot.start
            for o in overrides
        )

    return [
        CalendarSlot(s.start, s.end, person(s.primary), person(s.backup), overridden(s))
        for s in slots
    ]


@dataclass(frozen=True)
class CoverStretch:
    """A stretch of a brand's cover: who is primary and backup, by which schedule."""

    start: datetime
    end: datetime
    primary: User | None
    backup: User | None
    schedule: Schedule | None


def brand_cover(*, client: Client, start: datetime, days: int = 7) -> list[CoverStretch]:
    """Who covers `client` from `start` for `days`, as consecutive stretches: the schedules
    naming it first, then those covering every brand (as on_duty_for_brands asks them); a
    stretch nobody covers has no primary. Six queries, whatever the number of schedules."""
    end = start + timedelta(days=days)
    named = Schedule.brands.through.objects.filter(schedule_id=OuterRef("pk"), client_id=client.pk)
    schedules = list(
        schedules_prefetched()
        .annotate(named=Exists(named))
        .filter(Q(named=True) | Q(covers_all=True))
        .order_by("-named", "name")
    )
    overrides = list(
        ScheduleOverride.objects.filter(schedule__in=schedules, start__lt=end, end__gt=start)
    )
    leave = list(Leave.objects.filter(start__lt=end, end__gt=start))
    plans = [
        (s, schedule_plan(schedule=s, start=start, end=end, overrides=overrides, leave=leave))
        for s in schedules
    ]
    slots = [(s, plan.slots(start, end)) for s, plan in plans]
    edges = sorted({start, end, *(m for _, ss in slots for x in ss for m in (x.start, x.end))})
    picked: list[tuple[datetime, datetime, str | None, str | None, Schedule | None]] = []
    index = [0] * len(slots)
    for begin, finish in pairwise(edges):
        choice: tuple[str | None, str | None, Schedule | None] = (None, None, None)
        for n, (schedule, own) in enumerate(slots):
            while index[n] < len(own) and own[index[n]].end <= begin:
                index[n] += 1
            if index[n] < len(own) and own[index[n]].primary is not None:
                choice = (own[index[n]].primary, own[index[n]].backup, schedule)
                break
        if picked and picked[-1][2:] == choice:
            picked[-1] = (picked[-1][0], finish, *choice)
        else:
            picked.append((begin, finish, *choice))
    ids = {int(p) for item in picked for p in item[2:4] if p}
    people = User.objects.in_bulk(ids) if ids else {}
    return [
        CoverStretch(
            a,
            b,
            people.get(int(p)) if p else None,
            people.get(int(k)) if k else None,
            s,
        )
        for a, b, p, k, s in picked
    ]


def schedules_with_people() -> Any:
    """Schedules with their brands, layers and the layers' people (users joined), for the pages
    and the API that show them: four queries however many there are."""
    members = LayerMember.objects.select_related("user")
    layers = ScheduleLayer.objects.prefetch_related(Prefetch("members", queryset=members))
    return Schedule.objects.prefetch_related("brands", Prefetch("layers", queryset=layers))


def on_duty_of_schedules(
    *, schedules: Sequence[Schedule], at: datetime
) -> dict[int, tuple[User | None, User | None]]:
    """Each schedule's primary and backup at `at` (give them with their layers prefetched):
    three queries (overrides, leave, people) whatever their number."""
    overrides = list(
        ScheduleOverride.objects.filter(schedule__in=schedules, start__lte=at, end__gt=at)
    )
    leave = list(Leave.objects.filter(start__lte=at, end__gt=at))
    covers = {
        s.pk: schedule_plan(schedule=s, start=at, end=at, overrides=overrides, leave=leave).on_duty(
            at
        )
        for s in schedules
    }
    ids = {int(p) for c in covers.values() for p in (c.primary, c.backup) if p}
    people = User.objects.in_bulk(ids) if ids else {}
    return {
        pk: (
            people.get(int(c.primary)) if c.primary else None,
            people.get(int(c.backup)) if c.backup else None,
        )
        for pk, c in covers.items()
    }


def swaps_for_person(*, user: User, role: str | None = None) -> Any:
    """The swaps `user` may see: all for account managers and agency admins (they decide
    them); for agency staff their own (offered or taken) and the open offers on the schedules
    they see; none for anyone else. `role` as for schedules_for_person."""
    from agency.selectors import user_agency_role

    role = role or user_agency_role(user=user)
    if role in (Role.AGENCY_ADMIN, Role.ACCOUNT_MANAGER):
        return ShiftSwap.objects.all()
    if role != Role.AGENCY_STAFF:
        return ShiftSwap.objects.none()
    return ShiftSwap.objects.filter(
        Q(offered_by=user)
        | Q(taken_by=user)
        | Q(status=SwapStatus.OFFERED, schedule__in=schedules_for_person(user=user, role=role))
    )


def brand_handoffs(stretches: Sequence[CoverStretch]) -> list[CoverStretch]:
    """A brand's cover as its hand-offs: consecutive stretches of the same primary (by the same
    schedule) as one, with the backup its first part has."""
    merged: list[CoverStretch] = []
    for s in stretches:
        last = merged[-1] if merged else None
        if last is not None and (last.primary, last.schedule) == (s.primary, s.schedule):
            merged[-1] = CoverStretch(last.start, s.end, last.primary, last.backup, last.schedule)
        else:
            merged.append(s)
    return merged


def account_managers_for(*, client: Client) -> list[User]:
    """Whom a brand's escalations and gap notices reach as its account manager: the one named
    on the brand, else every account manager of the agency."""
    if client.account_manager_id is not None:
        manager = User.objects.filter(pk=client.account_manager_id, is_active=True).first()
        if manager is not None:
            return [manager]
    return list(
        User.objects.filter(
            is_active=True,
            memberships__role=Role.ACCOUNT_MANAGER,
            memberships__client__isnull=True,
        )
        .distinct()
        .order_by("id")
    )
