"""Sources and the dead-letter store. Every function here runs inside a brand's schema."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from agency.crypto import decrypt_json, encrypt_json, encrypted_at
from agency.services import audit_record
from clients import tenancy
from monitoring.exceptions import DeadLetterError, SourceError
from monitoring.models import DeadLetter, DeadLetterStatus, Source
from monitoring.services.ingestion import IngestResult, mentions_ingest

if TYPE_CHECKING:
    from agency.models import User
    from clients.models import Client

SOURCE_FIELDS = ("name", "platform", "kind", "settings", "is_active", "expected_per_hour", "pull")


def _check_pull(source: Source) -> None:
    from monitoring.connectors import connector_class

    if source.pull and connector_class(platform=source.platform, kind=source.kind) is None:
        raise SourceError(
            f"There is no connector that polls {source.get_platform_display()} "
            f"({source.get_kind_display().lower()}); it takes webhooks and imports only.",
            field="pull",
        )


@transaction.atomic
def source_create(
    *,
    client: Client,
    acting_user: User | None,
    credentials: dict[str, Any] | None = None,
    **fields: Any,
) -> Source:
    tenancy.require_tenant(client)
    source = Source(**{k: v for k, v in fields.items() if k in SOURCE_FIELDS})
    source.credentials_encrypted = encrypt_json(credentials or {})
    source.full_clean()
    _check_pull(source)
    source.save()
    audit_record(
        verb="source.created",
        acting_user=acting_user,
        client_slug=client.slug,
        source=source.pk,
        platform=source.platform,
    )
    return source


@transaction.atomic
def source_update(
    *,
    client: Client,
    source: Source,
    acting_user: User | None,
    credentials: dict[str, Any] | None = None,
    **fields: Any,
) -> Source:
    """Change a source. `credentials` replaces the stored ones (keys with None are removed)."""
    tenancy.require_tenant(client)
    for name, value in fields.items():
        if name in SOURCE_FIELDS:
            setattr(source, name, value)
    if credentials is not None:
        merged = {**source_credentials(source=source), **credentials}
        source.credentials_encrypted = encrypt_json(
            {k: v for k, v in merged.items() if v is not None}
        )
    if credentials is not None or {"settings", "pull", "is_active"} & set(fields):
        # Whatever stopped the polling may be fixed now: try again at the next round.
        source.poll_failures = 0
        source.next_poll_at = None
    source.full_clean()
    _check_pull(source)
    source.save()
    audit_record(
        verb="source.updated",
        acting_user=acting_user,
        client_slug=client.slug,
        source=source.pk,
        fields=sorted(fields),
        credentials_changed=credentials is not None,
    )
    return source


def source_credentials(*, source: Source) -> dict[str, Any]:
    """The decrypted secrets of a source: for connectors and signature checks only."""
    return decrypt_json(source.credentials_encrypted)


@dataclass(frozen=True)
class CredentialsHeld:
    """Which secrets a source holds, never their values: for pages that say what is set."""

    keys: list[str]
    changed_at: datetime | None
    unreadable: bool = False


def source_credentials_held(*, source: Source) -> CredentialsHeld:
    """The names of the source's secrets and when they were last written (all at once: they
    are stored as one encrypted object)."""
    changed_at = encrypted_at(source.credentials_encrypted)
    try:
        keys = sorted(source_credentials(source=source))
    except ValueError:  # encrypted with a key no longer configured
        return CredentialsHeld(keys=[], changed_at=changed_at, unreadable=True)
    return CredentialsHeld(keys=keys, changed_at=changed_at)


def dead_letter_replay(
    *,
    client: Client,
    letter: DeadLetter,
    acting_user: User | None,
    payload: Any = None,
) -> IngestResult:
    """Ingest a dead letter again, as it was or with a corrected payload.

    The letter is resolved only when its item is now accepted (or a duplicate of a stored
    one); otherwise it stays open and the new errors are returned.
    """
    tenancy.require_tenant(client)
    with transaction.atomic():
        letter = DeadLetter.objects.select_for_update().get(pk=letter.pk)
        if letter.status != DeadLetterStatus.OPEN:
            raise DeadLetterError(f"Dead letter {letter.pk} is already {letter.status}.")
        if letter.source is None:
            raise DeadLetterError("Its source is gone; nothing to replay into.", field="source")
        item = letter.payload if payload is None else payload
        result = mentions_ingest(
            client=client,
            source=letter.source,
            items=[item],
            channel=letter.channel,
            keep_rejects=False,
        )
        if not result.rejected:
            letter.status = DeadLetterStatus.REPLAYED
            letter.resolved_at = timezone.now()
            letter.resolution = {
                "by": acting_user.email if acting_user else None,
                "corrected": payload is not None,
                "mention_ids": result.mention_ids,
                "duplicate": result.duplicates == 1,
            }
            if payload is not None:
                letter.payload = payload
            letter.save()
    return result


@transaction.atomic
def dead_letter_discard(
    *,
    client: Client,
    letter: DeadLetter,
    acting_user: User | None,
    reason: str,
) -> DeadLetter:
    tenancy.require_tenant(client)
    letter = DeadLetter.objects.select_for_update().get(pk=letter.pk)
    if letter.status != DeadLetterStatus.OPEN:
        raise DeadLetterError(f"Dead letter {letter.pk} is already {letter.status}.")
    if not reason.strip():
        raise DeadLetterError("Say why it is discarded.", field="reason")
    letter.status = DeadLetterStatus.DISCARDED
    letter.resolved_at = timezone.now()
    letter.resolution = {"by": acting_user.email if acting_user else None, "reason": reason}
    letter.save()
    return letter
