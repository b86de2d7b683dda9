"""The brand's dashboard: its volume and negative volume over time with the waves marked, the
share by platform, the sentiment split, the top multipliers and the health of its sources."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from monitoring.selectors import brand_settings_get
from monitoring.views.base import brand_of


@require_GET
def brand_home(request: HttpRequest) -> HttpResponse:
    client = brand_of(request)
    return render(
        request,
        "monitoring/brand_home.html",
        {
            "client": client,
            "settings": brand_settings_get(client=client),
            "access": request.access.value,  # type: ignore[attr-defined]
        },
    )
