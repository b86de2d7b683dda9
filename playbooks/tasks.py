"""Background work of the brand's response. Brand tasks carry `schema_name`; periodic ones fan
out from public."""

from __future__ import annotations

from celery import shared_task

from clients import tenancy
from clients.tenancy import current_client


@shared_task(base=tenancy.TenantTask, acks_late=True)
def incident_steps_overdue(*, schema_name: str) -> int:
    """Tell the leads of steps past due. Safe to run twice (each step is told once)."""
    from playbooks.services import incident_steps_overdue_notify

    return incident_steps_overdue_notify(client=current_client())


@shared_task
def incident_steps_overdue_all() -> int:
    """Periodic, in public: one overdue check per brand."""
    return tenancy.for_each_brand(incident_steps_overdue)


@shared_task(base=tenancy.TenantTask, acks_late=True)
def notice_reminders(*, schema_name: str) -> int:
    """Remind the employees who have not read a notice in time. Safe to run twice (each
    receipt is reminded once)."""
    from playbooks.notices import notice_reminders_send

    return notice_reminders_send(client=current_client())


@shared_task
def notice_reminders_all() -> int:
    """Periodic, in public: one reminder run per brand."""
    return tenancy.for_each_brand(notice_reminders)


@shared_task(base=tenancy.TenantTask, acks_late=True)
def desk_incident_refresh(*, schema_name: str) -> bool:
    """The brand's open incident on the agency desk, with the wave's other platforms counted
    again. Safe to run twice (the row is computed whole). True while an incident is open."""
    from playbooks.desk import desk_incident_refresh as refresh

    return refresh(client=current_client()) is not None


@shared_task
def desk_incidents_refresh_all() -> int:
    """Periodic, in public: one desk refresh per brand."""
    return tenancy.for_each_brand(desk_incident_refresh)
