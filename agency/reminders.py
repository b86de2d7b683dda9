"""What the roster tells its people: a reminder before each of their shifts starts, and a
notice when a schedule they are on changes. Both go through the outbox (agency.notifications),
keyed so that each reaches a person once; public schema only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import translation
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agency import shifts
from agency.models import (
    LayerMember,
    Leave,
    Notification,
    NotificationTopic,
    Schedule,
    ScheduleLayer,
    ScheduleOverride,
    ShiftSwap,
    SwapStatus,
    User,
)
from agency.notifications import absolute_url, notify_person

if TYPE_CHECKING:
    from django.db.models import QuerySet

SHIFTS_PAGE = "/shifts/"
# How long before a shift starts its people are reminded (the task runs every 5 minutes).
REMIND_BEFORE = timedelta(minutes=30)


def person_name(user: User) -> str:
    return user.full_name or user.email


def when(moment: datetime, zone: str) -> str:
    """A moment as the schedule's clock shows it, with the offset: 2027-03-28 09:00 (UTC+02:00)."""
    local = moment.astimezone(ZoneInfo(zone))
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:]})"


def brands_text(schedule: Schedule, *, brand_count: int) -> str:
    """The brands a schedule's people cover, in the active language (brands prefetched)."""
    if schedule.covers_all:
        return _("Brands: every brand (%(count)d in all).") % {"count": brand_count}
    names = sorted(brand.name for brand in schedule.brands.all())
    if names:
        return _("Brands: %(names)s.") % {"names": ", ".join(names)}
    if schedule.for_duty_managers:
        return _("Duty managers: the last step of every escalation, for every brand.")
    return _("Brands: none yet.")


# --- Notices of a changed schedule -----------------------------------------------------------


def _notify_change(
    *, schedule_id: int, change: str, summary: str | Promise, people: list[int]
) -> None:
    schedule = Schedule.objects.filter(pk=schedule_id).first()
    if schedule is None:
        return
    users = User.objects.filter(pk__in=people, is_active=True).prefetch_related(
        "contact_methods", "notification_rules"
    )
    link = absolute_url(SHIFTS_PAGE)
    with transaction.atomic():
        for user in users:
            with translation.override(user.language or "en"):
                subject = _("Schedule changed: %(schedule)s") % {"schedule": schedule.name}
                body = "\n\n".join([str(summary), _("Your shifts: %(link)s") % {"link": link}])
            notify_person(
                user=user,
                key=f"schedule:{schedule_id}:{change}:{user.pk}",
                topic=NotificationTopic.SCHEDULE,
                subject=subject,
                body=body,
                link=link,
            )


def schedule_change_notify_on_commit(
    *,
    schedule: Schedule,
    summary: str | Promise,
    people: Iterable[User],
    acting_user: User | None,
) -> None:
    """After the caller's transaction commits, tell each of `people` (but the one who made the
    change) that `schedule` changed, with `summary`. Give a lazy translation for `summary`
    (gettext_lazy, or django.utils.text.format_lazy around one) to have each person read it in
    their own language. Each call is one change (its key carries a uuid): once per person,
    and nothing at all if the change rolls back."""
    change = uuid.uuid4().hex
    ids = sorted({u.pk for u in people} - {acting_user.pk if acting_user else None})
    if not ids:
        return
    schedule_id = schedule.pk
    # robust: the change has committed; a failing notice is logged, never the change's error.
    transaction.on_commit(
        lambda: _notify_change(schedule_id=schedule_id, change=change, summary=summary, people=ids),
        robust=True,
    )


def schedule_people(*, schedule: Schedule) -> QuerySet[User]:
    """Everyone in a rotation of `schedule`."""
    return User.objects.filter(
        pk__in=LayerMember.objects.filter(layer__schedule=schedule).values("user_id")
    )


def layer_summary(*, layer: ScheduleLayer, people: Iterable[User]) -> str | Promise:
    start = f"{layer.starts_on:%Y-%m-%d} {layer.hand_off:%H:%M}"
    return format_lazy(
        gettext_lazy("A new rotation: {people}, {hours} h each, from {start} ({zone})."),
        people=", ".join(person_name(u) for u in people),
        hours=layer.shift_hours,
        start=start,
        zone=layer.timezone or layer.schedule.timezone,
    )


def override_summary(*, override: ScheduleOverride) -> str | Promise:
    zone = override.schedule.timezone
    return format_lazy(
        gettext_lazy("{person} takes the shifts from {start} to {end}."),
        person=person_name(override.user),
        start=when(override.start, zone),
        end=when(override.end, zone),
    )


def swap_summary(*, swap: ShiftSwap) -> str | Promise:
    zone = swap.schedule.timezone
    taker = person_name(swap.taken_by) if swap.taken_by else ""
    if swap.status == SwapStatus.APPROVED:
        text = gettext_lazy(
            "Swap approved: {taker} takes {offerer}'s shifts from {start} to {end}."
        )
    else:
        text = gettext_lazy(
            "Swap not approved: {offerer}'s shifts from {start} to {end} stay theirs."
        )
    return format_lazy(
        text,
        taker=taker,
        offerer=person_name(swap.offered_by),
        start=when(swap.start, zone),
        end=when(swap.end, zone),
    )


def leave_notify_on_commit(*, leave: Leave, acting_user: User | None) -> None:
    """Leave changes who is on duty on every schedule the person is in a rotation of: tell
    their colleagues in those rotations (and them, if someone else entered it), per schedule."""
    layers = ScheduleLayer.objects.filter(members__user=leave.user).select_related("schedule")
    by_schedule: dict[int, tuple[Schedule, set[int]]] = {}
    for layer in layers:
        by_schedule.setdefault(layer.schedule_id, (layer.schedule, set()))[1].add(layer.pk)
    for schedule, layer_ids in by_schedule.values():
        colleagues = User.objects.filter(
            pk__in=LayerMember.objects.filter(layer_id__in=layer_ids).values("user_id")
        )
        summary = format_lazy(
            gettext_lazy("{person} is away from {start} to {end}."),
            person=person_name(leave.user),
            start=when(leave.start, schedule.timezone),
            end=when(leave.end, schedule.timezone),
        )
        schedule_change_notify_on_commit(
            schedule=schedule, summary=summary, people=colleagues, acting_user=acting_user
        )


# --- Reminders before a shift -------------------------------------------------------------------


def _shift_key(schedule: Schedule, role: str, person: str, start: datetime) -> str:
    return f"shift:{schedule.pk}:{role}:{person}:{start.isoformat()}"


def _reminder(schedule: Schedule, role: str, start: datetime, brand_count: int) -> tuple[str, str]:
    local = start.astimezone(ZoneInfo(schedule.timezone))
    subject = _("Your shift starts at %(time)s") % {"time": f"{local:%H:%M}"}
    values = {"schedule": schedule.name, "start": when(start, schedule.timezone)}
    if role == shifts.PRIMARY:
        duty = _("You are on duty (primary) for %(schedule)s from %(start)s.") % values
    else:
        duty = (
            _(
                "You are backup for %(schedule)s from %(start)s: you are paged when the "
                "primary does not answer."
            )
            % values
        )
    body = "\n\n".join(
        [
            duty,
            brands_text(schedule, brand_count=brand_count),
            _("Your shifts: %(link)s") % {"link": absolute_url(SHIFTS_PAGE)},
        ]
    )
    return subject, body


def shift_reminders_send(*, now: datetime) -> int:
    """Remind the primary and the backup of every shift that starts after `now` and within
    REMIND_BEFORE, on every schedule: once per shift and person (keyed by schedule, role,
    person and start), so the task may run as often as it likes. A shift begins where its
    person takes the role, not where only their partner changes. Returns how many reminders
    were written in this run."""
    # Imported here: agency.roster calls this module's notices from its writes.
    from agency.roster import schedule_plan, schedules_prefetched
    from clients.models import Client

    end = now + REMIND_BEFORE + timedelta(microseconds=1)  # a shift starting at the edge is in
    schedules = list(schedules_prefetched().prefetch_related("brands"))
    overrides = list(ScheduleOverride.objects.filter(start__lt=end, end__gt=now))
    leave = list(Leave.objects.filter(start__lt=end, end__gt=now))
    due: list[tuple[Schedule, str, str, datetime]] = []
    for schedule in schedules:
        plan = schedule_plan(
            schedule=schedule, start=now, end=end, overrides=overrides, leave=leave
        )
        for before, slot in pairwise(plan.slots(now, end)):
            for role, person, was in (
                (shifts.PRIMARY, slot.primary, before.primary),
                (shifts.BACKUP, slot.backup, before.backup),
            ):
                if person and person != was:
                    due.append((schedule, role, person, slot.start))
    if not due:
        return 0
    sent = {
        key.rsplit(":", 2)[0]
        for key in Notification.objects.filter(
            topic=NotificationTopic.SHIFT, created_at__gte=now - 2 * REMIND_BEFORE
        ).values_list("key", flat=True)
    }
    due = [d for d in due if _shift_key(*d) not in sent]
    users = (
        User.objects.filter(is_active=True)
        .prefetch_related("contact_methods", "notification_rules")
        .in_bulk({int(person) for _s, _r, person, _t in due})
    )
    brand_count = Client.objects.brands().count() if any(s.covers_all for s, *_ in due) else 0
    written = 0
    with transaction.atomic():
        for schedule, role, person, start in due:
            user = users.get(int(person))
            if user is None:
                continue
            with translation.override(user.language or "en"):
                subject, body = _reminder(schedule, role, start, brand_count)
            notify_person(
                user=user,
                key=_shift_key(schedule, role, person, start),
                topic=NotificationTopic.SHIFT,
                subject=subject,
                body=body,
                link=absolute_url(SHIFTS_PAGE),
                at=now,
            )
            written += 1
    return written
