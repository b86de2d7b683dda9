"""An alert's lifecycle: raised by detection at watch, risen as its wave grows, then
new -> acknowledged -> resolved, or dismissed as noise with who and why; reopened when a wave
someone closed rises past the level they closed it at.

Each change is one transaction with the alert row locked, one audit event and one AlertEvent
(the alert's timeline); once it commits, the change is handed to routing
(monitoring.services.routing). Nothing is ever deleted: a dismissed alert and its wave's
"watched, not a crisis" verdict stay for the client's reports. Every function runs in the
brand's schema (asserted).

Raising and rising are detection's (`acting_user=None`): it calls them under the brand's
advisory lock, inside its transaction, and whoever ran detection refreshes the desk row on
commit (processing, the tick: monitoring.services.processing, monitoring.tasks), so these two
do not refresh it a second time. The actions people take refresh it themselves.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from agency.services import audit_record
from clients import tenancy
from monitoring.exceptions import AlertError, AlertInputError
from monitoring.models import (
    LEVEL_ORDER,
    Alert,
    AlertEvent,
    AlertEventKind,
    AlertStatus,
    Level,
    Wave,
)
from monitoring.services.routing import alert_changed_on_commit
from monitoring.services.status import brand_status_refresh_on_commit

if TYPE_CHECKING:
    from agency.models import User
    from clients.models import Client

MAX_NOTE = 2000


def _locked(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().get(pk=alert.pk)


def _who(user: User | None) -> str:
    return user.email if user is not None and user.pk else "system"


CLOSED = (AlertStatus.RESOLVED, AlertStatus.DISMISSED)


def _event(
    alert: Alert, *, kind: str, at: datetime, acting_user: User | None, note: str = ""
) -> None:
    """The change on the alert's timeline, with the alert's level after it."""
    AlertEvent.objects.create(
        alert=alert,
        at=at,
        kind=kind,
        level=alert.level,
        actor=acting_user.email if acting_user is not None and acting_user.pk else "",
        note=note,
    )


@transaction.atomic
def alert_raise(
    *,
    client: Client,
    wave: Wave,
    title: str,
    reasons: list[str],
    at: datetime,
    acting_user: User | None = None,
) -> Alert:
    """The wave reached watch: its one alert, new, at the wave's peak level.

    Detection's, on the wave it holds locked (waves_detect selects the open wave for update
    under the brand's lock); a wave that already has its alert is refused, and the one-to-one
    key refuses a second one all the same."""
    tenancy.require_tenant(client)
    if LEVEL_ORDER[wave.peak_level] < LEVEL_ORDER[Level.WATCH]:
        raise AlertError(f"Wave {wave.pk} is {wave.peak_level}; an alert starts at watch.")
    if Alert.objects.filter(wave=wave).exists():
        raise AlertError(f"Wave {wave.pk} already has its alert.")
    alert = Alert.objects.create(
        wave=wave,
        level=wave.peak_level,
        title=title,
        reasons=reasons,
        origin_platform=wave.origin_platform,
        opened_at=at,
        updated_at=at,
    )
    _event(alert, kind=AlertEventKind.RAISED, at=at, acting_user=acting_user)
    audit_record(
        verb="alert.raised",
        acting_user=acting_user,
        client_slug=client.slug,
        alert=alert.pk,
        wave=wave.pk,
        level=alert.level,
    )
    alert_changed_on_commit(client=client, alert_id=alert.pk, change=AlertEventKind.RAISED)
    return alert


@transaction.atomic
def alert_rise(
    *,
    client: Client,
    alert: Alert,
    level: str,
    title: str,
    reasons: list[str],
    at: datetime,
    acting_user: User | None = None,
) -> Alert:
    """The wave rose past the alert's level: a person should look again (`escalated_at`).

    An alert someone resolved or dismissed is reopened: new again, with a note before theirs.
    Which of the two is decided under the row lock, as a person may close the alert while
    detection judges its wave. Detection's; a level that is not higher is refused."""
    tenancy.require_tenant(client)
    alert = _locked(alert)
    previous = alert.level
    if LEVEL_ORDER[level] <= LEVEL_ORDER[previous]:
        raise AlertError(
            f"Alert {alert.pk} is {previous} already; it rises only to a higher level."
        )
    alert.level = level
    alert.reasons = reasons
    alert.title = title
    alert.updated_at = at
    alert.escalated_at = at
    note = ""
    if alert.status in CLOSED:
        closed = alert.status
        kind, verb = AlertEventKind.REOPENED, "alert.reopened"
        note = f"Reopened at {at:%Y-%m-%d %H:%M} UTC: the wave rose to {level}."
        alert.status = AlertStatus.NEW
        alert.close_note = f"{note} {alert.close_note}"
        detail = {"closed": closed}
    else:
        kind, verb = AlertEventKind.ROSE, "alert.rose"
        detail = {}
    alert.save()
    _event(alert, kind=kind, at=at, acting_user=acting_user, note=note)
    audit_record(
        verb=verb,
        acting_user=acting_user,
        client_slug=client.slug,
        alert=alert.pk,
        level=level,
        previous=previous,
        **detail,
    )
    alert_changed_on_commit(client=client, alert_id=alert.pk, change=kind)
    return alert


def alert_update(
    *, client: Client, alert: Alert, title: str, reasons: list[str], at: datetime
) -> None:
    """The wave's latest counts in the alert's title and reasons, its level unchanged: not a
    transition (no audit event, no timeline row, no hand-off). One UPDATE of those columns
    only, so it never undoes an acknowledgement made meanwhile. Detection's."""
    tenancy.require_tenant(client)
    Alert.objects.filter(pk=alert.pk).update(title=title, reasons=reasons, updated_at=at)


@transaction.atomic
def alert_acknowledge(*, client: Client, alert: Alert, acting_user: User | None) -> Alert:
    """Someone is on it. Acknowledging twice is a no-op (the first one counts)."""
    tenancy.require_tenant(client)
    alert = _locked(alert)
    if alert.status == AlertStatus.ACKNOWLEDGED:
        return alert
    if alert.status != AlertStatus.NEW:
        raise AlertError(f"Alert {alert.pk} is {alert.status}; only a new alert is acknowledged.")
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = _who(acting_user)
    alert.save()
    _event(
        alert, kind=AlertEventKind.ACKNOWLEDGED, at=alert.acknowledged_at, acting_user=acting_user
    )
    audit_record(
        verb="alert.acknowledged", acting_user=acting_user, client_slug=client.slug, alert=alert.pk
    )
    brand_status_refresh_on_commit(client=client)
    alert_changed_on_commit(client=client, alert_id=alert.pk, change=AlertEventKind.ACKNOWLEDGED)
    return alert


def _close(
    *,
    client: Client,
    alert: Alert,
    acting_user: User | None,
    status: str,
    note: str,
    verb: str,
    field: str,
) -> Alert:
    tenancy.require_tenant(client)
    note = note.strip()
    if status == AlertStatus.DISMISSED and not note:
        raise AlertInputError("Say why this is noise.", field=field)
    if len(note) > MAX_NOTE:
        raise AlertInputError(f"At most {MAX_NOTE} characters.", field=field)
    alert = _locked(alert)
    if alert.status in CLOSED:
        raise AlertError(f"Alert {alert.pk} is already {alert.status}.")
    now = timezone.now()
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now
        alert.acknowledged_by = _who(acting_user)
    alert.status = status
    alert.closed_at = now
    alert.closed_by = _who(acting_user)
    alert.close_note = note
    alert.save()
    _event(alert, kind=status, at=now, acting_user=acting_user, note=note)
    audit_record(
        verb=verb, acting_user=acting_user, client_slug=client.slug, alert=alert.pk, note=note
    )
    brand_status_refresh_on_commit(client=client)
    alert_changed_on_commit(client=client, alert_id=alert.pk, change=status)
    return alert


@transaction.atomic
def alert_resolve(
    *, client: Client, alert: Alert, acting_user: User | None, note: str = ""
) -> Alert:
    """The situation is handled. A wave that later rises past this level reopens the alert."""
    return _close(
        client=client,
        alert=alert,
        acting_user=acting_user,
        status=AlertStatus.RESOLVED,
        note=note,
        verb="alert.resolved",
        field="note",
    )


@transaction.atomic
def alert_dismiss(*, client: Client, alert: Alert, acting_user: User | None, reason: str) -> Alert:
    """Not a crisis: kept, with who said so and why, for the client's reports."""
    return _close(
        client=client,
        alert=alert,
        acting_user=acting_user,
        status=AlertStatus.DISMISSED,
        note=reason,
        verb="alert.dismissed",
        field="reason",
    )
