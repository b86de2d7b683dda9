"""The waves history, kept for reports: every wave with its verdict, spread and alert, on the
API's cursor pages; one wave's timeline per platform and its mentions by reach."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from monitoring.api.alerts import WaveList
from monitoring.forms import WaveFiltersForm
from monitoring.models import Platform, Wave
from monitoring.selectors import (
    mention_originals,
    wave_mentions_by_reach,
    waves_filter,
)
from monitoring.views.base import brand_of, wave_charts
from monitoring.views.mentions import cursor_page


def _platforms(wave: Wave) -> list[tuple[str, int]]:
    """The platforms the wave's negative mentions came from, the most first, by name."""
    names = dict(Platform.choices)
    counts = (wave.figures or {}).get("platforms") if isinstance(wave.figures, dict) else None
    if not isinstance(counts, dict):
        return []
    return sorted(
        ((str(names.get(key, key)), n) for key, n in counts.items() if isinstance(n, int)),
        key=lambda pair: -pair[1],
    )


@require_GET
def waves_page(request: HttpRequest) -> HttpResponse:
    client = brand_of(request)
    form = WaveFiltersForm(request.GET)
    context: dict[str, Any] = {"client": client, "form": form}
    if not form.is_valid():
        return render(request, "monitoring/waves.html", context, status=400)
    waves = waves_filter(
        client=client,
        level=form.cleaned_data["level"] or None,
        status=form.cleaned_data["status"] or None,
    )
    page = cursor_page(request, waves, WaveList.pagination_class)  # type: ignore[arg-type]
    context |= {"page": page, "rows": [(wave, _platforms(wave)) for wave in page.rows]}
    return render(request, "monitoring/waves.html", context)


@require_GET
def wave_page(request: HttpRequest, pk: int) -> HttpResponse:
    client = brand_of(request)
    wave = get_object_or_404(waves_filter(client=client), pk=pk)
    mentions = list(wave_mentions_by_reach(client=client, wave=wave))
    originals = mention_originals(client=client, mentions=mentions)
    return render(
        request,
        "monitoring/wave.html",
        {
            "client": client,
            "wave": wave,
            "platforms": _platforms(wave),
            "charts": wave_charts(client, wave),
            "stream": [(m, originals.get((m.source_id, m.repost_of))) for m in mentions],
        },
    )
