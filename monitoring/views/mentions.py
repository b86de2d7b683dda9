"""The mention stream: the API's filters and full-text search, its cursor pages (keyset, no
COUNT, no OFFSET over the table) and a link to its CSV export with the same selection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import DataError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

from monitoring.api.intake import ByPosted
from monitoring.forms import MentionFiltersForm
from monitoring.selectors import mention_originals, mentions_filter, source_names
from monitoring.views.base import brand_of


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    older: str | None
    newer: str | None


def cursor_page(
    request: HttpRequest, queryset: QuerySet[Any], pagination: type[CursorPagination]
) -> Page:
    """One page of `queryset` through the API's own cursor pagination, with the links to the
    pages around it (relative, on this host). A cursor that names no position is a 404."""
    paginator = pagination()
    try:
        rows = paginator.paginate_queryset(queryset, Request(request)) or []
    except (NotFound, ValidationError, ValueError, OverflowError, DataError) as exc:
        # A forged cursor: not base64, or a position that is not a time.
        raise Http404 from exc

    def relative(link: str | None) -> str | None:
        if link is None:
            return None
        parts = urlsplit(link)
        return f"{parts.path}?{parts.query}"

    return Page(
        rows=rows,
        older=relative(paginator.get_next_link()),
        newer=relative(paginator.get_previous_link()),
    )


@require_GET
def mentions_page(request: HttpRequest) -> HttpResponse:
    client = brand_of(request)
    form = MentionFiltersForm(
        request.GET, sources=source_names(client=client), zone=client.timezone
    )
    context: dict[str, Any] = {"client": client, "form": form}
    if not form.is_valid():
        return render(request, "monitoring/mentions.html", context, status=400)
    mentions = mentions_filter(client=client, **form.selection())
    page = cursor_page(request, mentions, ByPosted)
    query = form.api_query()
    originals = mention_originals(client=client, mentions=page.rows)
    context |= {
        "page": page,
        # Each mention with the stored original it shares, if it is a share of one.
        "stream": [(m, originals.get((m.source_id, m.repost_of))) for m in page.rows],
        "export_url": reverse("v1:mentions-export") + (f"?{query}" if query else ""),
    }
    return render(request, "monitoring/mentions.html", context)
