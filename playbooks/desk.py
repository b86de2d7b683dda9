"""The brand's open incident on the agency desk (agency.models.DeskIncident), kept current by
the response's own work.

`desk_incident_refresh` reads the brand's schema (its newest open incident, the first-response
clock of playbooks.selectors.first_response, the wave's other platforms) and writes the one
public row the desk reads, or deletes it when no incident of the brand is open. It runs after
an incident opens, changes status or closes and after a response is sent or recorded
(`desk_incident_refresh_on_commit`, from playbooks.services and playbooks.sending), and every
minute from playbooks.tasks, so that the counts keep up with the wave between two changes.
The desk counts the clock's minutes itself when it is shown, from the moments stored here.

"The same topic" is the incident's wave. Detection puts every mention of the brand posted
since the wave started into it (Mention.wave), on every platform, and every source of a brand
is the brand's own account, its name as a query or its hashtags: a post of the wave is about
the brand in the hours the wave runs, wherever it was posted. That is what the person at the
desk has to check ("while it burns on X, is LinkedIn joining in?"), so the desk does not
narrow it further by the posts' words: the platforms' posts are in different languages, and
the brand's name and the complaint words ("never again") are shared by unrelated posts as
much as by related ones; the newest negative post of each platform shows the person what it
is about. Per platform other than the wave's origin: the wave's mentions there (shares
included), its negative ones (as detection counts them: not a share of another post, not
deleted), the newest negative post, and whether the brand has an account of its own there (an
active owned source). Platforms where the brand has one and the wave has nothing yet are
listed too ("quiet so far"); platforms of the wave where the brand has none are marked as such
on the desk.

Idempotent: a refresh computes the whole row from the brand's schema; concurrent refreshes of
one brand take turns on an advisory lock, so the one that writes last read last. A refresh
that fails is logged and never undoes the work that asked for it: the next one makes good.
"""

from __future__ import annotations

import logging
import zlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.utils import timezone

from agency.models import DeskIncident
from clients import tenancy
from monitoring.models import Mention, Source, SourceKind, WaveStatus
from playbooks.models import Incident, IncidentStatus
from playbooks.selectors import first_response

if TYPE_CHECKING:
    from clients.models import Client

logger = logging.getLogger(__name__)

TEXT_CHARS = 280


def _brand_lock(schema_name: str) -> None:
    key = zlib.crc32(f"desk-incident:{schema_name}".encode())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _latest(mention: Mention) -> dict[str, Any]:
    author = mention.author
    return {
        "handle": author.handle if author else "",
        "followers": author.followers if author else None,
        "text": mention.text[:TEXT_CHARS],
        "url": mention.url,
        "posted_at": mention.posted_at.isoformat(),
    }


def other_platforms(*, client: Client, incident: Incident) -> list[dict[str, Any]]:
    """The wave's platforms other than its origin, most negative first, and the platforms
    where the brand has an account of its own and the wave nothing yet (three queries); see the
    module docstring for what counts."""
    tenancy.require_tenant(client)
    origin = incident.alert.origin_platform
    wave = Mention.objects.filter(wave_id=incident.wave_id, deleted_at__isnull=True).exclude(
        platform=origin
    )
    negative = Q(sentiment="neg", repost_of="")
    counts = {
        row["platform"]: row
        for row in wave.values("platform").annotate(
            mentions=Count("id"), negative=Count("id", filter=negative)
        )
    }
    newest = {
        m.platform: m
        for m in wave.filter(negative)
        .select_related("author")
        .order_by("platform", "-posted_at", "-id")
        .distinct("platform")
    }
    owned = set(
        Source.objects.filter(kind=SourceKind.OWNED, is_active=True)
        .exclude(platform=origin)
        .values_list("platform", flat=True)
    )
    rows = [
        {
            "platform": platform,
            "mentions": counts[platform]["mentions"] if platform in counts else 0,
            "negative": counts[platform]["negative"] if platform in counts else 0,
            "owned": platform in owned,
            "latest": _latest(newest[platform]) if platform in newest else None,
        }
        for platform in set(counts) | owned
    ]
    return sorted(rows, key=lambda r: (-r["negative"], -r["mentions"], r["platform"]))


@transaction.atomic
def desk_incident_refresh(*, client: Client, now: datetime | None = None) -> DeskIncident | None:
    """Compute the brand's incident part of the desk from its schema and write it; returns the
    row, or None when no incident is open (the row is deleted). Of several open incidents the
    desk shows that of the wave still open, else the newest, and counts the others."""
    tenancy.require_tenant(client)
    now = now or timezone.now()
    _brand_lock(client.schema_name)
    open_ones = list(
        Incident.objects.exclude(status=IncidentStatus.CLOSED)
        .select_related("alert", "wave")
        .annotate(
            wave_over=Case(
                When(wave__status=WaveStatus.OPEN, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("wave_over", "-opened_at", "-id")
    )
    if not open_ones:
        DeskIncident.objects.filter(client_id=client.pk).delete()
        return None
    incident = open_ones[0]
    clock = first_response(client=client, incident=incident)
    values = {
        "incident_id": incident.pk,
        "title": incident.title,
        "status": incident.status,
        "opened_at": incident.opened_at,
        "more_open": len(open_ones) - 1,
        "wave_started_at": incident.wave.started_at,
        "origin_platform": clock.platform,
        "started_at": clock.started_at,
        "answered_at": clock.answered_at,
        "target_minutes": clock.target_minutes,
        "elsewhere_platform": clock.elsewhere[0] if clock.elsewhere else "",
        "elsewhere_at": clock.elsewhere[1] if clock.elsewhere else None,
        "platforms": other_platforms(client=client, incident=incident),
        "updated_at": now,
    }
    row, _ = DeskIncident.objects.update_or_create(client_id=client.pk, defaults=values)
    return row


def _refresh_quietly(client: Client) -> None:
    try:
        with tenancy.tenant_context(client):
            desk_incident_refresh(client=client)
    except Exception:  # the work that asked has committed; the next refresh makes good
        logger.exception("%s: desk incident not refreshed", client.schema_name)


def desk_incident_refresh_on_commit(*, client: Client) -> None:
    """Refresh the brand's incident on the desk once the current transaction commits (at once
    outside one); a rolled-back transaction refreshes nothing."""
    tenancy.require_tenant(client)
    transaction.on_commit(lambda: _refresh_quietly(client))
