"""Alerts: the list with its filters, the detail with why, and the actions (the same services
as the API, monitoring.services.alerts)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from monitoring.exceptions import AlertError, AlertInputError
from monitoring.forms import AlertFiltersForm, DismissForm, ResolveForm
from monitoring.models import Alert
from monitoring.selectors import alert_pages, alerts_filter, wave_mentions_by_reach
from monitoring.services.alerts import alert_acknowledge, alert_dismiss, alert_resolve
from monitoring.views.base import PAGE, brand_of, wave_charts, writes


@require_GET
def alerts_page(request: HttpRequest) -> HttpResponse:
    client = brand_of(request)
    form = AlertFiltersForm(request.GET or None)
    filters = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
    alerts = list(alerts_filter(client=client, **filters)[: PAGE + 1])
    return render(
        request,
        "monitoring/alerts.html",
        {
            "client": client,
            "form": form,
            "alerts": alerts[:PAGE],
            "more": len(alerts) > PAGE,
        },
    )


def _detail(request: HttpRequest, alert: Alert, **forms: Any) -> dict[str, Any]:
    client = brand_of(request)
    return {
        "client": client,
        "alert": alert,
        "wave": alert.wave,
        "charts": wave_charts(client, alert.wave),
        "mentions": wave_mentions_by_reach(client=client, wave=alert.wave),
        "events": list(alert.events.all()),
        # Whom the escalation paged and whether it reached them: the agency's, not the client's.
        "pages": alert_pages(client=client, alert_id=alert.pk) if writes(request) else [],
        "writes": writes(request),
        "resolve_form": forms.get("resolve_form") or ResolveForm(),
        "dismiss_form": forms.get("dismiss_form") or DismissForm(),
    }


@require_GET
def alert_page(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(alerts_filter(client=brand_of(request)), pk=pk)
    return render(request, "monitoring/alert.html", _detail(request, alert))


@require_POST
def alert_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Acknowledge, resolve (with a note) or dismiss (with the reason) from the alert's page."""
    if not writes(request):
        raise PermissionDenied
    client = brand_of(request)
    alert = get_object_or_404(alerts_filter(client=client), pk=pk)
    user = request.user
    try:
        if action == "acknowledge":
            alert_acknowledge(client=client, alert=alert, acting_user=user)  # type: ignore[arg-type]
            messages.success(request, _("Acknowledged: you are on it."))
            return redirect("alert-page", pk=alert.pk)
        if action not in CLOSING:
            raise Http404
        form_class, field, close, done = CLOSING[action]
        form = form_class(request.POST)
        if not form.is_valid():
            context = _detail(request, alert, **{f"{action}_form": form})
            return render(request, "monitoring/alert.html", context, status=400)
        close(client=client, alert=alert, acting_user=user, **{field: form.cleaned_data[field]})
        messages.success(request, str(done))
    except (AlertError, AlertInputError) as exc:
        messages.error(request, exc.message)
    return redirect("alert-page", pk=alert.pk)


# The actions that close an alert: their form, the field the service takes, the service, and
# what the page then says.
CLOSING: dict[str, tuple[type[forms.Form], str, Callable[..., Alert], Any]] = {
    "resolve": (ResolveForm, "note", alert_resolve, gettext_lazy("Resolved.")),
    "dismiss": (DismissForm, "reason", alert_dismiss, gettext_lazy("Dismissed as noise.")),
}
