"""Pages: the agency portal's home, a brand's home, and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from agency.selectors import clients_for_user, user_agency_role
from monitoring.selectors import brand_settings_get


@login_required
def portal_home(request: HttpRequest) -> HttpResponse:
    role = user_agency_role(user=request.user)
    return render(
        request,
        "agency/home.html",
        {"role": role.label if role else None, "clients": clients_for_user(user=request.user)},
    )


def brand_home(request: HttpRequest) -> HttpResponse:
    # TenantAccessMiddleware has checked membership before this runs.
    client = request.tenant  # type: ignore[attr-defined]
    return render(
        request,
        "monitoring/brand_home.html",
        {
            "client": client,
            "settings": brand_settings_get(client=client),
            "access": request.access.value,  # type: ignore[attr-defined]
        },
    )


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
