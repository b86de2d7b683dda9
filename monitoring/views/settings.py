"""The brand's watch settings: what each threshold means, its unit and value; agency staff
change them through the service the API calls (monitoring.services.brand_settings_update)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from agency.middleware import portal_url
from agency.selectors import user_can_manage_clients
from monitoring.exceptions import SettingsError
from monitoring.forms import BrandSettingsForm
from monitoring.models import BrandSettings
from monitoring.selectors import brand_settings_get
from monitoring.services import EDITABLE_SETTINGS, brand_settings_update
from monitoring.views.base import brand_of, writes


def _context(request: HttpRequest, current: BrandSettings, form: BrandSettingsForm) -> Any:
    return {
        "client": brand_of(request),
        "form": form,
        "settings": current,
        "rows": [(form[name], getattr(current, name)) for name in EDITABLE_SETTINGS],
        "writes": writes(request),
        # Exports and offboarding are on the portal, for agency admins and account managers.
        "manages": writes(request) and user_can_manage_clients(user=request.user),
        "admin_url": portal_url(f"/brands/{brand_of(request).slug}/"),
    }


@require_http_methods(["GET", "HEAD", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    client = brand_of(request)
    current = brand_settings_get(client=client)
    if request.method != "POST":
        initial = {name: getattr(current, name) for name in EDITABLE_SETTINGS}
        form = BrandSettingsForm(initial=initial)
        return render(request, "monitoring/settings.html", _context(request, current, form))
    if not writes(request):
        raise PermissionDenied
    form = BrandSettingsForm(request.POST)
    if form.is_valid():
        # The form holds every setting; the service (and its audit row) gets what changed.
        changes = {k: v for k, v in form.cleaned_data.items() if v != getattr(current, k)}
        try:
            brand_settings_update(
                client=client,
                acting_user=request.user,  # type: ignore[arg-type]
                changes=changes,
            )
        except SettingsError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("settings-page")
    return render(request, "monitoring/settings.html", _context(request, current, form), status=400)
