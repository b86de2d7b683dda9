"""Membership check for every page of a brand host.

API paths are left to DRF, whose default permission (agency.permissions.TenantAccess) makes the
same check after token or session authentication.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render

from agency.selectors import Access, client_access

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
EXEMPT_PREFIXES = ("/api/", "/static/")


def portal_url(path: str = "/") -> str:
    port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
    return f"http://{settings.BASE_DOMAIN}{port}{path}"


class TenantAccessMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.is_public or request.path.startswith(EXEMPT_PREFIXES):
            return self.get_response(request)
        if not request.user.is_authenticated:
            next_url = request.build_absolute_uri()
            return HttpResponseRedirect(
                portal_url("/accounts/login/?") + urlencode({"next": next_url})
            )
        access = client_access(user=request.user, client=tenant)
        if access is None:
            return render(
                request, "403.html", {"reason": f"You have no access to {tenant.name}."}, status=403
            )
        if access is Access.READ and request.method not in SAFE_METHODS:
            return render(
                request,
                "403.html",
                {"reason": f"Your access to {tenant.name} is read-only."},
                status=403,
            )
        request.access = access  # type: ignore[attr-defined]
        return self.get_response(request)
