"""The watch log: the person on duty confirms that they looked at the brand.

A check is one row (monitoring.models.WatchCheck) and one audit event, written in one
transaction in the brand's schema (asserted); the desk row is refreshed once it commits. Checks
are never edited or deleted: they are the proof for the client's reports. Recording is not
idempotent on purpose: two checks a minute apart are two looks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from agency.exceptions import PermissionDeniedError
from agency.selectors import Access, client_access
from agency.services import audit_record
from clients import tenancy
from monitoring.exceptions import WatchInputError
from monitoring.models import Alert, WatchCheck, WatchOutcome
from monitoring.services.status import brand_status_refresh_on_commit

if TYPE_CHECKING:
    from agency.models import User
    from clients.models import Client

MAX_NOTE = 500


def _clean_note(note: str) -> str:
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise WatchInputError(f"At most {MAX_NOTE} characters.", field="note")
    # PostgreSQL stores neither NUL nor a lone surrogate: a refusal, not a 500 at the INSERT.
    if "\x00" in note:
        raise WatchInputError("Null characters are not allowed.", field="note")
    try:
        note.encode("utf-8")
    except UnicodeEncodeError:
        raise WatchInputError("The note is not valid text.", field="note") from None
    return note


@transaction.atomic
def watch_check_record(
    *,
    client: Client,
    acting_user: User | None,
    note: str = "",
    alert: Alert | int | None = None,
) -> WatchCheck:
    """`acting_user` looked at `client` just now: quiet, or see `alert` (an alert of this brand,
    as a row or its id; one that is not found in this brand's schema is refused, which is how an
    id of another brand's alert is refused). Only people who may write on the brand check:
    agency staff of the brand, account managers and admins; a client viewer reads the log."""
    tenancy.require_tenant(client)
    if acting_user is None or client_access(user=acting_user, client=client) is not Access.FULL:
        raise PermissionDeniedError("Only the agency's people on this brand record checks.")
    note = _clean_note(note)
    cited: Alert | None = None
    if alert is not None:
        pk = alert.pk if isinstance(alert, Alert) else alert
        # (an id past bigint names nothing, and is no query)
        cited = Alert.objects.filter(pk=pk).first() if 0 < pk < 2**63 else None
        if cited is None:
            raise WatchInputError(f"This brand has no alert {pk}.", field="alert")
    check = WatchCheck.objects.create(
        checked_at=timezone.now(),
        by=acting_user.email,
        note=note,
        alert=cited,
        outcome=WatchOutcome.ALERT if cited else WatchOutcome.QUIET,
    )
    audit_record(
        verb="watch.checked",
        acting_user=acting_user,
        client_slug=client.slug,
        check=check.pk,
        outcome=check.outcome,
        alert=cited.pk if cited else None,
    )
    brand_status_refresh_on_commit(client=client)
    return check
