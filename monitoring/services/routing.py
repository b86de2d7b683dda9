"""Routing and escalation of alerts (issue 13) start here.

Every alert service (monitoring.services.alerts) hands its change to `alert_changed_on_commit`
once the change is committed: an alert raised, risen a level, reopened, acknowledged, resolved
or dismissed. Paging the person on call, the escalation steps and their stop on acknowledgement
will hang off this seam; for now the hand-off logs the change in the brand's context and
nothing else: no one is notified yet, and nothing is queued.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction

from clients import tenancy

if TYPE_CHECKING:
    from clients.models import Client

logger = logging.getLogger(__name__)

# What an alert service reports, as monitoring.models.AlertEventKind names it.
CHANGES = frozenset({"raised", "rose", "reopened", "acknowledged", "resolved", "dismissed"})


def alert_changed(*, client: Client, alert_id: int, change: str) -> None:
    """The committed change of one alert reaches routing: logged, in the brand's context so
    that the log line carries the tenant. Touches no table; safe to run twice."""
    with tenancy.tenant_context(client):
        logger.info("%s: alert %s %s", client.schema_name, alert_id, change)


def alert_changed_on_commit(*, client: Client, alert_id: int, change: str) -> None:
    """Hand the change to routing once the caller's transaction commits (at once outside one);
    a rolled-back transaction hands off nothing. Called by the alert services, in the brand's
    schema (asserted), with the alert's id: the callback holds no model instance."""
    tenancy.require_tenant(client)
    if change not in CHANGES:
        raise ValueError(f"Unknown alert change {change!r}.")
    transaction.on_commit(lambda: alert_changed(client=client, alert_id=alert_id, change=change))
