"""The watch log of the brand: the person on duty records that they looked ("Checked: all
quiet", or with a note and an alert to cite), and everyone on the brand reads the proof: the
checks of the last 24 hours and 7 days, the longest stretch without one, who checked, and
whether a check is due now. The same service and selector as the API (monitoring.api.watch)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from agency.exceptions import StormdeskError
from monitoring.forms import WatchCheckForm
from monitoring.models import AlertStatus
from monitoring.selectors import WatchLog, alerts_filter, watch_log
from monitoring.services.watch import watch_check_record
from monitoring.views.base import PAGE, brand_of, writes

OPEN = (AlertStatus.NEW, AlertStatus.ACKNOWLEDGED)


def stretch_text(length: timedelta) -> str:
    """A stretch as people say it: "45 min", "2 h 05 min", "3 days 4 h"."""
    minutes = int(length.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


def _summary(log: WatchLog, label: str) -> dict[str, Any]:
    return {"label": label, "log": log, "longest": stretch_text(log.longest.length)}


def _open_alerts(request: HttpRequest) -> list[tuple[int, str]]:
    alerts = alerts_filter(client=brand_of(request)).filter(status__in=OPEN)
    return [(pk, f"#{pk} {title}") for pk, title in alerts.values_list("pk", "title")[:PAGE]]


def _context(request: HttpRequest, form: WatchCheckForm) -> dict[str, Any]:
    client = brand_of(request)
    now = timezone.now()
    day = watch_log(client=client, since=now - timedelta(days=1), until=now, now=now)
    week = watch_log(client=client, since=now - timedelta(days=7), until=now, now=now)
    checks = list(week.checks[: PAGE + 1])
    return {
        "client": client,
        "form": form,
        "writes": writes(request),
        "log": day,
        "interval": stretch_text(day.interval),
        "summaries": [
            _summary(day, _("Last 24 hours")),
            _summary(week, _("Last 7 days")),
        ],
        "checks": checks[:PAGE],
        "more": len(checks) > PAGE,
    }


def _next(request: HttpRequest) -> str | None:
    """Where to go back to after a check: the brand's dashboard, or this page. Nothing else,
    so that the parameter is no open redirect (and no header a stray newline breaks)."""
    target = request.POST.get("next", "")
    return target if target in (reverse("brand-home"), reverse("watch-page")) else None


@require_http_methods(["GET", "HEAD", "POST"])
def watch_page(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        form = WatchCheckForm(alerts=_open_alerts(request) if writes(request) else [])
        return render(request, "monitoring/watch.html", _context(request, form))
    if not writes(request):
        raise PermissionDenied
    form = WatchCheckForm(request.POST, alerts=_open_alerts(request))
    if form.is_valid():
        try:
            check = watch_check_record(
                client=brand_of(request),
                acting_user=request.user,  # type: ignore[arg-type]
                note=form.cleaned_data["note"],
                alert=form.cleaned_data["alert"],
            )
        except StormdeskError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            if check.alert_id:
                messages.success(request, _("Checked: see alert %(n)d.") % {"n": check.alert_id})
            else:
                messages.success(request, _("Checked: all quiet."))
            return redirect(_next(request) or "watch-page")
    return render(request, "monitoring/watch.html", _context(request, form), status=400)
