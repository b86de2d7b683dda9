"""Membership check for every page of a brand host.

API paths are left to DRF, whose default permission (agency.permissions.TenantAccess) makes the
same check after token or session authentication.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from agency.selectors import Access, client_access

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Public pages of a brand host, for anyone: the crisis Q&A page (playbooks.views_qa.qa_public),
# which speaks its version's language and must not vary by person (a CDN keeps it).
PUBLIC_PREFIXES = ("/qa/",)
# An employee's notice opens from its signed link, with no account (playbooks.notices).
EXEMPT_PREFIXES = ("/api/", "/static/", "/notice/", *PUBLIC_PREFIXES)
# The one write of a client viewer on the brand's pages: approving a crisis reply before it goes
# out (playbooks.views.responses.answer_approve; the service checks who may approve).
VIEWER_WRITES = re.compile(r"^/incidents/\d+/answer/\d+/approve/$")


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
                request,
                "403.html",
                {"reason": _("You have no access to %(brand)s.") % {"brand": tenant.name}},
                status=403,
            )
        if (
            access is Access.READ
            and request.method not in SAFE_METHODS
            and not (request.method == "POST" and VIEWER_WRITES.match(request.path))
        ):
            return render(
                request,
                "403.html",
                {"reason": _("Your access to %(brand)s is read-only.") % {"brand": tenant.name}},
                status=403,
            )
        request.access = access  # type: ignore[attr-defined]
        return self.get_response(request)


def language_for(request: HttpRequest) -> str:
    """The person's chosen language; else, on a brand host, the brand's; else the browser's."""
    user = getattr(request, "user", None)
    chosen = getattr(user, "language", "") if user is not None else ""
    tenant = getattr(request, "tenant", None)
    if not chosen and tenant is not None and not tenant.is_public:
        chosen = tenant.language
    available = {code for code, _name in settings.LANGUAGES}
    if chosen in available:
        return str(chosen)
    return translation.get_language_from_request(request)


class LanguageMiddleware:
    """Activates the language of `language_for` for the request (Django's LocaleMiddleware
    knows neither the person's choice nor the brand's language)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(PUBLIC_PREFIXES):
            return self.get_response(request)
        # The API is a contract for programs: its messages and labels stay in English.
        api = request.path.startswith("/api/")
        language = settings.LANGUAGE_CODE if api else language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response
