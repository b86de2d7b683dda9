"""Pages of the agency host: the desk, and the health check."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from agency.models import AGENCY_ROLES, Role
from agency.selectors import clients_for_user, desk_rows, user_agency_role


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
