"""Pages of the clients app: onboarding a brand on the portal, and the answer to a host that
belongs to no brand."""

from __future__ import annotations

import logging
import time
import zoneinfo
from functools import cache
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from agency.exceptions import StormdeskError
from agency.selectors import clients_for_user, user_can_manage_clients
from clients.exceptions import OnboardingError
from clients.models import Client, ClientExport, ExportStatus, Language
from clients.services import client_export_request, client_offboard, client_onboard
from clients.tenancy import host_normalize

logger = logging.getLogger(__name__)


# A brand's newest exports on its administration page (the API lists them all).
EXPORTS_SHOWN = 20


@cache
def time_zones() -> list[str]:
    return sorted(zoneinfo.available_timezones())


class OnboardForm(forms.Form):
    """What the API's OnboardSerializer takes; clients.services.client_onboard checks the rest
    (slug, reserved names, time zone) and its errors become the fields' errors."""

    name = forms.CharField(label=_("Name"), max_length=200)
    slug = forms.CharField(
        label=_("Slug"),
        max_length=40,
        help_text=_(
            "The brand's host name: 3 to 40 lowercase letters, digits and hyphens, e.g. "
            "alpha-bakery."
        ),
    )
    timezone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        initial="Europe/Amsterdam",
        help_text=_("Where the brand lives: its pages and reports tell time there."),
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=Language.choices, initial=Language.ENGLISH
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def brand_onboard(request: HttpRequest) -> HttpResponse:
    """A new brand (agency admins and account managers): its schema, host and defaults, then
    its dashboard on its own host. Creating the schema takes a few seconds, in the request."""
    if not user_can_manage_clients(user=request.user):
        raise PermissionDenied
    form = OnboardForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        data = form.cleaned_data
        started = time.monotonic()
        try:
            client = client_onboard(
                name=data["name"],
                slug=data["slug"],
                timezone_name=data["timezone"],
                language=data["language"],
                acting_user=request.user,  # type: ignore[arg-type]
            )
        except OnboardingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            logger.info("onboarded %s in %.1f s", client.slug, time.monotonic() - started)
            messages.success(
                request,
                _("%(brand)s is live. Next: add its sources, so that it is watched.")
                % {"brand": client.name},
            )
            return HttpResponseRedirect(client.get_absolute_url())
    status = 400 if form.is_bound else 200
    context = {"form": form, "time_zones": time_zones()}
    return render(request, "clients/onboard.html", context, status=status)


def unknown_host(request: HttpRequest) -> HttpResponse:
    """A host with no brand: a clear 404, never the public schema's pages or data."""
    host = host_normalize(request.get_host())
    message = f"No brand answers on {host}."
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": {"status": 404, "code": "unknown_host", "message": message, "fields": {}}},
            status=404,
        )
    port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
    body = render_to_string(
        "unknown_host.html",
        {"host": host, "portal_url": f"http://{settings.BASE_DOMAIN}{port}/"},
    )
    return HttpResponse(body, status=404)


class OffboardForm(forms.Form):
    confirm = forms.CharField(
        label=_("Type the brand's slug to confirm"),
        max_length=40,
        help_text=_("The brand's data is archived first; then its schema and host are gone."),
    )

    def __init__(self, *args: Any, slug: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.slug = slug

    def clean_confirm(self) -> str:
        typed = str(self.cleaned_data["confirm"]).strip()
        if typed != self.slug:
            raise forms.ValidationError(
                _("Type %(slug)s exactly to offboard the brand."), params={"slug": self.slug}
            )
        return typed


def _managed_brand(request: HttpRequest, slug: str) -> Client:
    """A brand the person covers, for agency admins and account managers only."""
    if not user_can_manage_clients(user=request.user):
        raise PermissionDenied
    client = clients_for_user(user=request.user).filter(slug=slug).first()
    if client is None:
        raise Http404
    return client


def _admin_page(
    request: HttpRequest, client: Client, form: OffboardForm | None = None, status: int = 200
) -> HttpResponse:
    exports = ClientExport.objects.filter(client=client).select_related("requested_by")
    return render(
        request,
        "clients/brand_admin.html",
        {
            "client": client,
            "exports": exports.order_by("-created_at", "-id")[:EXPORTS_SHOWN],
            "form": form or OffboardForm(slug=client.slug),
            "done": ExportStatus.DONE,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def brand_admin(request: HttpRequest, slug: str) -> HttpResponse:
    """A brand's archive and end (agency admins, account managers): its exports with their
    download links (the API's), a new export, offboarding."""
    return _admin_page(request, _managed_brand(request, slug))


@login_required
@require_POST
def brand_export(request: HttpRequest, slug: str) -> HttpResponse:
    client = _managed_brand(request, slug)
    client_export_request(client=client, acting_user=request.user)  # type: ignore[arg-type]
    messages.success(request, _("The export is queued: its download appears here when written."))
    return redirect("brand-admin", slug=client.slug)


@login_required
@require_POST
def brand_offboard(request: HttpRequest, slug: str) -> HttpResponse:
    client = _managed_brand(request, slug)
    form = OffboardForm(request.POST, slug=client.slug)
    if not form.is_valid():
        return _admin_page(request, client, form, status=400)
    name = client.name
    try:
        export = client_offboard(client=client, acting_user=request.user)  # type: ignore[arg-type]
    except StormdeskError as exc:
        form.add_error(None, exc.message)
        return _admin_page(request, client, form, status=400)
    messages.success(
        request,
        _("%(brand)s is offboarded; its archive is kept as %(file)s.")
        % {"brand": name, "file": Path(export.path).name},
    )
    return redirect("portal-home")
