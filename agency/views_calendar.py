"""The shift calendar feeds on the agency portal: `/calendar/<token>.ics`, fetched by calendar
applications without a login (the token is the secret; a reset one is not found)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from agency.calendars import calendar_build, calendar_feed_by_token


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    feed = calendar_feed_by_token(token=token)
    if feed is None:
        raise Http404
    response = HttpResponse(
        calendar_build(feed, now=timezone.now()), content_type="text/calendar; charset=utf-8"
    )
    # The shifts of a person: kept by their calendar application, never by a shared cache.
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Disposition"] = 'inline; filename="shifts.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response
