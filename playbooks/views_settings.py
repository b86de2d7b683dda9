"""The brand's response settings page (brand host): office hours and holidays on the brand's
clock (the timing a playbook is chosen by), whether a crisis alert opens its incident at once,
and whether crisis replies wait for the approval of the account manager or the client.

The agency's people change the hours, holidays and incidents; only account managers and admins
change the approval (others see it read-only, and a POST of it from them is refused); a client
viewer reads the page and sees no control (TenantAccessMiddleware refuses their POSTs, and the
views refuse them again). Every write is playbooks.services.response_settings_update, the
service the API calls."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from agency.exceptions import PermissionDeniedError, StormdeskError
from agency.models import SITUATION_TIMINGS, User
from agency.selectors import user_can_manage_clients
from monitoring.views.base import brand_of, writes
from playbooks.choice import utc_offset
from playbooks.models import ResponseSettings
from playbooks.selectors import response_settings_get, situation_timing
from playbooks.sending import approval_policy
from playbooks.services import MAX_HOLIDAYS, response_settings_update

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

YES_NO = [("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]
TIMING_NAMES = dict(SITUATION_TIMINGS)


def _yes_no(label: StrOrPromise, help_text: StrOrPromise) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        help_text=help_text,
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose yes or no.")},
    )


def _clock(label: StrOrPromise) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={
            "required": gettext_lazy("Give a time, e.g. 09:00."),
            "invalid": gettext_lazy("Give a time as hours:minutes, e.g. 09:00."),
        },
    )


class ResponseSettingsForm(forms.Form):
    office_starts = _clock(gettext_lazy("Office hours start"))
    office_ends = _clock(gettext_lazy("Office hours end"))
    auto_incident_for_crisis = _yes_no(
        gettext_lazy("Open an incident at once for a crisis"),
        gettext_lazy(
            "Yes: a crisis alert opens its incident with the fitting playbook, day or night. "
            "No: a person opens it from the alert."
        ),
    )
    approval_required = _yes_no(
        gettext_lazy("Crisis replies need approval"),
        gettext_lazy(
            "Yes: replies and own posts of a crisis wait for the approval of the brand's "
            "account manager or the client before they go out."
        ),
    )

    def __init__(self, *args: Any, manages: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not manages:  # shown read-only instead
            del self.fields["approval_required"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("office_starts"), data.get("office_ends")
        if starts is not None and ends is not None and ends <= starts:
            self.add_error(
                "office_ends",
                _("Office hours end after they start, on the same day."),
            )
        return data


class HolidayForm(forms.Form):
    day = forms.DateField(
        label=gettext_lazy("Date"),
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(
            attrs={"type": "date", "aria-describedby": "id_day_helptext"}, format="%Y-%m-%d"
        ),
        error_messages={
            "required": gettext_lazy("Choose the date."),
            "invalid": gettext_lazy("Give the date as year-month-day, e.g. 2026-12-25."),
        },
    )


def _writer(request: HttpRequest) -> User:
    if not writes(request) or not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


def _manages(request: HttpRequest) -> bool:
    return writes(request) and user_can_manage_clients(user=request.user)


def _days(current: ResponseSettings) -> list[date]:
    """The holidays in order (a stored value that is no date, from before the service checked
    them, is left out here and dropped at the next save)."""
    days = set()
    for value in current.holidays:
        try:
            days.add(date.fromisoformat(str(value)))
        except ValueError:
            continue
    return sorted(days)


def _initial(current: ResponseSettings, required: bool) -> dict[str, Any]:
    return {
        "office_starts": current.office_starts,
        "office_ends": current.office_ends,
        "auto_incident_for_crisis": "yes" if current.auto_incident_for_crisis else "no",
        "approval_required": "yes" if required else "no",
    }


def _render(
    request: HttpRequest,
    *,
    form: ResponseSettingsForm | None = None,
    holiday_form: HolidayForm | None = None,
    status: int = 200,
) -> HttpResponse:
    client = brand_of(request)
    current = response_settings_get(client=client)
    required = approval_policy(client=client)
    manages = _manages(request)
    now = timezone.now()
    local = now.astimezone(client.zone)
    today = local.date()
    days = _days(current)
    return render(
        request,
        "playbooks/response_settings.html",
        {
            "client": client,
            "settings": current,
            "approval_required": required,
            "writes": writes(request),
            "manages": manages,
            "form": form
            or ResponseSettingsForm(initial=_initial(current, required), manages=manages),
            "holiday_form": holiday_form or HolidayForm(),
            "holidays": [(day, day < today) for day in days],
            "upcoming": sum(1 for day in days if day >= today),
            "max_holidays": MAX_HOLIDAYS,
            "zone_offset": utc_offset(local),
            "zone_abbreviation": local.tzname(),
            # Wall-clock, naive: the template's date filters would turn an aware one to UTC.
            "local_now": local.replace(tzinfo=None),
            "timing_now": TIMING_NAMES.get(situation_timing(client=client, at=now), ""),
        },
        status=status,
    )


def _save(request: HttpRequest, form: forms.Form, **fields: Any) -> bool:
    """The service's refusal on the form (by field where it names one); True when saved."""
    try:
        response_settings_update(client=brand_of(request), acting_user=_writer(request), **fields)
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    except StormdeskError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return False
    return True


@require_http_methods(["GET", "HEAD", "POST"])
def response_settings_page(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _render(request)
    _writer(request)
    manages = _manages(request)
    if "approval_required" in request.POST and not manages:
        raise PermissionDenied  # no control for it was shown
    form = ResponseSettingsForm(request.POST, manages=manages)
    if form.is_valid() and _save(request, form, **form.cleaned_data):
        messages.success(request, _("Response settings saved."))
        return redirect("response-settings")
    return _render(request, form=form, status=400)


def _day_text(day: date) -> str:
    """As the list shows it: "Thursday 25 December 2031", in the page's language."""
    return str(formats.date_format(day, "l j F Y"))


@require_POST
def response_holiday_add(request: HttpRequest) -> HttpResponse:
    _writer(request)
    form = HolidayForm(request.POST)
    if form.is_valid():
        day = form.cleaned_data["day"]
        days = _days(response_settings_get(client=brand_of(request)))
        if day in days:
            form.add_error("day", _("%(day)s is on the list already.") % {"day": _day_text(day)})
        elif _save(request, form, holidays=[*days, day]):
            messages.success(request, _("Holiday added: %(day)s.") % {"day": _day_text(day)})
            return redirect("response-settings")
    return _render(request, holiday_form=form, status=400)


@require_POST
def response_holiday_remove(request: HttpRequest) -> HttpResponse:
    _writer(request)
    form = HolidayForm(request.POST)
    if not form.is_valid():
        return _render(request, holiday_form=form, status=400)
    day = form.cleaned_data["day"]
    kept = [d for d in _days(response_settings_get(client=brand_of(request))) if d != day]
    if not _save(request, form, holidays=kept):
        return _render(request, holiday_form=form, status=400)
    messages.success(request, _("Holiday removed: %(day)s.") % {"day": _day_text(day)})
    return redirect("response-settings")
