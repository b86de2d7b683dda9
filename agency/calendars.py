"""Shift calendars: a secret-token iCal feed of one person's shifts across every schedule, or
of one schedule's, that Google Calendar, Outlook and Apple Calendar subscribe to.

The feed is built when it is fetched, from the same arithmetic as the pages (agency.shifts
through agency.roster.schedule_plan: overrides and leave applied), from 14 days back to 60
days ahead. Each event is one stretch of one person in one role on one schedule, with a UID
made of those and its start, so that a calendar keeps an event as long as the shift stays.
Public schema only.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from agency import shifts
from agency.exceptions import StormdeskError
from agency.models import AGENCY_ROLES, CalendarFeed, Leave, Membership, Schedule, User
from agency.models import ScheduleOverride as Override
from agency.notifications import absolute_url
from agency.reminders import SHIFTS_PAGE, brands_text, person_name
from agency.roster import schedule_plan, schedules_prefetched
from agency.services import audit_record
from clients.models import Client

FEED_BACK = timedelta(days=14)
FEED_AHEAD = timedelta(days=60)
# Planning starts at least this much before the feed's window, so that a shift running at the
# window's start keeps its true start (and its UID) as the window moves: no shift lasts longer.
# It starts on a fixed grid of such periods, so that a stretch longer still (one person's
# rotation, merged) keeps its UID too, for weeks.
LONGEST_SHIFT = timedelta(days=28)
GRID = datetime(2000, 1, 3, tzinfo=UTC)
PRODID = "-//Stormdesk//Shift calendar//EN"


class CalendarError(StormdeskError):
    code = "invalid_calendar"


@dataclass(frozen=True)
class Duty:
    """One person's unbroken stretch in one role on one schedule (people are user ids)."""

    person: str
    role: str
    start: datetime
    end: datetime


def duties(slots: Sequence[shifts.Slot], *, person: str | None = None) -> list[Duty]:
    """A schedule's slots as each person's stretches per role: adjacent slots of the same
    person and role (the backup changed, the primary stayed) are one stretch. Only `person`'s,
    if given; ordered by start."""
    found: list[Duty] = []
    running: dict[tuple[str, str], Duty] = {}
    for slot in slots:
        here = {
            (role, who)
            for role, who in ((shifts.PRIMARY, slot.primary), (shifts.BACKUP, slot.backup))
            if who and (person is None or who == person)
        }
        for key in [k for k, duty in running.items() if k not in here or duty.end != slot.start]:
            found.append(running.pop(key))
        for role, who in here:
            duty = running.get((role, who))
            start = duty.start if duty is not None else slot.start
            running[(role, who)] = Duty(who, role, start, slot.end)
    found.extend(running.values())
    return sorted(found, key=lambda d: (d.start, d.role, d.person))


# --- Feeds -----------------------------------------------------------------------------------


def _one_of(user: User | None, schedule: Schedule | None) -> Q:
    if (user is None) == (schedule is None):
        raise CalendarError("A feed is of one person or of one schedule.")
    return Q(user=user) if user is not None else Q(schedule=schedule)


def calendar_feed_for(
    *, user: User | None = None, schedule: Schedule | None = None
) -> CalendarFeed:
    """The feed of `user` or of `schedule`, made on first use. Safe to call twice at once: the
    one-feed constraint keeps one row, which both get."""
    lookup = _one_of(user, schedule)
    feed = CalendarFeed.objects.filter(lookup).first()
    if feed is not None:
        return feed
    feed, created = CalendarFeed.objects.get_or_create(
        user=user, schedule=schedule, defaults={"token": secrets.token_urlsafe(32)}
    )
    if created:
        audit_record(verb="calendar.created", acting_user=user, feed=feed.pk)
    return feed


@transaction.atomic
def calendar_feed_reset(
    *, user: User | None = None, schedule: Schedule | None = None, acting_user: User | None
) -> CalendarFeed:
    """A new feed (a new token) for `user` or `schedule`: the old URL is not found from now
    on. The caller checked that `acting_user` may."""
    lookup = _one_of(user, schedule)
    CalendarFeed.objects.filter(lookup).delete()
    feed = CalendarFeed.objects.create(
        user=user, schedule=schedule, token=secrets.token_urlsafe(32)
    )
    audit_record(
        verb="calendar.reset",
        acting_user=acting_user,
        feed=feed.pk,
        of=user.email if user is not None else str(schedule),
    )
    return feed


def calendar_feed_by_token(*, token: str) -> CalendarFeed | None:
    """The feed of `token`; none for an unknown token, nor for a person who has left the agency
    (inactive, or no agency role any more)."""
    feed = CalendarFeed.objects.select_related("user", "schedule").filter(token=token).first()
    if feed is None or feed.user is None:
        return feed
    if not feed.user.is_active:
        return None
    member = Membership.objects.filter(user=feed.user, role__in=AGENCY_ROLES).exists()
    return feed if member else None


def calendar_url(feed: CalendarFeed) -> str:
    return absolute_url(
        reverse("calendar-feed", urlconf=settings.PUBLIC_SCHEMA_URLCONF, args=[feed.token])
    )


# --- The iCalendar -----------------------------------------------------------------------------


def _midnight(moment: datetime, *, up: bool = False) -> datetime:
    day = moment.astimezone(UTC).date()
    floor = datetime.combine(day, time(0), tzinfo=UTC)
    return floor + timedelta(days=1) if up and floor < moment else floor


def _uid(schedule: Schedule, duty: Duty) -> str:
    return (
        f"shift-{schedule.pk}-{duty.role}-{duty.person}-"
        f"{duty.start.astimezone(UTC):%Y%m%dT%H%M%SZ}@{settings.BASE_DOMAIN}"
    )


def _summary(duty: Duty, schedule: Schedule, name: str | None) -> str:
    """A person's own feed says the schedule; a schedule's feed says the person too."""
    values = {"schedule": schedule.name, "person": name}
    if name is None:
        if duty.role == shifts.PRIMARY:
            return _("On duty (primary): %(schedule)s") % values
        return _("On duty (backup): %(schedule)s") % values
    if duty.role == shifts.PRIMARY:
        return _("%(person)s on duty (primary): %(schedule)s") % values
    return _("%(person)s on duty (backup): %(schedule)s") % values


def calendar_schedules(feed: CalendarFeed, *, start: datetime, end: datetime) -> list[Schedule]:
    """The schedules a feed shows: its schedule, or every schedule the person is in (in a
    rotation, or taking an override between `start` and `end`), with layers, people and
    brands."""
    found = schedules_prefetched().prefetch_related("brands")
    if feed.schedule_id is not None:
        return list(found.filter(pk=feed.schedule_id))
    person = feed.user_id
    return list(
        found.filter(
            Q(layers__members__user_id=person)
            | Q(overrides__user_id=person, overrides__start__lt=end, overrides__end__gt=start)
        ).distinct()
    )


def calendar_build(feed: CalendarFeed, *, now: datetime) -> bytes:
    """The feed as an iCalendar (RFC 5545) from 14 days before `now` to 60 days after, whole
    UTC days: one VEVENT per stretch of a person in a role, times in its schedule's zone with
    a VTIMEZONE for each zone. Reads only: six queries for a person's feed (schedules,
    layers, people, brands, overrides, leave), seven for a schedule's (its people's names),
    one more where a schedule covers every brand (their count), whatever the number of
    schedules."""
    start, end = _midnight(now - FEED_BACK), _midnight(now + FEED_AHEAD, up=True)
    plan_from = GRID + ((start - LONGEST_SHIFT - GRID) // LONGEST_SHIFT) * LONGEST_SHIFT
    schedules = calendar_schedules(feed, start=plan_from, end=end)
    ids = [s.pk for s in schedules]
    overrides = list(Override.objects.filter(schedule_id__in=ids, start__lt=end, end__gt=plan_from))
    leave = list(Leave.objects.filter(start__lt=end, end__gt=plan_from))
    person = str(feed.user_id) if feed.user_id is not None else None
    stretches = [
        (schedule, duty)
        for schedule in schedules
        for duty in duties(
            schedule_plan(
                schedule=schedule, start=plan_from, end=end, overrides=overrides, leave=leave
            ).slots(plan_from, end),
            person=person,
        )
        if duty.end > start
    ]
    names: dict[str, str] = {}
    if person is None:
        people = User.objects.in_bulk({int(d.person) for _s, d in stretches})
        names = {str(pk): person_name(user) for pk, user in people.items()}
    brand_count = Client.objects.brands().count() if any(s.covers_all for s in schedules) else 0
    language = (feed.user.language if feed.user else "") or settings.LANGUAGE_CODE
    with translation.override(language):
        return _ical(feed, stretches, names=names, brand_count=brand_count, now=now).to_ical()


def _ical(
    feed: CalendarFeed,
    stretches: Iterable[tuple[Schedule, Duty]],
    *,
    names: dict[str, str],
    brand_count: int,
    now: datetime,
) -> Calendar:
    link = absolute_url(SHIFTS_PAGE)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if feed.schedule is not None:
        cal.calendar_name = _("Stormdesk: %(schedule)s") % {"schedule": feed.schedule.name}
    else:
        cal.calendar_name = _("Stormdesk: my shifts")
    # Outlook and Apple read the first, Google the second; neither polls more often than this.
    cal.add("x-published-ttl", "PT1H")
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    zones: Counter[str] = Counter()
    for schedule, duty in stretches:
        zone = ZoneInfo(schedule.timezone)
        zones[schedule.timezone] += 1
        name = names.get(duty.person, "?") if feed.schedule_id is not None else None
        event = Event()
        event.add("uid", _uid(schedule, duty))
        event.add("dtstamp", now.astimezone(UTC))
        event.add("dtstart", duty.start.astimezone(zone))
        event.add("dtend", duty.end.astimezone(zone))
        event.add("summary", _summary(duty, schedule, name))
        event.add(
            "description",
            "\n\n".join(
                [
                    brands_text(schedule, brand_count=brand_count),
                    _("Shifts in Stormdesk: %(link)s") % {"link": link},
                ]
            ),
        )
        event.add("url", link)
        cal.add_component(event)
    if feed.schedule is not None:
        zone_name = feed.schedule.timezone
    elif zones:
        zone_name = zones.most_common(1)[0][0]
    else:
        zone_name = settings.TIME_ZONE
    cal.add("x-wr-timezone", zone_name)
    # Each zone's rules from a year before the feed to a year after: enough for every event,
    # without the whole history of the zone.
    cal.add_missing_timezones(
        first_date=(now - FEED_BACK - LONGEST_SHIFT - timedelta(days=366)).date(),
        last_date=(now + FEED_AHEAD + timedelta(days=366)).date(),
    )
    return cal
