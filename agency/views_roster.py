"""Pages of the roster (issue 13, point 7): on the agency host the schedules, a schedule's week
calendar, "my shifts" with leave, and shift swaps, for the agency's people; on a brand host the
small "Who watches" part of its watch page, for everyone on the brand.

A page resolves who is asking, validates with a form from agency.forms_roster, calls the
roster service the API calls, and renders. Every write is a POST; a person sees only the
controls their role may use, and the handler checks the role again (403). What a form typed
wrong, or a service refused, is a field error (400); a refused button press is a message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from agency.exceptions import PermissionDeniedError, StormdeskError
from agency.forms_roster import (
    DecideForm,
    LayerForm,
    LeaveForm,
    OfferForm,
    OverrideForm,
    ScheduleForm,
    WeekForm,
    agency_people,
    field_error,
)
from agency.models import (
    AGENCY_ROLES,
    AGENCY_WIDE_ROLES,
    Leave,
    Schedule,
    ScheduleLayer,
    ScheduleOverride,
    ShiftRole,
    ShiftSwap,
    SwapStatus,
    User,
)
from agency.roster import (
    CalendarSlot,
    brand_cover,
    brand_handoffs,
    leave_record,
    leave_remove,
    on_duty_of_schedules,
    person_name,
    person_shifts,
    schedule_create,
    schedule_layer_add,
    schedule_layer_remove,
    schedule_override_add,
    schedule_override_remove,
    schedule_slots,
    schedule_update,
    schedules_for_person,
    schedules_with_people,
    swap_decide,
    swap_offer,
    swap_take,
    swap_withdraw,
    swaps_for_person,
)
from agency.selectors import clients_for_user, user_agency_role
from clients.models import Client, zone_or_utc
from clients.views import time_zones

SHIFT_DAYS = 14
COVER_DAYS = 7
DEFAULT_ZONE = str(Schedule._meta.get_field("timezone").default)
DASH = "\N{EN DASH}"
# The swaps page lists a person's own swaps up to this many, newest first (the API has all).
MINE_SHOWN = 30


@dataclass(frozen=True)
class Viewer:
    user: User
    role: str
    manages: bool  # an account manager or agency admin: changes schedules, decides swaps


def _viewer(request: HttpRequest) -> Viewer:
    """The agency person asking; anyone else (a client viewer, no role) is refused."""
    role = user_agency_role(user=request.user)
    if role not in AGENCY_ROLES:
        raise PermissionDenied
    return Viewer(user=request.user, role=role, manages=role in AGENCY_WIDE_ROLES)  # type: ignore[arg-type]


def _manager(request: HttpRequest) -> Viewer:
    viewer = _viewer(request)
    if not viewer.manages:
        raise PermissionDenied
    return viewer


def _visible_brands(viewer: Viewer) -> set[int]:
    brands = Client.objects.brands() if viewer.manages else clients_for_user(user=viewer.user)
    return set(brands.values_list("pk", flat=True))


def _brands_of(schedule: Schedule, visible: set[int]) -> list[Client]:
    """The brands of `schedule` the viewer covers too (agency staff see only their brands)."""
    return [b for b in schedule.brands.all() if b.pk in visible]


def _schedule_for(viewer: Viewer, pk: int) -> Schedule:
    """A schedule the viewer may see, with its people and brands; else 404."""
    visible = schedules_for_person(user=viewer.user, role=viewer.role).values("pk")
    found = schedules_with_people().filter(pk=pk, pk__in=visible).first()
    if found is None:
        raise Http404
    return found  # type: ignore[no-any-return]


def _week_name(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def _offset(moment: datetime) -> str:
    text = moment.strftime("%z") or "+0000"
    return f"{text[:3]}:{text[3:]}"


def _length(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if minutes:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(hours)d h") % {"hours": hours}


def _days_text(days: Sequence[int]) -> str:
    """Weekdays as people write them, with an en dash: "Mon-Fri", "Mon, Wed, Sat-Sun"."""
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(
        str(WEEKDAYS_ABBR[r[0]])
        if len(r) == 1
        else f"{WEEKDAYS_ABBR[r[0]]}{DASH}{WEEKDAYS_ABBR[r[-1]]}"
        for r in runs
    )


def _layer_rows(schedule: Schedule) -> list[dict[str, Any]]:
    return [
        {
            "layer": layer,
            "people": [m.user for m in layer.members.all()],
            "windows": [
                f"{_days_text(w['weekdays'])} {w['start']}{DASH}{w['end']}" for w in layer.windows
            ],
            "zone": layer.timezone or schedule.timezone,
        }
        for layer in schedule.layers.all()
    ]


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    # (base.html shows the agency's navigation on the pages only agency people reach)
    return render(
        request, f"agency/roster/{template}", {**context, "roster_nav": True}, status=status
    )


# --- The schedules ---------------------------------------------------------------------------


def _schedules_context(
    viewer: Viewer,
    *,
    create_form: ScheduleForm | None = None,
    layer_form: LayerForm | None = None,
    chosen: str | None = None,
) -> dict[str, Any]:
    visible = schedules_for_person(user=viewer.user, role=viewer.role).values("pk")
    schedules = list(schedules_with_people().filter(pk__in=visible))
    brands = _visible_brands(viewer)
    duty = on_duty_of_schedules(schedules=schedules, at=timezone.now())
    rows = [
        {
            "schedule": s,
            "brands": _brands_of(s, brands),
            "others": len(s.brands.all()) - len(_brands_of(s, brands)),
            "primary": duty[s.pk][0],
            "backup": duty[s.pk][1],
            "layers": len(s.layers.all()),
        }
        for s in schedules
    ]
    context: dict[str, Any] = {"rows": rows, "manages": viewer.manages}
    if viewer.manages:
        people = agency_people()
        context["create_form"] = create_form or ScheduleForm(initial={"timezone": DEFAULT_ZONE})
        context["layer_form"] = layer_form or LayerForm(
            schedules=[(s.pk, s.name) for s in schedules],
            people=people,
            initial={"schedule": chosen, "starts_on": timezone.localdate()},
        )
        context["time_zones"] = time_zones()
    return context


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def schedules_page(request: HttpRequest) -> HttpResponse:
    """The schedules the person sees: which brands each covers, who is on duty now; account
    managers and agency admins create schedules here (POST) and add rotations."""
    if request.method != "POST":
        viewer = _viewer(request)
        context = _schedules_context(viewer, chosen=request.GET.get("schedule"))
        return _render(request, "schedules.html", context)
    viewer = _manager(request)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            schedule = schedule_create(
                name=data["name"],
                timezone_name=data["timezone"],
                covers_all=data["covers_all"],
                brands=data["brands"],
                for_duty_managers=data.get("for_duty_managers", False),
                acting_user=viewer.user,
            )
        except StormdeskError as exc:
            field_error(form, exc)
        else:
            messages.success(
                request,
                _("Schedule %(name)s created. Next: add its rotations.") % {"name": schedule.name},
            )
            return redirect(f"{reverse('schedules')}?schedule={schedule.pk}#add-layer")
    context = _schedules_context(viewer, create_form=form)
    return _render(request, "schedules.html", context, status=400)


@login_required
@require_POST
def layer_add_page(request: HttpRequest) -> HttpResponse:
    viewer = _manager(request)
    schedules = list(schedules_with_people())
    form = LayerForm(
        request.POST, schedules=[(s.pk, s.name) for s in schedules], people=agency_people()
    )
    if form.is_valid():
        data = form.cleaned_data
        schedule = next(s for s in schedules if s.pk == data["schedule"])
        try:
            schedule_layer_add(
                schedule=schedule,
                people=data["people"],
                starts_on=data["starts_on"],
                hand_off=data["hand_off"],
                shift_hours=data["shift_hours"],
                priority=data["priority"],
                role=data["role"],
                windows=data["windows"],
                timezone_name=data["timezone"],
                name=data["name"],
                acting_user=viewer.user,
            )
        except StormdeskError as exc:
            field_error(form, exc)
        else:
            messages.success(request, _("Rotation added to %(name)s.") % {"name": schedule.name})
            return redirect("schedule-page", pk=schedule.pk)
    context = _schedules_context(viewer, layer_form=form)
    return _render(request, "schedules.html", context, status=400)


# --- A schedule's week -----------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A stretch of one role on one day of the calendar (a slot cut at midnight)."""

    start: datetime
    end: datetime
    start_text: str
    end_text: str
    length: str
    person: User | None
    override: bool = False


@dataclass(frozen=True)
class Day:
    day: date
    start: datetime
    end: datetime
    length: str
    offsets: str  # "+01:00", or "+01:00 → +02:00" on the day the clocks move
    moves: bool
    today: bool
    primary: list[Block]
    backup: list[Block]


def _clock(moment: datetime, zone: ZoneInfo, *, end_of_day: bool, moves: bool) -> str:
    local = moment.astimezone(zone)
    text = "24:00" if end_of_day else f"{local:%H:%M}"
    return f"{text} ({_offset(local)})" if moves else text


def _track(
    slots: Sequence[CalendarSlot],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    role: str,
    moves: bool,
) -> list[Block]:
    pieces: list[tuple[datetime, datetime, User | None, bool]] = []
    for slot in slots:
        a, b = max(slot.start, start), min(slot.end, end)
        if a >= b:
            continue
        primary = role == ShiftRole.PRIMARY
        person = slot.primary if primary else slot.backup
        override = slot.override if primary else False
        if pieces and pieces[-1][1] == a and pieces[-1][2:] == (person, override):
            pieces[-1] = (pieces[-1][0], b, person, override)
        else:
            pieces.append((a, b, person, override))
    return [
        Block(
            start=a,
            end=b,
            start_text=_clock(a, zone, end_of_day=False, moves=moves),
            end_text=_clock(b, zone, end_of_day=b == end, moves=moves),
            length=_length(b - a),
            person=person,
            override=override,
        )
        for a, b, person, override in pieces
    ]


def week_days(schedule: Schedule, monday: date) -> list[Day]:
    """The ISO week from `monday` in the schedule's zone: seven days from midnight to
    midnight (23 or 25 hours when the clocks move), each with its primary and backup blocks."""
    zone = zone_or_utc(schedule.timezone)
    starts = [
        datetime.combine(monday + timedelta(days=n), time(0))
        .replace(tzinfo=zone, fold=0)
        .astimezone(UTC)
        for n in range(8)
    ]
    slots = schedule_slots(schedule=schedule, start=starts[0], end=starts[-1])
    today = timezone.now().astimezone(zone).date()
    days = []
    for n in range(7):
        start, end = starts[n], starts[n + 1]
        first = _offset(start.astimezone(zone))
        last = _offset((end - timedelta(microseconds=1)).astimezone(zone))
        moves = first != last
        days.append(
            Day(
                day=monday + timedelta(days=n),
                start=start,
                end=end,
                length=_length(end - start),
                offsets=f"{first} → {last}" if moves else first,
                moves=moves,
                today=monday + timedelta(days=n) == today,
                primary=_track(slots, start, end, zone, ShiftRole.PRIMARY, moves),
                backup=_track(slots, start, end, zone, ShiftRole.BACKUP, moves),
            )
        )
    return days


def _schedule_context(
    viewer: Viewer,
    schedule: Schedule,
    monday: date,
    *,
    week_form: WeekForm | None = None,
    override_form: OverrideForm | None = None,
    edit_form: ScheduleForm | None = None,
) -> dict[str, Any]:
    days = week_days(schedule, monday)
    overrides = list(
        schedule.overrides.filter(start__lt=days[-1].end, end__gt=days[0].start)
        .select_related("user", "swap")
        .order_by("start", "id")
    )
    context: dict[str, Any] = {
        "schedule": schedule,
        "brands": _brands_of(schedule, _visible_brands(viewer)),
        "layers": _layer_rows(schedule),
        "days": days,
        "week": _week_name(monday),
        "previous": _week_name(monday - timedelta(days=7)),
        "next": _week_name(monday + timedelta(days=7)),
        "this_week": _week_name(timezone.now().astimezone(zone_or_utc(schedule.timezone)).date()),
        "overrides": overrides,
        "week_form": week_form,
        "manages": viewer.manages,
    }
    if viewer.manages:
        people = agency_people()
        context["override_form"] = override_form or OverrideForm(
            zone=schedule.timezone, people=people
        )
        context["edit_form"] = edit_form or ScheduleForm(
            initial={
                "name": schedule.name,
                "timezone": schedule.timezone,
                "covers_all": schedule.covers_all,
                "brands": [b.pk for b in schedule.brands.all()],
                "for_duty_managers": schedule.for_duty_managers,
            },
            prefix="edit",
        )
        context["time_zones"] = time_zones()
    return context


def _monday(schedule: Schedule, day: date | None = None) -> date:
    day = day or timezone.now().astimezone(zone_or_utc(schedule.timezone)).date()
    return day - timedelta(days=day.weekday())


@login_required
@require_http_methods(["GET", "HEAD"])
def schedule_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A schedule's week (`?week=2026-W10`, default this week) in its zone; its rotations and
    overrides; account managers and agency admins add overrides and change it here."""
    viewer = _viewer(request)
    schedule = _schedule_for(viewer, pk)
    form = WeekForm(request.GET)
    valid = form.is_valid()
    monday = _monday(schedule, form.cleaned_data.get("week") if valid else None)
    context = _schedule_context(viewer, schedule, monday, week_form=form)
    return _render(request, "schedule.html", context, status=200 if valid else 400)


@login_required
@require_POST
def override_add_page(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _manager(request)
    schedule = _schedule_for(viewer, pk)
    form = OverrideForm(request.POST, zone=schedule.timezone, people=agency_people())
    if form.is_valid():
        data = form.cleaned_data
        try:
            override = schedule_override_add(
                schedule=schedule,
                user=data["user"],
                start=data["start"],
                end=data["end"],
                reason=data["reason"],
                acting_user=viewer.user,
            )
        except StormdeskError as exc:
            field_error(form, exc)
        else:
            messages.success(request, _("Override added."))
            week = _week_name(override.start.astimezone(zone_or_utc(schedule.timezone)).date())
            return redirect(f"{reverse('schedule-page', args=[schedule.pk])}?week={week}")
    context = _schedule_context(viewer, schedule, _monday(schedule), override_form=form)
    return _render(request, "schedule.html", context, status=400)


@login_required
@require_POST
def schedule_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _manager(request)
    schedule = _schedule_for(viewer, pk)
    form = ScheduleForm(request.POST, prefix="edit")
    if form.is_valid():
        data = form.cleaned_data
        try:
            schedule_update(
                schedule=schedule,
                name=data["name"],
                timezone_name=data["timezone"],
                covers_all=data["covers_all"],
                brands=data["brands"],
                for_duty_managers=data.get("for_duty_managers", False),
                acting_user=viewer.user,
            )
        except StormdeskError as exc:
            field_error(form, exc)
        else:
            messages.success(request, _("Schedule saved."))
            return redirect("schedule-page", pk=schedule.pk)
    context = _schedule_context(viewer, schedule, _monday(schedule), edit_form=form)
    return _render(request, "schedule.html", context, status=400)


def _act(request: HttpRequest, action: Any, done: str, back: str) -> HttpResponse:
    """Press a button: run `action`; a refusal by role is a 403, any other refusal a message."""
    try:
        action()
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    except StormdeskError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(back)


@login_required
@require_POST
def override_remove_page(request: HttpRequest, pk: int, override_pk: int) -> HttpResponse:
    viewer = _manager(request)
    schedule = _schedule_for(viewer, pk)
    override = get_object_or_404(ScheduleOverride, pk=override_pk, schedule=schedule)
    week = _week_name(override.start.astimezone(zone_or_utc(schedule.timezone)).date())
    return _act(
        request,
        lambda: schedule_override_remove(override=override, acting_user=viewer.user),
        _("Override removed."),
        f"{reverse('schedule-page', args=[schedule.pk])}?week={week}",
    )


@login_required
@require_POST
def layer_remove_page(request: HttpRequest, pk: int, layer_pk: int) -> HttpResponse:
    viewer = _manager(request)
    schedule = _schedule_for(viewer, pk)
    layer = get_object_or_404(ScheduleLayer, pk=layer_pk, schedule=schedule)
    return _act(
        request,
        lambda: schedule_layer_remove(layer=layer, acting_user=viewer.user),
        _("Rotation removed."),
        reverse("schedule-page", args=[schedule.pk]),
    )


# --- My shifts and my leave ------------------------------------------------------------------


def _shifts_context(viewer: Viewer, *, leave_form: LeaveForm | None = None) -> dict[str, Any]:
    now = timezone.now().replace(second=0, microsecond=0)
    found = person_shifts(user=viewer.user, start=now, end=now + timedelta(days=SHIFT_DAYS))
    brands = _visible_brands(viewer)
    open_swaps = list(
        ShiftSwap.objects.filter(
            offered_by=viewer.user,
            status__in=(SwapStatus.OFFERED, SwapStatus.TAKEN),
            end__gt=now,
        )
    )
    rows = [
        {
            "shift": shift,
            "zone": shift.schedule.timezone,
            "brands": _brands_of(shift.schedule, brands),
            "swap": next(
                (
                    w
                    for w in open_swaps
                    if w.schedule_id == shift.schedule.pk
                    and w.start < shift.end
                    and w.end > shift.start
                ),
                None,
            ),
            "offer": OfferForm(
                initial={
                    "schedule": shift.schedule.pk,
                    "start": shift.start.isoformat(),
                    "end": shift.end.isoformat(),
                },
                auto_id=f"offer-{n}-%s",
            ),
        }
        for n, shift in enumerate(found)
    ]
    zone = found[0].schedule.timezone if found else DEFAULT_ZONE
    return {
        "rows": rows,
        "days": SHIFT_DAYS,
        "leave": list(Leave.objects.filter(user=viewer.user, end__gt=now).order_by("start", "id")),
        "leave_form": leave_form or LeaveForm(initial={"timezone": zone}),
        "zone": zone,
        "time_zones": time_zones(),
    }


@login_required
@require_http_methods(["GET", "HEAD"])
def shifts_page(request: HttpRequest) -> HttpResponse:
    """The person's shifts of the next 14 days on every schedule, each in its schedule's zone
    with the brands it covers; offering one to a colleague; their leave."""
    viewer = _viewer(request)
    return _render(request, "shifts.html", _shifts_context(viewer))


@login_required
@require_POST
def offer_page(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    form = OfferForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("shifts")
    data = form.cleaned_data
    schedule = (
        schedules_for_person(user=viewer.user, role=viewer.role).filter(pk=data["schedule"]).first()
    )
    if schedule is None:
        messages.error(request, _("You are on no such schedule."))
        return redirect("shifts")
    return _act(
        request,
        lambda: swap_offer(
            schedule=schedule,
            offered_by=viewer.user,
            start=data["start"],
            end=data["end"],
            note=data["note"],
        ),
        _("Your shift is offered: a colleague may take it, then an account manager decides."),
        reverse("swaps"),
    )


@login_required
@require_POST
def leave_add_page(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    form = LeaveForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            leave_record(
                user=viewer.user,
                start=data["start"],
                end=data["end"],
                note=data["note"],
                acting_user=viewer.user,
            )
        except StormdeskError as exc:
            field_error(form, exc)
        else:
            messages.success(request, _("Leave saved: you are in no rotation while it lasts."))
            return redirect("shifts")
    return _render(request, "shifts.html", _shifts_context(viewer, leave_form=form), status=400)


@login_required
@require_POST
def leave_remove_page(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    leave = get_object_or_404(Leave, pk=pk, user=viewer.user)
    return _act(
        request,
        lambda: leave_remove(leave=leave, acting_user=viewer.user),
        _("Leave removed."),
        reverse("shifts"),
    )


# --- Swaps -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def swaps_page(request: HttpRequest) -> HttpResponse:
    """Open offers a colleague may take, swaps awaiting an account manager's approval (who
    approves or rejects them here), and the person's own swaps."""
    viewer = _viewer(request)
    now = timezone.now()
    swaps = swaps_for_person(user=viewer.user, role=viewer.role).select_related(
        "schedule", "offered_by", "taken_by", "decided_by"
    )
    offers = swaps.filter(status=SwapStatus.OFFERED, end__gt=now).exclude(offered_by=viewer.user)
    awaiting = swaps.filter(status=SwapStatus.TAKEN) if viewer.manages else swaps.none()
    mine = swaps.filter(Q(offered_by=viewer.user) | Q(taken_by=viewer.user))
    context = {
        "offers": list(offers.order_by("start", "id")),
        "awaiting": list(awaiting.order_by("start", "id")),
        "mine": list(mine.order_by("-created_at", "-id")[:MINE_SHOWN]),
        "manages": viewer.manages,
        "user_pk": viewer.user.pk,
        "open": (SwapStatus.OFFERED, SwapStatus.TAKEN),
    }
    return _render(request, "swaps.html", context)


def _swap_for(viewer: Viewer, pk: int) -> ShiftSwap:
    swap = (
        swaps_for_person(user=viewer.user, role=viewer.role)
        .select_related("offered_by")
        .filter(pk=pk)
        .first()
    )
    if swap is None:
        raise Http404
    return swap  # type: ignore[no-any-return]


@login_required
@require_POST
def swap_take_page(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    swap = _swap_for(viewer, pk)
    return _act(
        request,
        lambda: swap_take(swap=swap, taken_by=viewer.user),
        _("You took the shift. It is yours once an account manager approves the swap."),
        reverse("swaps"),
    )


@login_required
@require_POST
def swap_decide_page(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _manager(request)
    swap = _swap_for(viewer, pk)
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Approve or reject the swap."))
        return redirect("swaps")
    approve = form.cleaned_data["decision"] == "approve"
    return _act(
        request,
        lambda: swap_decide(swap=swap, approve=approve, acting_user=viewer.user),
        _("Swap approved: the calendar shows it.") if approve else _("Swap rejected."),
        reverse("swaps"),
    )


@login_required
@require_POST
def swap_withdraw_page(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    swap = _swap_for(viewer, pk)
    return _act(
        request,
        lambda: swap_withdraw(swap=swap, acting_user=viewer.user),
        _("Swap withdrawn."),
        reverse("swaps"),
    )


# --- Who watches a brand (its watch page, brand host) ----------------------------------------


@require_http_methods(["GET", "HEAD"])
def brand_cover_part(request: HttpRequest) -> HttpResponse:
    """Who covers the brand now and its hand-offs over the next 7 days, by name only, for the
    watch page to load and refresh (htmx). The brand host's access check has let the person
    in (client viewers too: this is the proof they may see)."""
    client: Client | None = getattr(request, "tenant", None)
    if client is None or client.is_public or getattr(request, "access", None) is None:
        raise Http404
    handoffs = [
        {
            "start": h.start,
            "end": h.end,
            "primary": person_name(h.primary),
            "backup": person_name(h.backup),
            "schedule": h.schedule.name if h.schedule else None,
        }
        for h in brand_handoffs(brand_cover(client=client, start=timezone.now(), days=COVER_DAYS))
    ]
    return render(
        request,
        "agency/roster/_cover.html",
        {"client": client, "now": handoffs[0], "handoffs": handoffs, "days": COVER_DAYS},
    )
