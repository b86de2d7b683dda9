"""Reads of incidents that the pages and the API share: the list with each incident's overdue
steps, one incident with its checklist, the merged timeline, and why its playbook was chosen in
the reader's language. They run in the brand's schema (asserted). (They belong with
playbooks.selectors; kept here while that module is the lead's.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from agency.models import SITUATION_ORIGINS, SITUATION_TIMINGS
from clients import tenancy
from monitoring.models import Level, Platform
from monitoring.selectors import alert_pages
from playbooks.models import Incident, IncidentStatus

if TYPE_CHECKING:
    from clients.models import Client


def incidents_filter(*, client: Client, status: str | None = None) -> QuerySet[Incident]:
    """The brand's incidents, newest first, each with `overdue`: its steps past due and not
    done (none once it is closed)."""
    tenancy.require_tenant(client)
    now = timezone.now()
    incidents = Incident.objects.select_related("playbook").annotate(
        overdue=Count(
            "steps",
            filter=Q(steps__done_at__isnull=True, steps__due_at__lt=now)
            & ~Q(status=IncidentStatus.CLOSED),
        )
    )
    if status:
        incidents = incidents.filter(status=status)
    return incidents.order_by("-opened_at", "-id")


def incidents_open_first(*, client: Client) -> QuerySet[Incident]:
    """The list page's order: the open incidents, then the closed ones, newest first in each."""
    closed = Case(
        When(status=IncidentStatus.CLOSED, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return incidents_filter(client=client).order_by(closed, "-opened_at", "-id")


def incident_get(*, client: Client, pk: int) -> Incident | None:
    """One incident with its alert, wave and playbook (its steps and events are read apart)."""
    tenancy.require_tenant(client)
    return (
        Incident.objects.select_related("alert", "wave", "playbook")
        .prefetch_related("steps")
        .filter(pk=pk)
        .first()
    )


def incidents_of_alert(*, client: Client, alert_id: int) -> list[Incident]:
    """The incidents of an alert's wave (at most one open), newest first."""
    tenancy.require_tenant(client)
    return list(Incident.objects.filter(alert_id=alert_id).order_by("-opened_at", "-id")[:20])


@dataclass(frozen=True)
class Entry:
    """One line of an incident's timeline: from the incident itself, its alert, or a page the
    alert's escalation sent (`item` is the IncidentEvent, AlertEvent or Notification)."""

    at: datetime
    source: str  # "incident", "alert" or "page"
    item: Any

    @property
    def kind(self) -> str:
        return str(self.item.kind)

    @property
    def label(self) -> str:
        return str(self.item.get_kind_display())

    @property
    def actor(self) -> str:
        if self.source == "page":
            return str(self.item.user.email) if self.item.user_id else ""
        return str(self.item.actor)

    @property
    def note(self) -> str:
        if self.source == "page":
            return str(self.item.get_status_display())
        return str(self.item.note)


def incident_timeline(*, client: Client, incident: Incident, with_pages: bool) -> list[Entry]:
    """Everything that happened, oldest first: the incident's events merged with its alert's
    events and, for the agency's people (`with_pages`), the pages its escalation sent."""
    tenancy.require_tenant(client)
    entries = [Entry(e.at, "alert", e) for e in incident.alert.events.all()]
    entries += [Entry(e.at, "incident", e) for e in incident.events.all()]
    if with_pages:
        entries += [
            Entry(p.created_at, "page", p)
            for p in alert_pages(client=client, alert_id=incident.alert_id)
        ]
    return sorted(entries, key=lambda entry: entry.at)  # stable: row order within a time


TIMINGS = dict(SITUATION_TIMINGS)
ORIGINS = dict(SITUATION_ORIGINS)
PLATFORMS = dict(Platform.choices)
LEVELS = dict(Level.choices)


def playbook_why(incident: Incident) -> str:
    """Why the incident has its playbook, in the active language: the parts of the situation
    the playbook asked for, as playbooks.choice explains it ("night + Instagram origin + crisis
    → Night crisis"). The stored reason (English) when there is no playbook."""
    playbook = incident.playbook
    if playbook is None:
        return _("No playbook fits this situation.")
    words = []
    if playbook.timing:
        words.append(str(TIMINGS.get(playbook.timing, playbook.timing)).lower())
    if playbook.platform:
        name = str(PLATFORMS.get(playbook.platform, playbook.platform))
        words.append(_("%(platform)s origin") % {"platform": name})
    if playbook.origin:
        words.append(str(ORIGINS.get(playbook.origin, playbook.origin)).lower())
    if playbook.level:
        words.append(str(LEVELS.get(playbook.level, playbook.level)).lower())
    reason = " + ".join(words) if words else _("any situation")
    return f"{reason} → {playbook.name}"
