"""Routing of alerts: where a committed alert change leaves for the people who must act.

Every alert service (monitoring.services.alerts) hands its change to `alert_changed_on_commit`
once the change is committed: an alert raised, risen a level, reopened, acknowledged, resolved
or dismissed. Raising, rising and reopening start the alert's escalation (the brand's policy,
monitoring.services.escalation); acknowledging, resolving and dismissing stop it and cancel the
pages still waiting. A hand-off lost between commit and here (a crash) is found by the
escalation auditor, which starts what is missing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db import transaction

from clients import tenancy

if TYPE_CHECKING:
    from clients.models import Client

logger = logging.getLogger(__name__)

# What an alert service reports, as monitoring.models.AlertEventKind names it.
CHANGES = frozenset({"raised", "rose", "reopened", "acknowledged", "resolved", "dismissed"})


STARTS = frozenset({"raised", "rose", "reopened"})

# What other apps do with a committed alert change (playbooks opens a crisis's incident): they
# register here when Django starts, so that monitoring never imports them. Each is called with
# client=, alert_id= and change=, in the brand's schema, after the escalation; one that fails
# is logged and the others still run.
Listener = Callable[..., object]
LISTENERS: list[Listener] = []


def alert_listener_add(listener: Listener) -> None:
    if listener not in LISTENERS:
        LISTENERS.append(listener)


def alert_changed(*, client: Client, alert_id: int, change: str) -> None:
    """The committed change of one alert reaches routing, in the brand's context: its
    escalation starts or stops. Safe to run twice (escalation_start and escalation_stop are)."""
    from monitoring.services.escalation import escalation_start, escalation_stop

    with tenancy.tenant_context(client):
        logger.info("%s: alert %s %s", client.schema_name, alert_id, change)
        if change in STARTS:
            escalation_start(client=client, alert_id=alert_id, change=change)
        else:
            escalation_stop(client=client, alert_id=alert_id, change=change)
        for listener in LISTENERS:
            try:
                listener(client=client, alert_id=alert_id, change=change)
            except Exception:
                logger.exception(
                    "%s: alert %s %s: a listener failed", client.schema_name, alert_id, change
                )


def alert_changed_on_commit(*, client: Client, alert_id: int, change: str) -> None:
    """Hand the change to routing once the caller's transaction commits (at once outside one);
    a rolled-back transaction hands off nothing. Called by the alert services, in the brand's
    schema (asserted), with the alert's id: the callback holds no model instance."""
    tenancy.require_tenant(client)
    if change not in CHANGES:
        raise ValueError(f"Unknown alert change {change!r}.")
    # Robust: the change is committed whatever routing does; if routing fails here, the
    # escalation auditor starts what is missing, and the caller's other callbacks still run.
    transaction.on_commit(
        lambda: alert_changed(client=client, alert_id=alert_id, change=change), robust=True
    )
