"""What every brand page needs: the brand of the host and whether this person may write."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from agency.charts import Chart, lines
from agency.selectors import Access
from agency.templatetags.stormdesk import zone_clock
from clients.models import Client
from monitoring.models import Platform, Wave
from monitoring.selectors import wave_timeline

PAGE = 100


def brand_of(request: HttpRequest) -> Client:
    """The brand whose host this is (the tenant middleware has entered its schema)."""
    return request.tenant  # type: ignore[attr-defined,no-any-return]


def writes(request: HttpRequest) -> bool:
    """Whether this person may change the brand (a client viewer may not)."""
    return getattr(request, "access", None) is Access.FULL


def wave_charts(client: Client, wave: Wave) -> tuple[Chart, Chart] | None:
    """The wave's mentions per bin and platform: a chart for a desk, and a narrower one with
    larger text for a phone (monitoring/_charts.html); None before any bin was read."""
    starts, series = wave_timeline(client=client, wave=wave)
    if not starts:
        return None
    names = dict(Platform.choices)
    labels = [zone_clock(start, client.timezone) for start in starts]
    named: dict[str, Any] = {str(names.get(k, k)): v for k, v in series.items()}
    return lines(labels, named), lines(labels, named, width=360, height=240, ticks=3, font=15)
