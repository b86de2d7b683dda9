"""Escalation: an alert at watch or above goes through the brand's policy until someone
acknowledges it. Step by step: the person on duty, wait, the backup, wait, the account manager,
wait, the duty manager; the chain repeated `policy.repeat` times more, then it has run out.

Never silent: a step whose people are missing (nobody on duty, no account manager) pages the
fallback instead (the duty managers on duty, else the agency's admins) and records the gap on the
alert's timeline and in the audit trail.

Exactly once: each run of a step happens under the escalation's row lock and only if the task
carries the token stored on the row; the run stores a fresh token and asks for the next step
only after commit. A duplicate task (a redelivered message, the auditor's resend) finds another
token and does nothing. The auditor (`escalations_audit`) resends the current token of an
escalation whose step is late, and starts one for an open alert whose hand-off was lost.

Urgency: a crisis pages every verified method of each person at once; an issue or a watch follows
each person's rules. A watch raised at night waits for the morning if the brand's policy says so.

Every function runs in the brand's schema (asserted) and takes ids, not instances, where a task
calls it. The pages themselves are outbox rows (agency.notifications), written in the step's
transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agency.exceptions import PermissionDeniedError
from agency.models import Membership, Role, User
from agency.notifications import absolute_url, notifications_cancel, notify_person
from agency.roster import (
    account_managers_for,
    agency_admins,
    duty_managers_on_duty,
    on_duty_for_brands,
)
from agency.selectors import user_can_manage_clients
from agency.services import audit_record
from clients import tenancy
from monitoring import watchtime
from monitoring.models import (
    LEVEL_ORDER,
    Alert,
    AlertEvent,
    AlertEventKind,
    AlertStatus,
    BrandSettings,
    Escalation,
    EscalationPolicy,
    EscalationState,
    EscalationStep,
    EscalationTarget,
    Level,
)

if TYPE_CHECKING:
    from agency.shifts import Cover
    from clients.models import Client

logger = logging.getLogger(__name__)

DEFAULT_STEPS = (
    (EscalationTarget.ON_DUTY, 5),
    (EscalationTarget.BACKUP, 5),
    (EscalationTarget.ACCOUNT_MANAGER, 10),
    (EscalationTarget.DUTY_MANAGER, 15),
)
LIVE = (EscalationState.ACTIVE, EscalationState.WAITING)
# A step due longer ago than this is late: the auditor sends its token again.
AUDIT_GRACE = timedelta(seconds=20)
# An acknowledge link works this long (a page at night is read in the morning at the latest).
ACK_MAX_AGE = timedelta(hours=36)
ACK_SALT = "stormdesk.alert-ack"
MAX_STEPS = 10


# --- The policy -------------------------------------------------------------------------------


def escalation_policy_get(*, client: Client) -> EscalationPolicy:
    """The brand's policy, created with the default steps if it has none (onboarding, or a
    brand from before escalation whose migration was faked). Idempotent."""
    tenancy.require_tenant(client)
    policy = EscalationPolicy.objects.filter(singleton=True).first()
    if policy is not None:
        return policy
    with transaction.atomic():
        policy, created = EscalationPolicy.objects.get_or_create(singleton=True)
        if created:
            EscalationStep.objects.bulk_create(
                EscalationStep(policy=policy, position=n, target=target, wait_minutes=wait)
                for n, (target, wait) in enumerate(DEFAULT_STEPS)
            )
    return policy


@transaction.atomic
def escalation_policy_update(
    *,
    client: Client,
    acting_user: User | None,
    steps: Sequence[tuple[str, int]],
    repeat: int,
    watch_waits_for_morning: bool,
    morning_at: object | None = None,
) -> EscalationPolicy:
    """Replace the brand's steps ((target, minutes to wait) in order) and its options. Running
    escalations keep going with the new steps from their next one."""
    from monitoring.exceptions import SettingsError

    tenancy.require_tenant(client)
    if acting_user is not None and not user_can_manage_clients(user=acting_user):
        raise PermissionDeniedError("Only agency admins and account managers change escalation.")
    if not 1 <= len(steps) <= MAX_STEPS:
        raise SettingsError(f"Give between 1 and {MAX_STEPS} steps.", field="steps")
    for target, wait in steps:
        if target not in EscalationTarget.values:
            raise SettingsError(f"Unknown step {target!r}.", field="steps")
        if not isinstance(wait, int) or not 1 <= wait <= 240:
            raise SettingsError("Wait between 1 and 240 minutes.", field="steps")
    if not isinstance(repeat, int) or not 0 <= repeat <= 10:
        raise SettingsError("Repeat between 0 and 10 times.", field="repeat")
    policy = escalation_policy_get(client=client)
    policy = EscalationPolicy.objects.select_for_update().get(pk=policy.pk)
    policy.repeat = repeat
    policy.watch_waits_for_morning = bool(watch_waits_for_morning)
    if morning_at is not None:
        policy.morning_at = morning_at  # type: ignore[assignment]
    policy.save()
    policy.steps.all().delete()
    EscalationStep.objects.bulk_create(
        EscalationStep(policy=policy, position=n, target=target, wait_minutes=wait)
        for n, (target, wait) in enumerate(steps)
    )
    audit_record(
        verb="escalation.policy_updated",
        acting_user=acting_user,
        client_slug=client.slug,
        steps=[list(s) for s in steps],
        repeat=repeat,
        watch_waits_for_morning=policy.watch_waits_for_morning,
    )
    return policy


@dataclass(frozen=True)
class StepPreview:
    position: int
    target: str
    wait_minutes: int
    people: list[User]
    # Nobody for this step now: the page would go to the fallback (named in `people`).
    fallback: bool


def escalation_preview(*, client: Client, at: datetime | None = None) -> list[StepPreview]:
    """Whom each step of the brand's policy would page at `at` (default now)."""
    tenancy.require_tenant(client)
    at = at or timezone.now()
    preview = []
    cover, _schedule = on_duty_for_brands(clients=[client], at=at)[client.pk]
    for step in escalation_policy_get(client=client).steps.all():
        people = _people(client, step.target, at, cover)
        fallback = not people
        if fallback:
            people = fallback_people(at)[0]
        preview.append(StepPreview(step.position, step.target, step.wait_minutes, people, fallback))
    return preview


# --- Acknowledge links ------------------------------------------------------------------------


def ack_token(*, client: Client, alert_id: int, user: User) -> str:
    """Signed for that person and that alert of that brand; expires (ACK_MAX_AGE)."""
    return signing.dumps(
        {"s": client.schema_name, "a": alert_id, "u": user.pk}, salt=ACK_SALT, compress=True
    )


def ack_token_read(token: str) -> tuple[str, int, int]:
    """(schema name, alert id, user id) of a valid link; BadSignature (or its SignatureExpired)
    otherwise."""
    data = signing.loads(token, salt=ACK_SALT, max_age=ACK_MAX_AGE)
    return str(data["s"]), int(data["a"]), int(data["u"])


def ack_url(*, client: Client, alert_id: int, user: User) -> str:
    return absolute_url(
        reverse(
            "alert-ack",
            args=[ack_token(client=client, alert_id=alert_id, user=user)],
            urlconf="agency.urls_public",
        )
    )


# --- Start and stop (routing calls these once an alert change is committed) --------------------


def _night(client: Client, at: datetime) -> bool:
    settings = BrandSettings.objects.get()
    local = at.astimezone(client.zone).time()
    return watchtime.is_night(local, starts=settings.night_starts, ends=settings.night_ends)


def _morning(client: Client, policy: EscalationPolicy, at: datetime) -> datetime:
    """The next `morning_at` on the brand's clock after `at`."""
    zone = client.zone
    local = at.astimezone(zone)
    candidate = datetime.combine(local.date(), policy.morning_at, tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), policy.morning_at, zone)
    return candidate.astimezone(UTC)


def _ask_step(client: Client, escalation: Escalation) -> None:
    """After commit: the task that runs the escalation's next step, at its time."""
    schema, pk, token, at = (
        client.schema_name,
        escalation.pk,
        str(escalation.token),
        escalation.next_at,
    )

    def send() -> None:
        from monitoring.tasks import escalation_step

        try:
            escalation_step.apply_async(
                kwargs={"schema_name": schema, "escalation_id": pk, "token": token}, eta=at
            )
        except Exception:  # the broker is away: the auditor resumes it
            logger.warning("%s: escalation %s step not queued; the auditor resumes it", schema, pk)

    transaction.on_commit(send)


@transaction.atomic
def escalation_start(
    *, client: Client, alert_id: int, change: str, now: datetime | None = None
) -> Escalation | None:
    """The alert was raised, rose a level or was reopened: start its escalation (a rise or a
    reopening supersedes the running one, so the new level pages from the first step). A new
    alert only, at watch or above. Raised twice: the running escalation stands."""
    tenancy.require_tenant(client)
    now = now or timezone.now()
    alert = Alert.objects.select_for_update().filter(pk=alert_id).first()
    if alert is None or alert.status != AlertStatus.NEW:
        return None
    if LEVEL_ORDER[alert.level] < LEVEL_ORDER[Level.WATCH]:
        return None
    live = Escalation.objects.select_for_update().filter(alert=alert, state__in=LIVE).first()
    if live is not None:
        if change == AlertEventKind.RAISED or live.level == alert.level:
            return live
        live.state, live.token, live.next_at = EscalationState.SUPERSEDED, None, None
        live.ended_at = now
        live.save(update_fields=["state", "token", "next_at", "ended_at"])
    policy = escalation_policy_get(client=client)
    wait = alert.level == Level.WATCH and policy.watch_waits_for_morning and _night(client, now)
    escalation = Escalation.objects.create(
        alert=alert,
        level=alert.level,
        state=EscalationState.WAITING if wait else EscalationState.ACTIVE,
        token=uuid.uuid4(),
        next_at=_morning(client, policy, now) if wait else now,
        started_at=now,
    )
    if wait:
        assert escalation.next_at is not None
        local = escalation.next_at.astimezone(client.zone)
        AlertEvent.objects.create(
            alert=alert,
            at=now,
            kind=AlertEventKind.DEFERRED,
            level=alert.level,
            note=f"A watch at night: the brand's policy pages at {local:%H:%M %Z} unless it rises.",
        )
    _ask_step(client, escalation)
    return escalation


@transaction.atomic
def escalation_stop(*, client: Client, alert_id: int, change: str) -> int:
    """The alert was acknowledged, resolved or dismissed: its escalation ends and what still
    waits to page for it is cancelled. Safe to run twice."""
    tenancy.require_tenant(client)
    state = (
        EscalationState.ACKNOWLEDGED
        if change == AlertEventKind.ACKNOWLEDGED
        else EscalationState.CLOSED
    )
    stopped = Escalation.objects.filter(alert_id=alert_id, state__in=LIVE).update(
        state=state, token=None, next_at=None, ended_at=timezone.now()
    )
    notifications_cancel(client=client, alert_id=alert_id)
    return stopped


# --- A step ---------------------------------------------------------------------------------


def _people(client: Client, target: str, at: datetime, cover: Cover | None = None) -> list[User]:
    if target in (EscalationTarget.ON_DUTY, EscalationTarget.BACKUP):
        if cover is None:
            cover, _schedule = on_duty_for_brands(clients=[client], at=at)[client.pk]
        person = cover.primary if target == EscalationTarget.ON_DUTY else cover.backup
        if person is None:
            return []
        return list(User.objects.filter(pk=int(person), is_active=True))
    if target == EscalationTarget.ACCOUNT_MANAGER:
        return account_managers_for(client=client)
    if target == EscalationTarget.DUTY_MANAGER:
        return duty_managers_on_duty(at=at)
    if target == EscalationTarget.BRAND_STAFF:
        return list(
            User.objects.filter(
                is_active=True,
                pk__in=Membership.objects.filter(client=client, role=Role.AGENCY_STAFF).values(
                    "user_id"
                ),
            ).order_by("id")
        )
    raise ValueError(f"Unknown escalation target {target!r}.")


def fallback_people(at: datetime) -> tuple[list[User], str]:
    """Whom a page goes to when its step has nobody: the duty managers on duty, else the
    agency's admins; with how the timeline names them."""
    managers = duty_managers_on_duty(at=at)
    if managers:
        return managers, "the duty manager"
    return agency_admins(), "the agency's admins"


def _message(
    *, client: Client, alert: Alert, user: User, step_label: str, waited: bool
) -> tuple[str, str, str]:
    """Subject, body and link of a page, in the person's language."""
    link = ack_url(client=client, alert_id=alert.pk, user=user)
    with translation.override(user.language or client.language or "en"):
        level = Level(alert.level).label
        subject = f"[{str(level).upper()}] {client.name}: {alert.title}"[:300]
        lines = [
            _("%(brand)s: %(level)s.") % {"brand": client.name, "level": level},
            alert.title,
            "",
            *[f"- {reason}" for reason in alert.reasons[:8]],
            "",
            _("You are paged as %(step)s.") % {"step": step_label},
        ]
        if waited:
            lines.append(_("This watch was raised at night and waited for the morning."))
        lines.append(_("Acknowledge with one tap (this link is yours):"))
        body = "\n".join(lines)
    return subject, body, link


def _step_label(target: str) -> str:
    return str(EscalationTarget(target).label).lower()


def _run(
    *, client: Client, escalation: Escalation, alert: Alert, now: datetime
) -> tuple[list[User], bool]:
    """Page the people of the escalation's current step: outbox rows and the timeline."""
    policy = escalation_policy_get(client=client)
    steps = list(policy.steps.all())
    if not steps:
        steps = [EscalationStep(position=0, target=EscalationTarget.DUTY_MANAGER, wait_minutes=15)]
    step = steps[min(escalation.step, len(steps) - 1)]
    people = _people(client, step.target, now)
    label = _step_label(step.target)
    uncovered = not people
    if uncovered:
        people, fallback = fallback_people(now)
        label = fallback
    waited = escalation.state == EscalationState.WAITING
    urgent = alert.level == Level.CRISIS
    at_step = f"r{escalation.round}s{escalation.step}"
    key = f"alert:{client.schema_name}:{alert.pk}:e{escalation.pk}:{at_step}"
    for person in people:
        subject, body, link = _message(
            client=client, alert=alert, user=person, step_label=label, waited=waited
        )
        notify_person(
            user=person,
            key=f"{key}:u{person.pk}",
            topic="alert",
            subject=subject,
            body=body,
            link=link,
            urgent=urgent,
            client=client,
            alert_id=alert.pk,
            escalation_id=escalation.pk,
            step=at_step,
            at=now,
        )
    names = ", ".join(p.full_name or p.email for p in people) or "nobody"
    position = f"{escalation.step + 1}/{len(steps)}"
    if escalation.round:
        position += f", round {escalation.round + 1}"
    if uncovered:
        what = _step_label(step.target)
        AlertEvent.objects.create(
            alert=alert,
            at=now,
            kind=AlertEventKind.UNCOVERED,
            level=alert.level,
            note=f"Step {position}: no one for {what}; paged {label} instead.",
        )
        audit_record(
            verb="watch.uncovered",
            acting_user=None,
            client_slug=client.slug,
            alert=alert.pk,
            step=step.target,
            paged=[p.pk for p in people],
        )
    AlertEvent.objects.create(
        alert=alert,
        at=now,
        kind=AlertEventKind.PAGED,
        level=alert.level,
        note=f"Step {position} ({label}): paged {names}"
        + (", every method at once." if urgent else "."),
    )
    escalation.runs = [
        *escalation.runs,
        {
            "round": escalation.round,
            "step": escalation.step,
            "due": escalation.next_at.isoformat() if escalation.next_at else None,
            "ran": now.isoformat(),
        },
    ]
    # The next step, or the next round, or the end.
    wait = timedelta(minutes=step.wait_minutes)
    escalation.step += 1
    if escalation.step >= len(steps):
        escalation.step = 0
        escalation.round += 1
    if escalation.round > policy.repeat:
        escalation.state = EscalationState.EXHAUSTED
        escalation.token = None
        escalation.next_at = None
        escalation.ended_at = now
    else:
        escalation.state = EscalationState.ACTIVE
        escalation.token = uuid.uuid4()
        escalation.next_at = now + wait
    return people, uncovered


@transaction.atomic
def escalation_step_run(
    *, client: Client, escalation_id: int, token: str, now: datetime | None = None
) -> str:
    """Run the escalation's current step if `token` is still its token: page, store a fresh
    token, ask for the next step after commit. A stale token, a finished escalation or an
    alert acknowledged meanwhile: nothing happens. Early (a clock ahead): asked again."""
    tenancy.require_tenant(client)
    now = now or timezone.now()
    row = Escalation.objects.filter(pk=escalation_id).values_list("alert_id", flat=True).first()
    if row is None:
        return "missing"
    # Lock order as the alert services: the alert, then its escalation.
    alert = Alert.objects.select_for_update().get(pk=row)
    escalation = Escalation.objects.select_for_update().get(pk=escalation_id)
    if escalation.state not in LIVE or str(escalation.token) != str(token):
        return "stale"
    if alert.status != AlertStatus.NEW:
        escalation.state = (
            EscalationState.ACKNOWLEDGED
            if alert.status == AlertStatus.ACKNOWLEDGED
            else EscalationState.CLOSED
        )
        escalation.token, escalation.next_at, escalation.ended_at = None, None, now
        escalation.save()
        return escalation.state
    assert escalation.next_at is not None
    if escalation.next_at > now + timedelta(seconds=1):
        _ask_step(client, escalation)
        return "early"
    _run(client=client, escalation=escalation, alert=alert, now=now)
    escalation.save()
    if escalation.state == EscalationState.EXHAUSTED:
        AlertEvent.objects.create(
            alert=alert,
            at=now,
            kind=AlertEventKind.EXHAUSTED,
            level=alert.level,
            note="Every step ran and nobody acknowledged; the alert stays open on the desk.",
        )
        audit_record(
            verb="escalation.exhausted", acting_user=None, client_slug=client.slug, alert=alert.pk
        )
    else:
        _ask_step(client, escalation)
    return "ran"


# --- The auditor ------------------------------------------------------------------------------


def escalations_audit(*, client: Client, now: datetime | None = None) -> dict[str, int]:
    """Periodic, per brand: resend the token of every escalation whose step is late (its task
    was lost with a worker, or the broker was away), and start the escalation of an open alert
    that has none (its hand-off was lost between commit and routing). Both are safe to repeat:
    a late step that does arrive meanwhile finds its token used."""
    tenancy.require_tenant(client)
    now = now or timezone.now()
    late = list(
        Escalation.objects.filter(state__in=LIVE, next_at__lt=now - AUDIT_GRACE).only(
            "pk", "token", "next_at"
        )
    )
    for escalation in late:
        logger.warning(
            "%s: escalation %s step late since %s; resumed",
            client.schema_name,
            escalation.pk,
            escalation.next_at,
        )
        _ask_step(client, escalation)
    orphans = list(
        Alert.objects.filter(
            status=AlertStatus.NEW,
            level__in=[Level.WATCH, Level.ISSUE, Level.CRISIS],
            opened_at__lt=now - AUDIT_GRACE,
            escalations__isnull=True,
        ).values_list("pk", flat=True)
    )
    for alert_id in orphans:
        escalation_start(client=client, alert_id=alert_id, change=AlertEventKind.RAISED, now=now)
    return {"resumed": len(late), "started": len(orphans)}
