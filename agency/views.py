"""Pages of the agency host: the desk, the coverage board, the language, the health check."""

from __future__ import annotations

from datetime import UTC

from allauth.account.adapter import get_adapter as get_account_adapter
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from agency.exceptions import StormdeskError
from agency.middleware import language_for
from agency.models import AGENCY_ROLES, Role
from agency.roster import COVERED, coverage_board
from agency.selectors import (
    clients_for_user,
    desk_rows,
    user_agency_role,
    user_can_manage_clients,
)
from agency.services import user_language_set


@login_required
def portal_home(request: HttpRequest) -> HttpResponse:
    """The agency desk for agency staff; a client viewer goes to their brand's dashboard."""
    role = user_agency_role(user=request.user)
    if role == Role.CLIENT_VIEWER:
        client = clients_for_user(user=request.user).first()
        if client is not None:
            return redirect(client.get_absolute_url())
    if role not in AGENCY_ROLES:
        return render(request, "agency/home.html", {"role": None, "clients": []})
    return render(
        request,
        "agency/desk.html",
        {
            "role": role.label,
            "rows": desk_rows(user=request.user),
            "poll_seconds": settings.DESK_POLL_SECONDS,
            "onboards": user_can_manage_clients(user=request.user),
        },
    )


@login_required
def desk_refresh(request: HttpRequest) -> HttpResponse:
    """The desk's brand rows alone, for the page's own polling (htmx)."""
    if user_agency_role(user=request.user) not in AGENCY_ROLES:
        raise PermissionDenied
    return render(request, "agency/_desk_rows.html", {"rows": desk_rows(user=request.user)})


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness of the database and the cache, for load balancers and the demo script."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # report, don't raise: this is the health check
        checks["database"] = f"error: {exc}"
    try:
        cache.set("healthz", "ok", 5)
        checks["cache"] = "ok" if cache.get("healthz") == "ok" else "error: read back failed"
    except Exception as exc:
        checks["cache"] = f"error: {exc}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", **checks}, status=200 if healthy else 503
    )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of the interface"),
        required=False,
        choices=[("", _("The brand's language (else my browser's)")), *settings.LANGUAGES],
        widget=forms.RadioSelect,
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


def _back_to(request: HttpRequest, target: str) -> str:
    """Where to go after the choice: the page it came from, on the portal or a brand host, by
    the same rule as the log-in's `next` (agency.adapters.AccountAdapter.is_safe_url)."""
    return target if get_account_adapter(request).is_safe_url(target) else "/"


@login_required
def language_choose(request: HttpRequest) -> HttpResponse:
    """The person's language of the interface, stored on them (every host reads it)."""
    user = request.user
    if request.method == "POST":
        form = LanguageForm(request.POST)
        if form.is_valid():
            user_language_set(user=user, language=form.cleaned_data["language"])  # type: ignore[arg-type]
            translation.activate(language_for(request))
            messages.success(request, _("Language saved."))
            return redirect(_back_to(request, form.cleaned_data["next"]))
        return render(request, "agency/language.html", {"form": form}, status=400)
    form = LanguageForm(
        initial={"language": user.language, "next": request.GET.get("next", "")}  # type: ignore[union-attr]
    )
    return render(request, "agency/language.html", {"form": form})


@login_required
def coverage_page(request: HttpRequest) -> HttpResponse:
    """The next 14 days, brand by hour: who covers, where nobody does (red), where one person
    holds too many brands at once (amber); for the agency's people, on the brands they cover."""
    if user_agency_role(user=request.user) not in AGENCY_ROLES:
        raise PermissionDenied
    # Whole UTC days from today's midnight, so that each column is one day.
    today = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    board = coverage_board(clients=list(clients_for_user(user=request.user)), start=today)
    days = [(board.hours[hours[0]], hours) for hours in board.days]
    rows = []
    for row in board.rows:
        zone = row.client.zone
        cells = []
        for start, hours in days:
            marks = [
                (n * 4, row.cells[h].state, row.cells[h].overloaded) for n, h in enumerate(hours)
            ]
            missing = sum(1 for h in hours if row.cells[h].state != COVERED)
            cells.append((start.astimezone(zone), marks, missing))
        rows.append((row, cells))
    return render(
        request,
        "agency/coverage.html",
        {"board": board, "rows": rows, "days": [start for start, _ in days]},
    )


@login_required
@require_POST
def desk_check(request: HttpRequest, slug: str) -> HttpResponse:
    """ "Checked <brand>: all quiet" from the desk: the check is recorded in the brand's watch
    log (the service refuses anyone who may not write on the brand); htmx gets the desk's rows
    back, a plain form post the desk."""
    from clients import tenancy
    from monitoring.services.watch import watch_check_record

    client = clients_for_user(user=request.user).filter(slug=slug).first()
    if client is None:
        raise PermissionDenied
    with tenancy.tenant_context(client):
        try:
            watch_check_record(client=client, acting_user=request.user)  # type: ignore[arg-type]
        except StormdeskError as exc:
            raise PermissionDenied(exc.message) from exc
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "agency/_desk_rows.html", {"rows": desk_rows(user=request.user)})
    messages.success(request, _("Check of %(brand)s recorded.") % {"brand": client.name})
    return redirect("portal-home")
