"""Sending replies and own posts through the platforms' APIs (playbooks.senders), from a draft.

A person drafts (`response_draft`); where the brand asks for it, a crisis reply is approved by
the account manager or the client (`response_approve`); then `response_send`:

1. claims the thread's slot: the row moves to "sending" in a transaction of its own, committed
   before any request leaves. The partial unique indexes on Response count "sending" as the
   thread's reply, so of two people sending to the same post at the same moment the second
   claim is refused by the database (ReplyOnceError, the article's reason), and only one
   request reaches the platform;
2. calls the platform outside any transaction, with the credentials of one of the brand's own
   sources on that platform (its schema holds no other brand's);
3. marks the row "sent" with the permalink in `url`, or "failed" (the slot is free again, the
   platform's words on the incident's timeline). A request that may have reached the platform
   unanswered (a read timeout) leaves the row "sending": the reply may be out, and the slot
   stays held; after STALE a person may send it again.

Nothing goes out twice on a retry: a response already "sent" (or recorded) is returned without
a request, a second send of a row being sent is refused, and Mastodon's Idempotency-Key and
Bluesky's record key make a repeated request harmless where the platform has such an aid.

Stored without new fields (the model has none for them; see the report of issue 14):
- the brand's wish for approval of crisis replies is an audit event
  (`response.approval_policy`, the newest one counts; `response_approval_require`);
- an approval is a timeline row and an audit event (`response.approved`) with a digest of the
  text approved: a draft changed since is not approved;
- the platform's id of the sent item is in the timeline note and the audit event; `sent_at`
  holds the moment of the claim while the row is "sending" (what STALE is measured from).

Every function runs in the brand's schema (asserted). `response_send` must not run inside a
transaction of the caller's: its claim has to be committed before the platform is called.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from agency.exceptions import PermissionDeniedError, StormdeskError
from agency.models import AuditEvent, Membership, Role
from agency.services import audit_record
from clients import tenancy
from monitoring.connectors.base import Http
from monitoring.models import Level, Mention, Source, SourceKind
from monitoring.services.sources import source_credentials
from playbooks.desk import desk_incident_refresh_on_commit
from playbooks.exceptions import IncidentError
from playbooks.models import (
    Incident,
    IncidentEvent,
    IncidentEventKind,
    Response,
    ResponseKind,
    ResponseStatus,
)
from playbooks.senders import Sender, SendError, SendKey, SentItem, Target, sender_for
from playbooks.services import (
    PLATFORM_NAMES,
    reply_once_refusal,
    require_agency_person,
    response_checked,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from agency.models import User
    from clients.models import Client

STALE = timedelta(minutes=10)
POLICY_VERB = "response.approval_policy"
APPROVED_VERB = "response.approved"
DONE = (ResponseStatus.SENT, ResponseStatus.RECORDED)


class ResponseSendError(StormdeskError):
    """The platform did not take the reply or post (its words in `message`). `transient`:
    trying again later may work, after `retry_after` seconds when the platform said;
    `unknown`: it may be on the platform (the slot stays held)."""

    code = "send_failed"
    status = 502

    def __init__(
        self,
        message: str,
        *,
        transient: bool = False,
        retry_after: float | None = None,
        unknown: bool = False,
        status: int | None = None,
    ) -> None:
        super().__init__(message, field=None)
        self.transient = transient
        self.retry_after = retry_after
        self.unknown = unknown
        if status is not None:
            self.status = status
        elif retry_after is not None:
            self.status = 429


def _what(response: Response) -> str:
    what = "Reply" if response.kind == ResponseKind.REPLY else "Own post"
    return f"{what} #{response.pk} on {PLATFORM_NAMES.get(response.platform, response.platform)}"


def _clock(client: Client, at: datetime) -> str:
    from agency.templatetags.stormdesk import in_zone

    return in_zone(at, client.timezone)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _event(response: Response, *, actor: str, note: str) -> None:
    if response.incident_id is not None:
        IncidentEvent.objects.create(
            incident_id=response.incident_id,
            at=timezone.now(),
            kind=IncidentEventKind.RESPONSE,
            actor=actor,
            note=note,
        )


# --- Drafts -------------------------------------------------------------------------------


def with_qa_link(text: str, link: str | None) -> str:
    """`text` with the incident's Q&A link on a line of its own at the end, unless it has it."""
    text = text.strip()
    if not link or link.rstrip("/").lower() in text.lower():
        return text
    return f"{text}\n\n{link}" if text else link


def _linked(client: Client, incident: Incident | None, text: str) -> str:
    from playbooks.qa import qa_link_for_incident

    if incident is None or not text.strip():
        return text
    return with_qa_link(text, qa_link_for_incident(client=client, incident=incident))


def _not_closed(incident: Incident | None) -> None:
    from playbooks.models import IncidentStatus

    if incident is not None and incident.status == IncidentStatus.CLOSED:
        raise IncidentError("The incident is closed: answer from a new incident, or record it.")


@transaction.atomic
def response_draft(
    *,
    client: Client,
    incident: Incident | None,
    kind: str,
    platform: str,
    text: str,
    acting_user: User,
    mention: Mention | None = None,
) -> Response:
    """A draft reply to `mention`, or a draft own post, on `platform`: nothing goes out yet and
    nothing counts as the thread's reply (see `response_send`). The incident's published Q&A
    page's link is added at the end when the text lacks it (every answer links it), whichever
    door the draft came through. Agency people only; not on a closed incident."""
    tenancy.require_tenant(client)
    require_agency_person(client, acting_user, "draft replies")
    _not_closed(incident)
    text, thread_key, author_key = response_checked(
        kind=kind, platform=platform, text=_linked(client, incident, text), mention=mention
    )
    response = Response.objects.create(
        incident=incident,
        kind=kind,
        platform=platform,
        mention=mention if kind == ResponseKind.REPLY else None,
        thread_key=thread_key,
        author_key=author_key,
        text=text,
        status=ResponseStatus.DRAFT,
        created_by=acting_user.email,
        created_at=timezone.now(),
    )
    audit_record(
        verb="response.drafted",
        acting_user=acting_user,
        client_slug=client.slug,
        response=response.pk,
        kind=kind,
        platform=platform,
        incident=incident.pk if incident else None,
    )
    return response


@transaction.atomic
def response_draft_update(
    *, client: Client, response: Response, text: str, acting_user: User
) -> Response:
    """A draft's (or a failed send's) new text. An approval was of the old text: it no longer
    holds (approvals are of a digest of the text). Agency people only."""
    tenancy.require_tenant(client)
    require_agency_person(client, acting_user, "edit replies")
    locked = Response.objects.select_for_update(of=("self",)).select_related("mention__author")
    row = locked.get(pk=response.pk)
    if row.status not in (ResponseStatus.DRAFT, ResponseStatus.FAILED):
        raise IncidentError(f"{_what(row)} is {row.get_status_display().lower()}: not editable.")
    incident = Incident.objects.filter(pk=row.incident_id).first() if row.incident_id else None
    _not_closed(incident)
    text, _thread, _author = response_checked(
        kind=row.kind,
        platform=row.platform,
        text=_linked(client, incident, text),
        mention=row.mention,
    )
    if text != row.text:
        row.text = text
        row.save(update_fields=["text"])
        audit_record(
            verb="response.edited",
            acting_user=acting_user,
            client_slug=client.slug,
            response=row.pk,
            text=_digest(text),
        )
    return row


@transaction.atomic
def response_discard(*, client: Client, response: Response, acting_user: User) -> None:
    """Throw a draft (or a failed send) away. What went out, or may have, stays."""
    tenancy.require_tenant(client)
    require_agency_person(client, acting_user, "discard replies")
    row = Response.objects.select_for_update().get(pk=response.pk)
    if row.status not in (ResponseStatus.DRAFT, ResponseStatus.FAILED):
        raise IncidentError(f"{_what(row)} is {row.get_status_display().lower()}: it stays.")
    audit_record(
        verb="response.discarded",
        acting_user=acting_user,
        client_slug=client.slug,
        response=row.pk,
        kind=row.kind,
        platform=row.platform,
    )
    row.delete()


# --- Approval -----------------------------------------------------------------------------


def response_approval_require(*, client: Client, required: bool, acting_user: User) -> None:
    """Whether the brand's crisis replies and posts need approval before they go out (by the
    account manager or the client). Account managers and admins set it."""
    from agency.selectors import user_can_manage_clients

    tenancy.require_tenant(client)
    if not user_can_manage_clients(user=acting_user):
        raise PermissionDeniedError("Only an account manager sets who approves crisis replies.")
    audit_record(
        verb=POLICY_VERB, acting_user=acting_user, client_slug=client.slug, required=required
    )


def approval_policy(*, client: Client) -> bool:
    """Whether the brand asks for approval of crisis replies (the newest policy event)."""
    newest = (
        AuditEvent.objects.filter(verb=POLICY_VERB, client_slug=client.slug)
        .order_by("-id")
        .values_list("detail", flat=True)
        .first()
    )
    return bool(newest and newest.get("required"))


def incident_is_crisis(incident: Incident | None) -> bool:
    """Whether the incident's alert, or its wave at its peak, is a crisis (what approval of
    replies is about)."""
    if incident is None:
        return False
    return Level.CRISIS in (incident.alert.level, incident.wave.peak_level)


def approval_needed(*, client: Client, response: Response) -> bool:
    """Whether `response` must be approved before it goes out: a reply or post of a crisis
    incident, at a brand that asks for approval."""
    return incident_is_crisis(response.incident) and approval_policy(client=client)


def approved(*, client: Client, response: Response) -> bool:
    """Whether `response`'s text, as it is now, was approved."""
    return AuditEvent.objects.filter(
        verb=APPROVED_VERB,
        client_slug=client.slug,
        detail__response=response.pk,
        detail__text=_digest(response.text),
    ).exists()


def response_approvals(*, client: Client, responses: Sequence[Response]) -> dict[int, str]:
    """Of `responses`, those whose text as it is now was approved: the approver's e-mail by
    response id ("" for an approver since removed). One query, whatever their number."""
    digests = {response.pk: _digest(response.text) for response in responses}
    if not digests:
        return {}
    found: dict[int, str] = {}
    rows = (
        AuditEvent.objects.filter(
            verb=APPROVED_VERB, client_slug=client.slug, detail__response__in=list(digests)
        )
        .order_by("id")
        .values_list("detail", "actor__email")
    )
    for detail, email in rows:
        pk = detail.get("response") if isinstance(detail, dict) else None
        if pk in digests and detail.get("text") == digests[pk]:
            found[pk] = email or ""
    return found


def may_approve(*, client: Client, user: User) -> bool:
    """The brand's account manager (any account manager while it has none), an agency admin,
    or one of the brand's client viewers."""
    roles = set(
        Membership.objects.filter(user=user, client__isnull=True).values_list("role", flat=True)
    )
    if Role.AGENCY_ADMIN in roles:
        return True
    if Role.ACCOUNT_MANAGER in roles and client.account_manager_id in (None, user.pk):
        return True
    return Membership.objects.filter(user=user, client=client, role=Role.CLIENT_VIEWER).exists()


@transaction.atomic
def response_approve(*, client: Client, response: Response, acting_user: User) -> Response:
    """Approve a draft's text for sending. The approval holds for this text only."""
    tenancy.require_tenant(client)
    if not may_approve(client=client, user=acting_user):
        raise PermissionDeniedError(
            "Only the brand's account manager or the client approves a crisis reply."
        )
    response = Response.objects.select_for_update().get(pk=response.pk)
    if response.status not in (ResponseStatus.DRAFT, ResponseStatus.FAILED):
        raise IncidentError(f"{_what(response)} is {response.get_status_display().lower()}.")
    _event(response, actor=acting_user.email, note=f"{_what(response)} approved for sending")
    audit_record(
        verb=APPROVED_VERB,
        acting_user=acting_user,
        client_slug=client.slug,
        response=response.pk,
        text=_digest(response.text),
    )
    return response


# --- Sending ------------------------------------------------------------------------------


def _source_for(sender: Sender, response: Response) -> tuple[Source, dict[str, Any]]:
    """The brand's source whose credentials may send this: its owned account on the platform
    first, then the source of the mention answered, then the others."""
    mention_source = response.mention.source_id if response.mention_id and response.mention else 0
    sources = sorted(
        Source.objects.filter(platform=response.platform, is_active=True),
        key=lambda s: (s.kind != SourceKind.OWNED, s.pk != mention_source, s.pk),
    )
    lacking: list[str] = []
    for source in sources:
        try:
            credentials = source_credentials(source=source)
        except ValueError:  # encrypted with a key no longer configured
            continue
        missing = sender.missing(source.settings, credentials, response.kind)
        if not missing:
            return source, credentials
        lacking = lacking or missing
    need = ", ".join(lacking) or ", ".join(
        f"credential '{k}' ({what})" for k, what in sender.credentials_needed
    )
    raise IncidentError(
        f"No {sender.name} source of the brand can send this: it needs {need}. Set it on the "
        f"brand's {sender.name} account source.",
        field="platform",
    )


def _claim(client: Client, response: Response, override_reason: str) -> tuple[Response, bool]:
    """The row moved to "sending" (committed), and True; or the row as it is, and False, when
    it went out already. The database refuses a second claim on the thread."""
    now = timezone.now()
    try:
        with transaction.atomic():
            row = Response.objects.select_for_update().get(pk=response.pk)
            if row.status in DONE:
                return row, False
            if row.status == ResponseStatus.SENDING and row.sent_at and row.sent_at > now - STALE:
                raise ResponseSendError(
                    f"{_what(row)} is being sent (since {_clock(client, row.sent_at)}). If the "
                    f"platform does not confirm it, it may be sent again {STALE.seconds // 60} "
                    "minutes after that, once you checked it is not on the platform.",
                    status=409,
                )
            row.status = ResponseStatus.SENDING
            row.sent_at = now
            row.override_reason = override_reason or row.override_reason
            row.save(update_fields=["status", "sent_at", "override_reason"])
    except IntegrityError as exc:
        raise reply_once_refusal(
            client=client,
            incident=response.incident,
            thread_key=response.thread_key,
            author_key=response.author_key,
        ) from exc
    return row, True


def _target(mention: Mention) -> Target:
    author = mention.author.handle if mention.author_id and mention.author else ""
    return Target(
        external_id=mention.external_id,
        thread_id=mention.thread_id,
        parent_id=mention.parent_id,
        url=mention.url,
        author=author,
        raw=mention.raw if isinstance(mention.raw, dict) else {},
    )


def response_send(
    *,
    client: Client,
    response: Response,
    acting_user: User,
    override_reason: str = "",
    http: Http | None = None,
) -> Response:
    """Send a draft reply or own post through the platform's API; see the module docstring.
    Returns the response, sent. Raises ReplyOnceError when the thread (or the author, within
    the incident) has the brand's reply already or one is being sent, unless the incident's
    lead (or an account manager) gives `override_reason`; PermissionDeniedError for a crisis
    reply that needs approval; ResponseSendError with the platform's words when it refused."""
    from agency.selectors import user_can_manage_clients

    tenancy.require_tenant(client)
    require_agency_person(client, acting_user, "send replies")
    response = Response.objects.select_related("incident", "mention__author").get(pk=response.pk)
    if response.status in DONE:
        return response  # out already: nothing is sent twice
    _not_closed(response.incident)
    bases: dict[str, str] = getattr(django_settings, "CONNECTOR_BASE_URLS", {})
    sender = sender_for(response.platform, bases)
    if sender is None:
        raise IncidentError(
            f"{PLATFORM_NAMES[response.platform]} takes no replies from the desk: answer there "
            "and record the reply with its URL.",
            field="platform",
        )
    if response.kind == ResponseKind.POST and sender.no_posts:
        raise IncidentError(f"{sender.name}: {sender.no_posts}", field="platform")
    if response.kind == ResponseKind.REPLY and response.mention is None:
        raise IncidentError("The mention this reply answers is no longer stored.", field="mention")
    override_reason = override_reason.strip()[:500]
    if override_reason:
        lead = response.incident is not None and response.incident.lead == acting_user.email
        if not (lead or user_can_manage_clients(user=acting_user)):
            raise PermissionDeniedError("Only the incident's lead may allow a second reply.")
    if approval_needed(client=client, response=response) and not approved(
        client=client, response=response
    ):
        raise PermissionDeniedError(
            "This crisis reply needs the approval of the brand's account manager or the client "
            "before it goes out."
        )
    source, credentials = _source_for(sender, response)
    row, claimed = _claim(client, response, override_reason)
    if not claimed:
        return row
    key = SendKey(
        key=f"stormdesk-{client.schema_name}-response-{row.pk}",
        micros=int(row.created_at.timestamp() * 1_000_000),
        clock=row.pk % 1024,
    )
    own_http = http is None
    http = http or Http(sender.name)
    try:
        if row.kind == ResponseKind.REPLY:
            assert response.mention is not None
            item = sender.send_reply(
                _target(response.mention),
                row.text,
                credentials=credentials,
                settings=source.settings,
                key=key,
                http=http,
            )
        else:
            item = sender.send_post(
                row.text, credentials=credentials, settings=source.settings, key=key, http=http
            )
    except SendError as exc:
        _not_sent(client, row, acting_user, source, exc)
        raise ResponseSendError(
            exc.message, transient=exc.transient, retry_after=exc.retry_after, unknown=exc.unknown
        ) from exc
    finally:
        if own_http:
            http.close()
    return _sent(client, row, acting_user, source, item)


@transaction.atomic
def _sent(
    client: Client, row: Response, acting_user: User, source: Source, item: SentItem
) -> Response:
    at = timezone.now()
    Response.objects.filter(pk=row.pk).update(
        status=ResponseStatus.SENT, url=item.url[:1000], sent_at=at
    )
    row.status, row.url, row.sent_at = ResponseStatus.SENT, item.url[:1000], at
    note = f"{_what(row)} sent" + (f": {item.url}" if item.url else "")
    note += f" (id {item.external_id})" if item.external_id else ""
    if row.override_reason:
        note += f" (a second reply, allowed: {row.override_reason})"
    _event(row, actor=acting_user.email, note=note)
    audit_record(
        verb="response.sent",
        acting_user=acting_user,
        client_slug=client.slug,
        response=row.pk,
        kind=row.kind,
        platform=row.platform,
        source=source.pk,
        external_id=item.external_id,
        override=row.override_reason or None,
    )
    if row.incident_id is not None:
        desk_incident_refresh_on_commit(client=client)
    return row


@transaction.atomic
def _not_sent(
    client: Client, row: Response, acting_user: User, source: Source, error: SendError
) -> None:
    """A refusal frees the thread's slot (status failed); an unconfirmed request keeps it."""
    if error.unknown:
        note = f"{_what(row)} not confirmed by the platform: {error.message}"
    else:
        Response.objects.filter(pk=row.pk).update(status=ResponseStatus.FAILED, sent_at=None)
        row.status, row.sent_at = ResponseStatus.FAILED, None
        note = f"{_what(row)} failed: {error.message}"
    _event(row, actor=acting_user.email, note=note)
    audit_record(
        verb="response.unconfirmed" if error.unknown else "response.failed",
        acting_user=acting_user,
        client_slug=client.slug,
        response=row.pk,
        platform=row.platform,
        source=source.pk,
        error=error.message,
        transient=error.transient,
    )
    if row.incident_id is not None:
        desk_incident_refresh_on_commit(client=client)
