"""The roster pages' forms (agency.views_roster): what a person may send, each refusal a field
error. A time typed on a wall clock is read in the zone the form names: the schedule's for an
override, the one the person chose for their leave; a spring-forward time that does not exist
is read as the clocks reached it (agency.shifts)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BoundField
from django.utils.dateparse import parse_datetime
from django.utils.dates import WEEKDAYS as DAY_NAMES
from django.utils.translation import gettext_lazy as _

from agency.models import AGENCY_ROLES, ShiftRole, User
from agency.roster import (
    EARLIEST,
    LATEST,
    LONGEST_SPAN,
    LONGEST_SWAP,
    MAX_TEXT,
    RosterError,
    roster_stretch_check,
)
from clients.models import Client
from clients.views import time_zones

# The people of a rotation the page takes (the API takes any number).
PEOPLE_SLOTS = 8
WINDOW_SLOTS = 2
# (Django's own names of the days, in every language it speaks)
WEEKDAYS = sorted(DAY_NAMES.items())
ZONE_INPUT = {"list": "time-zones", "autocomplete": "off", "spellcheck": "false"}


@cache
def _zones() -> frozenset[str]:
    return frozenset(time_zones())


def zone_field(label: Any, *, required: bool = True, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=64,
        required=required,
        help_text=help_text,
        widget=forms.TextInput(attrs=ZONE_INPUT),
    )


def zone_clean(value: str) -> str:
    if value and value not in _zones():
        raise ValidationError(_("'%(zone)s' is not an IANA time zone."), params={"zone": value})
    return value


def agency_people() -> dict[int, User]:
    """Who takes shifts: the agency's active people, by id, in e-mail order (one query)."""
    users = (
        User.objects.filter(memberships__role__in=AGENCY_ROLES, is_active=True)
        .distinct()
        .order_by("email")
    )
    return {u.pk: u for u in users}


def person_label(user: User) -> str:
    return f"{user.full_name} ({user.email})" if user.full_name else user.email


def person_choices(people: dict[int, User]) -> list[tuple[Any, str]]:
    return [("", "—"), *((pk, person_label(u)) for pk, u in people.items())]


class WallClockField(forms.DateTimeField):
    """A date and time as typed (`datetime-local`), naive: the form reads it in its zone
    (Django would read it in the server's). Years 2000 to 2099 only."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value
        try:
            result = parse_datetime(str(value).strip())
        except ValueError:
            result = None
        if result is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if not EARLIEST.year <= result.year < LATEST.year:
            raise ValidationError(_("Give a time between the years 2000 and 2100."))
        return result


def on_wall_clock(value: datetime, zone: str) -> datetime:
    """`value` as an instant: as given when it carries an offset, else on `zone`'s clock."""
    if value.tzinfo is not None:
        return value
    return value.replace(tzinfo=ZoneInfo(zone), fold=0)


def field_error(form: forms.Form, exc: Any) -> None:
    """A service's refusal (StormdeskError) as the error of its field, else of the form."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


class StretchForm(forms.Form):
    """From `start` to `end` on the wall clock of `zone` (the form's `zone` argument, or its
    own `timezone` field), checked as the roster checks it."""

    longest: timedelta = LONGEST_SPAN

    def __init__(self, *args: Any, zone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        zone = data.get("timezone") or self.zone
        start, end = data.get("start"), data.get("end")
        if start is None or end is None or self.errors.get("timezone"):
            return data
        data["start"], data["end"] = on_wall_clock(start, zone), on_wall_clock(end, zone)
        try:
            roster_stretch_check(data["start"], data["end"], longest=self.longest)
        except RosterError as exc:
            field_error(self, exc)
        return data


class ScheduleForm(forms.Form):
    """A schedule (agency.roster.schedule_create and schedule_update check the rest)."""

    name = forms.CharField(label=_("Name"), max_length=200)
    timezone = zone_field(
        _("Time zone"), help_text=_("Its rotations hand over on this zone's clock.")
    )
    covers_all = forms.BooleanField(
        label=_("Covers every brand, also those onboarded later"), required=False
    )
    brands = forms.ModelMultipleChoiceField(
        label=_("Brands it covers"),
        queryset=Client.objects.brands(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    for_duty_managers = forms.BooleanField(
        label=_("The duty managers' schedule (no brands: the last step of every escalation)"),
        required=False,
    )

    def clean_timezone(self) -> str:
        return zone_clean(self.cleaned_data["timezone"])


class LayerForm(forms.Form):
    """A rotation of a schedule: its people in the order they take turns, from which day at
    which hand-off, for how long each, in which windows of the week, as primary or backup."""

    schedule = forms.TypedChoiceField(label=_("Schedule"), coerce=int)
    name = forms.CharField(label=_("Name (optional)"), max_length=200, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=ShiftRole.choices)
    starts_on = forms.DateField(
        label=_("Starts on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The first person's first shift starts this day at the hand-off time."),
    )
    hand_off = forms.TimeField(
        label=_("Hand-off time"),
        initial=time(9),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    shift_hours = forms.IntegerField(
        label=_("Shift length (hours)"),
        min_value=1,
        max_value=24 * 28,
        initial=24,
        help_text=_("Of wall-clock time: a day's shift lasts 23 or 25 hours when the clocks move."),
    )
    priority = forms.IntegerField(
        label=_("Priority"),
        min_value=-100,
        max_value=100,
        initial=0,
        help_text=_("Where rotations overlap, the higher one is on duty."),
    )
    timezone = zone_field(
        _("Zone of its hours (optional)"),
        required=False,
        help_text=_("For a follow-the-sun desk: its hand-offs and windows on this zone's clock."),
    )

    def __init__(
        self,
        *args: Any,
        schedules: list[tuple[int, str]],
        people: dict[int, User],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.people = people
        self.fields["schedule"].choices = schedules  # type: ignore[attr-defined]
        for n in range(1, PEOPLE_SLOTS + 1):
            self.fields[f"person_{n}"] = forms.TypedChoiceField(
                label=_("Person %(n)d") % {"n": n},
                coerce=int,
                empty_value=None,
                required=n == 1,
                choices=person_choices(people),
            )
        for n in range(1, WINDOW_SLOTS + 1):
            self.fields[f"window_{n}_days"] = forms.TypedMultipleChoiceField(
                label=_("Days"),
                coerce=int,
                choices=WEEKDAYS,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
            self.fields[f"window_{n}_start"] = forms.TimeField(
                label=_("From"),
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )
            self.fields[f"window_{n}_end"] = forms.TimeField(
                label=_("Until"),
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )

    def people_fields(self) -> list[BoundField]:
        return [self[f"person_{n}"] for n in range(1, PEOPLE_SLOTS + 1)]

    def window_fields(self) -> list[tuple[int, BoundField, BoundField, BoundField]]:
        return [
            (n, self[f"window_{n}_days"], self[f"window_{n}_start"], self[f"window_{n}_end"])
            for n in range(1, WINDOW_SLOTS + 1)
        ]

    def clean_starts_on(self) -> date:
        day: date = self.cleaned_data["starts_on"]
        if not EARLIEST.year <= day.year < LATEST.year:
            raise ValidationError(_("Give a day between the years 2000 and 2100."))
        return day

    def clean_timezone(self) -> str:
        return zone_clean(self.cleaned_data["timezone"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen: list[User] = []
        for n in range(1, PEOPLE_SLOTS + 1):
            pk = data.get(f"person_{n}")
            if pk is None:
                continue
            user = self.people[pk]
            if user in chosen:
                self.add_error(f"person_{n}", _("Each person takes one place in a rotation."))
            chosen.append(user)
        data["people"] = chosen
        windows = []
        for n in range(1, WINDOW_SLOTS + 1):
            days = data.get(f"window_{n}_days") or []
            start, end = data.get(f"window_{n}_start"), data.get(f"window_{n}_end")
            if not days and start is None and end is None:
                continue
            if not days:
                self.add_error(f"window_{n}_days", _("Choose the days of this window."))
            if start is None or end is None:
                self.add_error(
                    f"window_{n}_start" if start is None else f"window_{n}_end",
                    _("Give the window's hours: from and until (until 00:00 is midnight)."),
                )
                continue
            windows.append({"weekdays": days, "start": f"{start:%H:%M}", "end": f"{end:%H:%M}"})
        data["windows"] = windows
        return data


class OverrideForm(StretchForm):
    """One person takes a stretch of the schedule, on the schedule's clock."""

    user = forms.TypedChoiceField(label=_("Who takes it"), coerce=int)
    start = WallClockField(label=_("From"))
    end = WallClockField(label=_("Until"))
    reason = forms.CharField(label=_("Why (optional)"), max_length=MAX_TEXT, required=False)

    def __init__(self, *args: Any, people: dict[int, User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = people
        self.fields["user"].choices = person_choices(people)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("user") is not None:
            data["user"] = self.people[data["user"]]
        return data


class LeaveForm(StretchForm):
    """The person's own leave, on the clock of the zone they give."""

    start = WallClockField(label=_("Away from"))
    end = WallClockField(label=_("Back at"))
    timezone = zone_field(_("On the clock of"))
    note = forms.CharField(label=_("Note (optional)"), max_length=MAX_TEXT, required=False)

    def clean_timezone(self) -> str:
        return zone_clean(self.cleaned_data["timezone"])


class OfferForm(StretchForm):
    """A shift of mine (as the shifts page lists it) offered to a colleague."""

    longest = LONGEST_SWAP
    schedule = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
    start = forms.DateTimeField(widget=forms.HiddenInput)
    end = forms.DateTimeField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note (optional)"), max_length=MAX_TEXT, required=False)

    def clean_start(self) -> datetime:
        return self._bounded(self.cleaned_data["start"])

    def clean_end(self) -> datetime:
        return self._bounded(self.cleaned_data["end"])

    @staticmethod
    def _bounded(value: datetime) -> datetime:
        if not EARLIEST <= value < LATEST:
            raise ValidationError(_("Give a time between the years 2000 and 2100."))
        return value


class WeekForm(forms.Form):
    """Which week a calendar shows: an ISO week, 2026-W10."""

    week = forms.RegexField(label=_("Week"), regex=r"^\d{4}-W\d{2}$", required=False, max_length=8)

    def clean_week(self) -> date | None:
        text = self.cleaned_data["week"]
        if not text:
            return None
        year, number = int(text[:4]), int(text[6:])
        try:
            monday = date.fromisocalendar(year, number, 1)
        except ValueError as exc:
            raise ValidationError(_("No such week.")) from exc
        if not EARLIEST.year <= year < LATEST.year:
            raise ValidationError(_("Give a week between the years 2000 and 2099."))
        return monday


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.HiddenInput
    )
