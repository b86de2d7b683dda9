"""Background work of the agency (public schema): sending the outbox."""

from __future__ import annotations

from celery import shared_task

from agency.notifications import notification_deliver, outbox_due


@shared_task(acks_late=True)
def notification_send(notification_id: int) -> str:
    """Send one outbox row if it is still due. Safe to run twice: the row is claimed under its
    lock, and a delivered or claimed row is left alone."""
    return notification_deliver(notification_id=notification_id)


@shared_task
def outbox_flush() -> int:
    """Periodic: queue what is due and was not queued (a lost message, a dead worker)."""
    due = outbox_due()
    for pk in due:
        notification_send.delay(pk)
    return len(due)


@shared_task
def shift_reminders() -> int:
    """Periodic: remind the people of every shift starting within the next half hour. Safe to
    run twice: each reminder's outbox key names the shift and the person."""
    from django.utils import timezone

    from agency.reminders import shift_reminders_send

    return shift_reminders_send(now=timezone.now())


@shared_task
def coverage_gaps_notify() -> int:
    """Periodic: tell the account managers of new gaps in cover (and again a day before)."""
    from agency.gap_notices import coverage_gaps_notify as notify

    return notify()
