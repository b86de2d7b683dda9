"""An alert's lifecycle: new -> acknowledged -> resolved, or dismissed as noise with who and why.

Each change is one transaction with the alert row locked, and one audit event. Nothing is ever
deleted: a dismissed alert and its wave's "watched, not a crisis" verdict stay for the client's
reports. Every function runs in the brand's schema (asserted).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from agency.services import audit_record
from clients import tenancy
from monitoring.exceptions import AlertError, AlertInputError
from monitoring.models import Alert, AlertStatus
from monitoring.services.status import brand_status_refresh_on_commit

if TYPE_CHECKING:
    from agency.models import User
    from clients.models import Client

MAX_NOTE = 2000


def _locked(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().get(pk=alert.pk)


def _who(user: User | None) -> str:
    return user.email if user is not None and user.pk else "system"


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
    audit_record(
        verb="alert.acknowledged", acting_user=acting_user, client_slug=client.slug, alert=alert.pk
    )
    brand_status_refresh_on_commit(client=client)
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
    if alert.status in (AlertStatus.RESOLVED, AlertStatus.DISMISSED):
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
    audit_record(
        verb=verb, acting_user=acting_user, client_slug=client.slug, alert=alert.pk, note=note
    )
    brand_status_refresh_on_commit(client=client)
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
