"""The brand's dashboard: its volume and negative volume over time with the waves marked, the
share by platform, the sentiment split, the top multipliers and the health of its sources.

Everything comes from the rollups (monitoring.selectors.brand_dashboard) and the brand's status
row: the page costs the same for a brand with a million mentions as for one with ten."""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from agency.charts import PALETTE, lines, shares
from agency.models import BrandStatus
from monitoring.models import Platform, Sentiment, Source
from monitoring.selectors import Dashboard, brand_dashboard
from monitoring.views.base import brand_of, writes

RANGE_CHOICES = [
    ("hour", _("48 hours, by hour")),
    ("day", _("30 days, by day")),
    ("week", _("26 weeks, by week")),
]

# Sentiment in colours that keep 3:1 against white, the one not yet analysed in grey.
FEELINGS = [
    (Sentiment.NEGATIVE, "#b3261e"),
    (Sentiment.NEUTRAL, "#5b6475"),
    (Sentiment.POSITIVE, "#2e7d32"),
    ("", "#8a93a3"),
]


class DashboardForm(forms.Form):
    by = forms.ChoiceField(label=_("Range"), choices=RANGE_CHOICES, required=False)


def _label(start: datetime, by: str) -> str:
    return formats.date_format(start, "H:i" if by == "hour" else "j M")


def _charts(board: Dashboard) -> tuple[Any, Any]:
    """The chart for a desk, and a narrower one with fewer ticks whose text stays legible when
    a phone shrinks it (the stylesheet shows one of the two)."""
    labels = [_label(start, board.by) for start in board.starts]
    last = len(board.starts) - 1

    def point(moment: datetime | None) -> float:
        return float(last) if moment is None else float(bisect_right(board.starts, moment) - 1)

    bands = [
        (
            point(wave.started_at),
            point(wave.ended_at),
            wave.get_peak_level_display(),
            wave.peak_level,
        )
        for wave in board.waves
    ]
    series = {str(_("Mentions")): board.mentions, str(_("Negative")): board.negative}
    return lines(labels, series, bands=bands), lines(
        labels, series, bands=bands, width=360, height=240, ticks=3, font=15
    )


@require_GET
def brand_home(request: HttpRequest) -> HttpResponse:
    client = brand_of(request)
    form = DashboardForm(request.GET or None)
    by = (form.cleaned_data["by"] if form.is_valid() else "") or "day"
    board = brand_dashboard(client=client, by=by)
    names = dict(Platform.choices)
    platforms = shares(
        [
            (str(names.get(key, key)), count, PALETTE[n % len(PALETTE)])
            for n, (key, count) in enumerate(board.platforms)
        ]
    )
    feelings = dict(Sentiment.choices) | {"": str(_("not analysed yet"))}
    sentiment = shares(
        [(str(feelings[key]), board.sentiment.get(key, 0), colour) for key, colour in FEELINGS]
    )
    status = BrandStatus.objects.filter(client=client).first()
    failing = {row["id"]: row for row in status.sources_failing} if status else {}
    silent = {row["id"]: row for row in status.sources_silent} if status else {}
    sources = [
        (source, failing.get(source.pk), silent.get(source.pk))
        for source in Source.objects.order_by("-is_active", "name")
    ]
    return render(
        request,
        "monitoring/brand_home.html",
        {
            "client": client,
            "form": form,
            "by": by,
            "ranges": RANGE_CHOICES,
            "board": board,
            "charts": _charts(board),
            "platforms": platforms,
            "sentiment": sentiment,
            "status": status,
            "sources": sources,
            "writes": writes(request),
        },
    )
