"""The brand's row on the agency desk (agency.models.BrandStatus), kept current by its own work.

`brand_status_refresh` reads the brand's schema (its open wave, open alerts, sources' health,
the newest negative posts by multipliers, the last hour's volume) and writes the one public
row the desk reads; `brand_status_refresh_on_commit` does it after the caller's transaction
commits, as processing, alert actions and polls do. The per-minute detection tick refreshes
every brand too, so that what only time changes (a source falling silent, an alert growing
old) reaches the desk within a minute. A refresh that fails is logged and never undoes the
work that asked for it: the next one makes good.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from agency.models import DESK_RANK, BrandStatus, DeskState
from clients import tenancy
from monitoring import watchtime
from monitoring.models import (
    LEVEL_ORDER,
    Alert,
    AlertStatus,
    Mention,
    WatchCheck,
    Wave,
    WaveStatus,
)
from monitoring.selectors import (
    brand_settings_get,
    source_failing,
    source_health_of,
    sources_with_stats,
    watch_cadence,
)

if TYPE_CHECKING:
    from clients.models import Client

logger = logging.getLogger(__name__)

MULTIPLIER_POSTS = 3
MULTIPLIER_WITHIN = timedelta(hours=24)
TEXT_CHARS = 280
OPEN_ALERT = (AlertStatus.NEW, AlertStatus.ACKNOWLEDGED)


def _state(level: str | None) -> str:
    return level if level in DESK_RANK and level != DeskState.CALM else DeskState.CALM


def _sources(client: Client, now: datetime) -> tuple[int, list[dict[str, Any]], list[Any]]:
    failing: list[dict[str, Any]] = []
    silent: list[dict[str, Any]] = []
    total = 0
    for source in sources_with_stats(client=client).filter(is_active=True):
        total += 1
        if source_failing(source):
            failing.append({"id": source.pk, "name": source.name, "error": source.last_error})
            continue
        health = source_health_of(source, now=now)
        if health.silent:
            silent.append({"id": source.pk, "name": source.name, "hours": health.silent_for_hours})
    return total, failing, silent


def _multiplier_posts(since: datetime) -> list[dict[str, Any]]:
    posts = (
        Mention.objects.filter(
            is_multiplier=True, sentiment="neg", deleted_at__isnull=True, posted_at__gte=since
        )
        .select_related("author")
        .order_by("-posted_at", "-id")[:MULTIPLIER_POSTS]
    )
    return [
        {
            "handle": post.author.handle if post.author else "",
            "followers": post.author.followers if post.author else None,
            "platform": post.platform,
            "text": post.text[:TEXT_CHARS],
            "url": post.url,
            "posted_at": post.posted_at.isoformat(),
        }
        for post in posts
    ]


def _watch(client: Client, now: datetime) -> dict[str, object]:
    last = WatchCheck.objects.order_by("-checked_at", "-id").values("checked_at", "by").first()
    cadence = watch_cadence(brand_settings_get(client=client))
    at = last["checked_at"] if last else None
    return {
        "last_checked_at": at,
        "last_checked_by": last["by"] if last else "",
        "check_due": watchtime.check_due(at, now, cadence, client.zone),
    }


def brand_status_refresh(*, client: Client, now: datetime | None = None) -> BrandStatus:
    """Compute the brand's desk row from its schema and write it; returns the row."""
    tenancy.require_tenant(client)
    now = now or timezone.now()
    wave = Wave.objects.filter(status=WaveStatus.OPEN).first()
    alerts = sorted(
        Alert.objects.filter(status__in=OPEN_ALERT),
        key=lambda a: (-LEVEL_ORDER[a.level], a.opened_at),
    )
    top = alerts[0] if alerts else None
    level = wave.level if wave is not None else None
    if top is not None and (level is None or LEVEL_ORDER[top.level] > LEVEL_ORDER[level]):
        level = top.level
    state = _state(level)
    total, failing, silent = _sources(client, now)
    hour = Mention.objects.filter(
        posted_at__gte=now - timedelta(hours=1), posted_at__lte=now, deleted_at__isnull=True
    )
    unacknowledged = any(a.status == AlertStatus.NEW for a in alerts)
    values = {
        "state": state,
        "rank": DESK_RANK[state] * 10_000
        + (1_000 if unacknowledged else 0)
        + min(len(failing) + len(silent), 99) * 10,
        "wave_id": wave.pk if wave else None,
        "wave_started_at": wave.started_at if wave else None,
        "reasons": (wave.reasons if wave else top.reasons if top else [])[:5],
        "open_alerts": len(alerts),
        "alert_id": top.pk if top else None,
        "alert_level": top.level if top else "",
        "alert_status": top.status if top else "",
        "alert_title": top.title if top else "",
        "alert_opened_at": top.opened_at if top else None,
        "sources_total": total,
        "sources_failing": failing,
        "sources_silent": silent,
        # those of the open wave, or of the last day
        "multiplier_posts": _multiplier_posts(wave.started_at if wave else now - MULTIPLIER_WITHIN),
        "mentions_last_hour": hour.count(),
        "negative_last_hour": hour.filter(sentiment="neg").count(),
        **_watch(client, now),
        "updated_at": now,
    }
    status, _ = BrandStatus.objects.update_or_create(client_id=client.pk, defaults=values)
    return status


def _refresh_quietly(client: Client) -> None:
    try:
        with tenancy.tenant_context(client):
            brand_status_refresh(client=client)
    except Exception:  # the work that asked has committed; the next refresh makes good
        logger.exception("%s: desk status not refreshed", client.schema_name)


def brand_status_refresh_on_commit(*, client: Client) -> None:
    """Refresh the brand's desk row once the current transaction commits (at once outside
    one); a rolled-back transaction refreshes nothing."""
    tenancy.require_tenant(client)
    transaction.on_commit(lambda: _refresh_quietly(client))
