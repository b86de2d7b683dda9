"""Writes of the brand's response: its playbooks, copied from the agency's templates and
edited per brand, and its incidents (opened from an alert, worked through the chosen
playbook's checklist, closed with a review). Each change is one transaction with its audit
event and a row on the incident's timeline. Every function runs in the brand's schema
(asserted)."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from agency.exceptions import PermissionDeniedError
from agency.models import PlaybookTemplate
from agency.services import audit_record
from clients import tenancy
from monitoring.models import Alert, AlertStatus, Level, Mention, Platform
from playbooks.defaults import LANGUAGES, ORIGINS, TIMINGS, WHO
from playbooks.desk import desk_incident_refresh_on_commit
from playbooks.exceptions import IncidentError, ReplyOnceError
from playbooks.models import (
    COUNTED,
    Incident,
    IncidentEvent,
    IncidentEventKind,
    IncidentStatus,
    IncidentStep,
    Playbook,
    PlaybookStep,
    Response,
    ResponseKind,
    ResponseSettings,
    ResponseStatus,
    Truth,
)
from playbooks.selectors import playbook_choose, response_settings_get

CLOSED_ALERT = (AlertStatus.RESOLVED, AlertStatus.DISMISSED)
PLATFORM_NAMES = {key: str(name) for key, name in Platform.choices}

if TYPE_CHECKING:
    from agency.models import User
    from clients.models import Client


@transaction.atomic
def playbooks_install(*, client: Client, acting_user: User | None = None) -> int:
    """Copy the agency's templates into the brand, in the brand's language (English where a
    template has none); a brand that has playbooks already gets nothing. Returns how many were
    copied. Also creates the brand's response settings."""
    tenancy.require_tenant(client)
    ResponseSettings.objects.get_or_create(singleton=True)
    if Playbook.objects.exists():
        return 0
    language = client.language if client.language in LANGUAGES else "en"
    chosen: dict[str, PlaybookTemplate] = {}
    for template in PlaybookTemplate.objects.prefetch_related("steps").order_by("id"):
        if template.language == language or (
            template.language == "en" and template.key not in chosen
        ):
            chosen[template.key] = template
    for template in chosen.values():
        playbook = Playbook.objects.create(
            name=template.name,
            language=template.language,
            origin=template.origin,
            level=template.level,
            timing=template.timing,
            platform=template.platform,
            template_key=template.key,
        )
        PlaybookStep.objects.bulk_create(
            PlaybookStep(
                playbook=playbook,
                position=step.position,
                kind=step.kind,
                title=step.title,
                instructions=step.instructions,
                who=step.who,
                due_minutes=step.due_minutes,
            )
            for step in template.steps.all()
        )
    audit_record(
        verb="playbooks.installed",
        acting_user=acting_user,
        client_slug=client.slug,
        playbooks=len(chosen),
        language=language,
    )
    return len(chosen)


# --- Incidents --------------------------------------------------------------------------------


def _who(user: User | None) -> str:
    return user.email if user is not None and user.pk else ""


def _event(incident: Incident, *, kind: str, at: datetime, actor: str = "", note: str = "") -> None:
    IncidentEvent.objects.create(incident=incident, at=at, kind=kind, actor=actor, note=note)


def _changed(
    *,
    client: Client,
    incident: Incident,
    kind: str,
    verb: str,
    acting_user: User | None,
    at: datetime,
    note: str,
    **detail: object,
) -> None:
    """A change of the incident: its row on the timeline and its audit event."""
    _event(incident, kind=kind, at=at, actor=_who(acting_user), note=note)
    audit_record(
        verb=verb, acting_user=acting_user, client_slug=client.slug, incident=incident.pk, **detail
    )


def _steps_from(incident: Incident, playbook: Playbook | None) -> None:
    """The incident's checklist from the playbook: each step due its minutes after the start.
    Steps already done stay done; those not done yet are replaced."""
    incident.steps.filter(done_at__isnull=True).delete()
    if playbook is None:
        return
    taken = set(incident.steps.values_list("position", flat=True))
    offset = max(taken, default=-1) + 1
    IncidentStep.objects.bulk_create(
        IncidentStep(
            incident=incident,
            position=offset + step.position,
            kind=step.kind,
            title=step.title,
            instructions=step.instructions,
            who=step.who,
            due_at=incident.opened_at + timedelta(minutes=step.due_minutes),
        )
        for step in playbook.steps.all()
    )


@transaction.atomic
def incident_open(
    *,
    client: Client,
    alert: Alert,
    acting_user: User | None,
    origin: str = "",
    at: datetime | None = None,
) -> Incident:
    """Open the incident of the alert's wave (one open incident per wave: opening it again
    returns the open one), choose its playbook by the situation and say why, copy the
    playbook's checklist with its due times, and make whoever opened it the lead. By a person
    from the alert, or by routing for a crisis when the brand says so (`acting_user=None`)."""
    tenancy.require_tenant(client)
    if origin and origin not in ORIGINS:
        raise IncidentError(f"Unknown origin {origin!r}.", field="origin")
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    open_one = Incident.objects.filter(wave_id=alert.wave_id).exclude(status=IncidentStatus.CLOSED)
    found = open_one.first()
    if found is not None:
        return found
    at = at or timezone.now()
    playbook, why = playbook_choose(
        client=client,
        level=alert.level,
        platform=alert.origin_platform,
        at=alert.opened_at,
        origin=origin,
    )
    actor = _who(acting_user)
    incident = Incident.objects.create(
        alert=alert,
        wave_id=alert.wave_id,
        title=alert.title[:300],
        origin=origin,
        playbook=playbook,
        playbook_reason=why.explanation(PLATFORM_NAMES)[:300],
        lead=actor,
        responders=[actor] if actor else [],
        opened_at=at,
        opened_by=actor,
    )
    _steps_from(incident, playbook)
    _event(
        incident,
        kind=IncidentEventKind.OPENED,
        at=at,
        actor=actor,
        note=f"From alert {alert.pk} ({alert.level}).",
    )
    _event(incident, kind=IncidentEventKind.PLAYBOOK, at=at, note=incident.playbook_reason)
    if acting_user is not None and acting_user.pk:
        _alert_taken(client, alert.pk, acting_user)
    audit_record(
        verb="incident.opened",
        acting_user=acting_user,
        client_slug=client.slug,
        incident=incident.pk,
        alert=alert.pk,
        playbook=playbook.pk if playbook else None,
    )
    desk_incident_refresh_on_commit(client=client)
    return incident


def _alert_taken(client: Client, alert_id: int, acting_user: User) -> None:
    """A person working the incident is on its alert: a new alert is acknowledged, so that the
    watch stops paging people (the escalation ends on the acknowledgement)."""
    from monitoring.exceptions import AlertError
    from monitoring.services.alerts import alert_acknowledge

    alert = Alert.objects.filter(pk=alert_id, status=AlertStatus.NEW).first()
    if alert is None:
        return
    with contextlib.suppress(AlertError):  # closed meanwhile: nothing to stop
        alert_acknowledge(client=client, alert=alert, acting_user=acting_user)


def _alert_resolved(client: Client, alert_id: int, acting_user: User) -> None:
    """The incident is closed: its alert, if still open, is resolved (a wave that later rises
    past its level reopens it, and a new incident follows)."""
    from monitoring.exceptions import AlertError
    from monitoring.services.alerts import alert_resolve

    alert = Alert.objects.filter(pk=alert_id).exclude(
        status__in=[AlertStatus.RESOLVED, AlertStatus.DISMISSED]
    )
    found = alert.first()
    if found is None:
        return
    with contextlib.suppress(AlertError):
        alert_resolve(client=client, alert=found, acting_user=acting_user, note="Incident closed.")


def _locked(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


def _open(incident: Incident) -> None:
    if incident.status == IncidentStatus.CLOSED:
        raise IncidentError(f"Incident {incident.pk} is closed.")


@transaction.atomic
def incident_origin_set(
    *, client: Client, incident: Incident, origin: str, acting_user: User | None
) -> Incident:
    """A person says what happened: the playbook is chosen again for the situation as it now
    stands, and the steps not done yet follow the new one."""
    tenancy.require_tenant(client)
    if origin not in ("", *ORIGINS):
        raise IncidentError(f"Unknown origin {origin!r}.", field="origin")
    incident = _locked(incident)
    _open(incident)
    alert = incident.alert
    playbook, why = playbook_choose(
        client=client,
        level=alert.level,
        platform=alert.origin_platform,
        at=alert.opened_at,
        origin=origin,
    )
    incident.origin = origin
    changed = playbook is not None and playbook.pk != incident.playbook_id
    incident.playbook = playbook
    incident.playbook_reason = why.explanation(PLATFORM_NAMES)[:300]
    incident.save(update_fields=["origin", "playbook", "playbook_reason"])
    if changed:
        _steps_from(incident, playbook)
    _changed(
        client=client,
        incident=incident,
        kind=IncidentEventKind.PLAYBOOK,
        verb="incident.origin_set",
        acting_user=acting_user,
        at=timezone.now(),
        note=incident.playbook_reason,
        origin=origin,
    )
    return incident


@transaction.atomic
def incident_step_done(
    *, client: Client, step: IncidentStep, acting_user: User, note: str = ""
) -> IncidentStep:
    """Tick a step off (once: ticking it again changes nothing)."""
    tenancy.require_tenant(client)
    step = IncidentStep.objects.select_for_update().select_related("incident").get(pk=step.pk)
    _open(step.incident)
    if step.done_at is not None:
        return step
    if len(note) > 500:
        raise IncidentError("At most 500 characters.", field="note")
    step.done_at = timezone.now()
    step.done_by = acting_user.email
    step.note = note.strip()
    step.save(update_fields=["done_at", "done_by", "note"])
    _alert_taken(client, step.incident.alert_id, acting_user)
    late = step.done_at > step.due_at
    _event(
        step.incident,
        kind=IncidentEventKind.STEP_DONE,
        at=step.done_at,
        actor=step.done_by,
        note=f"{step.title}"
        + (" (late)" if late else "")
        + (f": {step.note}" if step.note else ""),
    )
    audit_record(
        verb="incident.step_done",
        acting_user=acting_user,
        client_slug=client.slug,
        incident=step.incident_id,
        step=step.pk,
    )
    return step


ALLOWED = {
    IncidentStatus.INVESTIGATING: {IncidentStatus.RESPONDING, IncidentStatus.MONITORING},
    IncidentStatus.RESPONDING: {IncidentStatus.INVESTIGATING, IncidentStatus.MONITORING},
    IncidentStatus.MONITORING: {IncidentStatus.RESPONDING, IncidentStatus.INVESTIGATING},
}


@transaction.atomic
def incident_status_set(
    *, client: Client, incident: Incident, status: str, acting_user: User
) -> Incident:
    """Investigating, responding, monitoring (closing is incident_close, with its review)."""
    tenancy.require_tenant(client)
    incident = _locked(incident)
    _open(incident)
    if status == incident.status:
        return incident
    if status not in ALLOWED.get(IncidentStatus(incident.status), set()):
        raise IncidentError(
            f"An incident goes from {incident.status} to "
            + ", ".join(sorted(ALLOWED[IncidentStatus(incident.status)]))
            + "; close it with its review.",
            field="status",
        )
    previous, incident.status = incident.status, status
    incident.save(update_fields=["status"])
    _changed(
        client=client,
        incident=incident,
        kind=IncidentEventKind.STATUS,
        verb="incident.status",
        acting_user=acting_user,
        at=timezone.now(),
        note=f"{previous} -> {status}",
        status=status,
    )
    desk_incident_refresh_on_commit(client=client)
    return incident


def require_agency_person(client: Client, user: User, what: str) -> None:
    """Only the agency's people on the brand (full access) do `what`: a client viewer reads."""
    from agency.selectors import Access, client_access

    if client_access(user=user, client=client) is not Access.FULL:
        raise PermissionDeniedError(f"Only the agency's people on this brand {what}.")


@transaction.atomic
def incident_lead_set(
    *, client: Client, incident: Incident, acting_user: User, lead: User | None = None
) -> Incident:
    """Make `lead` (the acting person when None: "take the lead") the incident's lead, and a
    responder. The lead is who the overdue steps notify and who may allow a second reply. Only
    the agency's people on the brand lead; the same lead again changes nothing."""
    tenancy.require_tenant(client)
    lead = lead or acting_user
    require_agency_person(client, acting_user, "hand the lead over")
    if lead.pk != acting_user.pk:
        require_agency_person(client, lead, "lead an incident")
    incident = _locked(incident)
    _open(incident)
    if incident.lead == lead.email:
        return incident
    previous, incident.lead = incident.lead, lead.email
    if lead.email not in incident.responders:
        incident.responders = [*incident.responders, lead.email]
    incident.save(update_fields=["lead", "responders"])
    _alert_taken(client, incident.alert_id, lead)
    _changed(
        client=client,
        incident=incident,
        kind=IncidentEventKind.LEAD,
        verb="incident.lead",
        acting_user=acting_user,
        at=timezone.now(),
        note=f"{previous or 'nobody'} -> {lead.email}",
        lead=lead.email,
    )
    return incident


@transaction.atomic
def incident_join(*, client: Client, incident: Incident, acting_user: User) -> Incident:
    """Join the incident as a responder (a second time changes nothing)."""
    tenancy.require_tenant(client)
    require_agency_person(client, acting_user, "respond to incidents")
    incident = _locked(incident)
    _open(incident)
    if acting_user.email in incident.responders:
        return incident
    incident.responders = [*incident.responders, acting_user.email]
    incident.save(update_fields=["responders"])
    _alert_taken(client, incident.alert_id, acting_user)
    _changed(
        client=client,
        incident=incident,
        kind=IncidentEventKind.NOTE,
        verb="incident.joined",
        acting_user=acting_user,
        at=timezone.now(),
        note=f"{acting_user.email} joined as a responder",
    )
    return incident


MAX_NOTE = 2000


@transaction.atomic
def incident_note_add(
    *, client: Client, incident: Incident, note: str, acting_user: User
) -> IncidentEvent:
    """A note on the incident's timeline (what someone found out, decided or was told), also
    after closing: the review may go on."""
    tenancy.require_tenant(client)
    require_agency_person(client, acting_user, "write on the timeline")
    note = note.strip()
    if not 1 <= len(note) <= MAX_NOTE:
        raise IncidentError(f"Write the note (at most {MAX_NOTE} characters).", field="note")
    event = IncidentEvent.objects.create(
        incident=incident,
        at=timezone.now(),
        kind=IncidentEventKind.NOTE,
        actor=acting_user.email,
        note=note,
    )
    audit_record(
        verb="incident.note",
        acting_user=acting_user,
        client_slug=client.slug,
        incident=incident.pk,
        event=event.pk,
    )
    return event


@transaction.atomic
def incident_close(
    *,
    client: Client,
    incident: Incident,
    acting_user: User,
    truth: str,
    improvements: str,
    lessons: str = "",
) -> Incident:
    """Close with the review: was there truth in the critique (yes, partly, no), and what
    should the brand improve (required unless there was none)."""
    tenancy.require_tenant(client)
    incident = _locked(incident)
    _open(incident)
    if truth not in Truth.values:
        raise IncidentError("Was there truth in the critique: yes, partly or no?", field="truth")
    improvements, lessons = improvements.strip(), lessons.strip()
    if truth != Truth.NO and not improvements:
        raise IncidentError("Say what the brand should improve.", field="improvements")
    if len(improvements) > 5000 or len(lessons) > 5000:
        raise IncidentError("At most 5000 characters.", field="improvements")
    now = timezone.now()
    incident.status = IncidentStatus.CLOSED
    incident.closed_at = now
    incident.truth, incident.improvements, incident.lessons = truth, improvements, lessons
    incident.save(update_fields=["status", "closed_at", "truth", "improvements", "lessons"])
    # The review is the checklist's last step: closing with it ticks it off.
    incident.steps.filter(kind="review", done_at__isnull=True).update(
        done_at=now, done_by=acting_user.email, note="Closed with the review."
    )
    _alert_resolved(client, incident.alert_id, acting_user)
    _changed(
        client=client,
        incident=incident,
        kind=IncidentEventKind.CLOSED,
        verb="incident.closed",
        acting_user=acting_user,
        at=now,
        note=f"Truth in the critique: {truth}.",
        truth=truth,
    )
    desk_incident_refresh_on_commit(client=client)
    return incident


def incident_open_for_crisis(*, client: Client, alert_id: int) -> Incident | None:
    """Routing's, once a crisis alert is committed: its incident opens at once if the brand
    says so (ResponseSettings.auto_incident_for_crisis). Safe to run twice."""
    tenancy.require_tenant(client)
    alert = Alert.objects.filter(pk=alert_id).first()
    if alert is None or alert.level != Level.CRISIS or alert.status in CLOSED_ALERT:
        return None
    if not response_settings_get(client=client).auto_incident_for_crisis:
        return None
    return incident_open(client=client, alert=alert, acting_user=None)


def incident_on_alert_change(*, client: Client, alert_id: int, change: str) -> None:
    """Routing's listener: a crisis raised, risen or reopened opens its incident."""
    if change in ("raised", "rose", "reopened"):
        incident_open_for_crisis(client=client, alert_id=alert_id)


def incident_steps_overdue_notify(*, client: Client, now: datetime | None = None) -> int:
    """Periodic, per brand: each step of an open incident that passed its due time without
    being done tells the incident's lead (else the brand's account manager) through the watch's
    outbox, once, and says so on the timeline. Returns the steps newly told."""
    from agency.models import NotificationTopic, User
    from agency.notifications import absolute_url, notify_person
    from agency.roster import account_managers_for

    tenancy.require_tenant(client)
    now = now or timezone.now()
    late = list(
        IncidentStep.objects.filter(
            done_at__isnull=True, overdue_told_at__isnull=True, due_at__lt=now
        )
        .exclude(incident__status=IncidentStatus.CLOSED)
        .values_list("pk", flat=True)
        .order_by("due_at")[:200]
    )
    told = 0
    for step_id in late:
        key = f"incident:{client.schema_name}:{step_id}:overdue"
        with transaction.atomic():
            step = (
                IncidentStep.objects.select_for_update(of=("self",))
                .select_related("incident")
                .get(pk=step_id)
            )
            if step.overdue_told_at is not None or step.done_at is not None:
                continue  # told by a concurrent run, or done meanwhile
            step.overdue_told_at = now
            step.save(update_fields=["overdue_told_at"])
            incident = step.incident
            lead = User.objects.filter(email=incident.lead, is_active=True).first()
            people = [lead] if lead is not None else account_managers_for(client=client)
            minutes = int((now - step.due_at).total_seconds() // 60)
            link = f"{client.get_absolute_url()}incidents/{incident.pk}/"
            for person in people:
                notify_person(
                    user=person,
                    key=f"{key}:u{person.pk}",
                    topic=NotificationTopic.ALERT,
                    subject=f"{client.name}: overdue - {step.title}"[:300],
                    body=(
                        f'{incident.title}\n\nThe step "{step.title}" was due '
                        f"{minutes} min ago and is not done."
                    ),
                    link=link if link.startswith("http") else absolute_url(link),
                    client=client,
                    at=now,
                )
            _event(
                incident,
                kind=IncidentEventKind.STEP_OVERDUE,
                at=now,
                note=f"{step.title}: due {minutes} min ago; told "
                + (", ".join(p.email for p in people) or "nobody"),
            )
            told += 1
    return told


# --- Responses ----------------------------------------------------------------------------

REPLY_ONCE = (
    "Reply once: the brand answered {where} already at {at}. A second answer is a "
    "discussion, and you don't want one. A lead may allow it with a reason."
)
MAX_RESPONSE = 10_000


def mention_keys(mention: Mention) -> tuple[str, str]:
    """A mention's thread and author keys, as the reply-once constraints hold them."""
    thread = mention.thread_id or mention.external_id
    author = mention.author.handle if mention.author_id and mention.author else ""
    return (
        f"{mention.platform}:{thread}",
        f"{mention.platform}:{author.lower()}" if author else "",
    )


def response_checked(
    *, kind: str, platform: str, text: str, mention: Mention | None
) -> tuple[str, str, str]:
    """A response's kind, platform, text and mention checked: the text stripped, and the
    thread's and author's keys of a reply (the reply-once constraints hold them)."""
    if kind not in ResponseKind.values:
        raise IncidentError(f"Unknown kind {kind!r}.", field="kind")
    if platform not in PLATFORM_NAMES:
        raise IncidentError(f"Unknown platform {platform!r}.", field="platform")
    text = text.strip()
    if not text or len(text) > MAX_RESPONSE:
        raise IncidentError(f"Give the text (at most {MAX_RESPONSE} characters).", field="text")
    if kind != ResponseKind.REPLY:
        return text, "", ""
    if mention is None:
        raise IncidentError("A reply answers a mention.", field="mention")
    if mention.platform != platform:
        raise IncidentError("A reply goes on the platform of the mention.", field="platform")
    return (text, *mention_keys(mention))


def reply_once_refusal(
    *, client: Client, incident: Incident | None, thread_key: str, author_key: str
) -> ReplyOnceError:
    """The refusal of a second reply, with when the brand's reply went out (brand's clock)."""
    counted = Response.objects.filter(kind=ResponseKind.REPLY, status__in=COUNTED)
    earlier = (
        counted.filter(thread_key=thread_key).first()
        or counted.filter(incident=incident, author_key=author_key).first()
    )
    where = "in this thread"
    at = "?"
    if earlier is not None:
        if earlier.thread_key != thread_key:
            where = "this author in this incident"
        stamp = earlier.sent_at or earlier.created_at
        from agency.templatetags.stormdesk import in_zone

        at = in_zone(stamp, client.timezone)
    return ReplyOnceError(REPLY_ONCE.format(where=where, at=at), field="mention")


def response_record(
    *,
    client: Client,
    acting_user: User,
    kind: str,
    platform: str,
    text: str,
    url: str = "",
    mention: Mention | None = None,
    incident: Incident | None = None,
    override_reason: str = "",
    at: datetime | None = None,
) -> Response:
    """A reply or own post the brand made (on the platform itself, or elsewhere), recorded
    with its URL. A reply is refused when the brand answered the same thread, or the same
    author within the incident, already (409, the article's reason), unless the incident's
    lead (or an account manager or admin) overrides with a reason, which is logged. The
    database decides, not a check before the insert: of two people recording a reply to the
    same post at the same moment, one is refused."""
    from agency.selectors import user_can_manage_clients

    tenancy.require_tenant(client)
    text, thread_key, author_key = response_checked(
        kind=kind, platform=platform, text=text, mention=mention
    )
    override_reason = override_reason.strip()[:500]
    if override_reason:
        lead = incident is not None and incident.lead == acting_user.email
        if not (lead or user_can_manage_clients(user=acting_user)):
            raise PermissionDeniedError("Only the incident's lead may allow a second reply.")
    at = at or timezone.now()
    try:
        with transaction.atomic():
            response = Response.objects.create(
                incident=incident,
                kind=kind,
                platform=platform,
                mention=mention,
                thread_key=thread_key,
                author_key=author_key,
                text=text,
                url=url[:1000],
                status=ResponseStatus.RECORDED,
                override_reason=override_reason,
                created_by=acting_user.email,
                created_at=at,
                sent_at=at,
            )
    except IntegrityError as exc:
        raise reply_once_refusal(
            client=client, incident=incident, thread_key=thread_key, author_key=author_key
        ) from exc
    with transaction.atomic():
        if incident is not None:
            what = "Reply" if kind == ResponseKind.REPLY else "Own post"
            note = f"{what} on {PLATFORM_NAMES[platform]}" + (f": {url}" if url else "")
            if override_reason:
                note += f" (a second reply, allowed: {override_reason})"
            _event(
                incident, kind=IncidentEventKind.RESPONSE, at=at, actor=acting_user.email, note=note
            )
            desk_incident_refresh_on_commit(client=client)
        audit_record(
            verb="response.recorded",
            acting_user=acting_user,
            client_slug=client.slug,
            response=response.pk,
            kind=kind,
            platform=platform,
            override=override_reason or None,
        )
    return response


# --- Editing the brand's playbooks ------------------------------------------------------------

MAX_PLAYBOOK_STEPS = 30


@transaction.atomic
def playbook_update(
    *,
    client: Client,
    playbook: Playbook,
    acting_user: User,
    name: str,
    origin: str,
    level: str,
    timing: str,
    platform: str,
    steps: list[dict[str, object]],
    is_active: bool = True,
) -> Playbook:
    """Change a playbook of the brand: its name, the situation it fits and its steps (each a
    dict of title, instructions, who, due_minutes and optionally kind), replaced in order.
    Incidents already open keep the checklist they got. Agency people only."""
    tenancy.require_tenant(client)
    require_agency_person(client, acting_user, "change playbooks")
    name = name.strip()
    if not name or len(name) > 200:
        raise IncidentError("Name the playbook.", field="name")
    if origin not in ("", *ORIGINS):
        raise IncidentError(f"Unknown origin {origin!r}.", field="origin")
    if level not in ("", Level.WATCH, Level.ISSUE, Level.CRISIS):
        raise IncidentError(f"Unknown level {level!r}.", field="level")
    if timing not in ("", *TIMINGS):
        raise IncidentError(f"Unknown timing {timing!r}.", field="timing")
    if platform and platform not in PLATFORM_NAMES:
        raise IncidentError(f"Unknown platform {platform!r}.", field="platform")
    if not 1 <= len(steps) <= MAX_PLAYBOOK_STEPS:
        raise IncidentError(f"Give between 1 and {MAX_PLAYBOOK_STEPS} steps.", field="steps")
    rows = []
    for n, step in enumerate(steps):
        title = str(step.get("title", "")).strip()
        who = str(step.get("who", ""))
        due = step.get("due_minutes")
        if not title or len(title) > 200:
            raise IncidentError(f"Step {n + 1}: give its title.", field="steps")
        if who not in WHO:
            raise IncidentError(f"Step {n + 1}: who does it?", field="steps")
        if not isinstance(due, int) or isinstance(due, bool) or not 0 <= due <= 60 * 24 * 30:
            raise IncidentError(f"Step {n + 1}: due within 0 to 43200 minutes.", field="steps")
        instructions = str(step.get("instructions", "")).strip()[:5000]
        rows.append(
            PlaybookStep(
                playbook=playbook,
                position=n,
                kind=str(step.get("kind", ""))[:30],
                title=title,
                instructions=instructions,
                who=who,
                due_minutes=due,
            )
        )
    playbook = Playbook.objects.select_for_update().get(pk=playbook.pk)
    playbook.name, playbook.origin, playbook.level = name, origin, level
    playbook.timing, playbook.platform, playbook.is_active = timing, platform, is_active
    playbook.save()
    playbook.steps.all().delete()
    PlaybookStep.objects.bulk_create(rows)
    audit_record(
        verb="playbook.updated",
        acting_user=acting_user,
        client_slug=client.slug,
        playbook=playbook.pk,
        steps=len(rows),
    )
    return playbook


# --- The brand's response settings ----------------------------------------------------------

MAX_HOLIDAYS = 100
RESPONSE_SETTINGS = (
    "office_starts",
    "office_ends",
    "holidays",
    "auto_incident_for_crisis",
    "approval_required",
)


def holidays_checked(values: object) -> list[str]:
    """Holidays as the brand's settings keep them: ISO dates (YYYY-MM-DD), each once, in order,
    at most MAX_HOLIDAYS. Dates may be given as `date`s or such strings; anything else is
    refused with what was wrong (SettingsError on `holidays`)."""
    import re
    from datetime import date

    from monitoring.exceptions import SettingsError

    if isinstance(values, str | bytes) or not hasattr(values, "__iter__"):
        raise SettingsError("Give the holidays as a list of dates.", field="holidays")
    days: set[date] = set()
    for value in values:  # type: ignore[attr-defined]
        if isinstance(value, date):
            days.add(value.date() if isinstance(value, datetime) else value)
            continue
        text = str(value).strip() if isinstance(value, str) else ""
        # date.fromisoformat also reads "20261225" and week dates ("2026-W52-5"): one form only.
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            shown = str(value)[:40] if isinstance(value, str) else type(value).__name__
            raise SettingsError(
                f"“{shown}” is not a date: write it as year-month-day, e.g. 2026-12-25.",
                field="holidays",
            )
        try:
            days.add(date.fromisoformat(text))
        except ValueError:
            raise SettingsError(
                f"{text} is not a day of the calendar: check the month and the day.",
                field="holidays",
            ) from None
    if len(days) > MAX_HOLIDAYS:
        raise SettingsError(
            f"At most {MAX_HOLIDAYS} holidays: remove the past ones first.", field="holidays"
        )
    return [day.isoformat() for day in sorted(days)]


@transaction.atomic
def response_settings_update(
    *, client: Client, acting_user: User, **fields: object
) -> ResponseSettings:
    """Change the brand's response settings: office hours (`office_starts`, `office_ends`,
    wall-clock times on the brand's clock, the end after the start), `holidays` (dates, kept
    once each and in order, see holidays_checked), `auto_incident_for_crisis`, and
    `approval_required` (crisis replies wait for the account manager's or the client's
    approval; playbooks.sending keeps that wish as its policy event).

    The agency's people on the brand change the settings; only account managers and admins
    change `approval_required` (giving its current value is no change). Fields left out stay;
    a change writes one audit event with what changed, and nothing changed writes none, so a
    repeated call is harmless. Runs in the brand's schema (asserted)."""
    from datetime import time as time_of_day

    from agency.selectors import user_can_manage_clients
    from monitoring.exceptions import SettingsError
    from playbooks.sending import approval_policy, response_approval_require

    tenancy.require_tenant(client)
    require_agency_person(client, acting_user, "change its response settings")
    unknown = sorted(set(fields) - set(RESPONSE_SETTINGS))
    if unknown:
        raise SettingsError(f"'{unknown[0]}' is not a response setting.", field=unknown[0])
    response_settings_get(client=client)  # created on first use
    settings = ResponseSettings.objects.select_for_update().get(singleton=True)
    changes: dict[str, object] = {}
    for name in ("office_starts", "office_ends"):
        if name in fields:
            value = fields[name]
            if not isinstance(value, time_of_day):
                raise SettingsError("Give a time of day, e.g. 09:00.", field=name)
            value = value.replace(second=0, microsecond=0, tzinfo=None)
            if value != getattr(settings, name):
                setattr(settings, name, value)
                changes[name] = value.strftime("%H:%M")
    if settings.office_ends <= settings.office_starts:
        field = "office_ends" if "office_ends" in fields else "office_starts"
        raise SettingsError(
            "Office hours end after they start, on the same day "
            f"({settings.office_starts:%H:%M} to {settings.office_ends:%H:%M} does not).",
            field=field,
        )
    if "holidays" in fields:
        holidays = holidays_checked(fields["holidays"])
        before = [str(day) for day in settings.holidays]
        if holidays != before:
            settings.holidays = holidays
            changes["holidays"] = {
                "added": sorted(set(holidays) - set(before)),
                "removed": sorted(set(before) - set(holidays)),
            }
    if "auto_incident_for_crisis" in fields:
        auto = fields["auto_incident_for_crisis"]
        if not isinstance(auto, bool):
            raise SettingsError("Yes or no.", field="auto_incident_for_crisis")
        if auto != settings.auto_incident_for_crisis:
            settings.auto_incident_for_crisis = auto
            changes["auto_incident_for_crisis"] = auto
    if "approval_required" in fields:
        required = fields["approval_required"]
        if not isinstance(required, bool):
            raise SettingsError("Yes or no.", field="approval_required")
        if required != approval_policy(client=client):
            if not user_can_manage_clients(user=acting_user):
                raise PermissionDeniedError(
                    "Only an account manager or an admin decides whether crisis replies need "
                    "approval."
                )
            response_approval_require(client=client, required=required, acting_user=acting_user)
            changes["approval_required"] = required
    if changes:
        settings.save()
        audit_record(
            verb="response_settings.updated",
            acting_user=acting_user,
            client_slug=client.slug,
            changes=changes,
        )
    return settings
