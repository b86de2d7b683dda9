"""The watch log: the person on duty confirms that they looked at the brand.

A check is one row (monitoring.models.WatchCheck) and one audit event, written in one
transaction in the brand's schema (asserted); the desk row is refreshed once it commits. Checks
are never edited or deleted: they are the proof for the client's reports. Recording is not
idempotent on purpose: two checks a minute apart are two looks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agency.exceptions import PermissionDeniedError
from agency.selectors import Access, client_access
from agency.services import audit_record
from clients import tenancy
from monitoring import watchtime
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


# --- Missed checks --------------------------------------------------------------------------
# A check that is due reminds the person on duty; unanswered for BACKUP_AFTER it goes to the
# backup (or, with no backup on duty, to the fallback of escalations), like an unacknowledged
# alert. Each reminder once per missed check: its key carries the moment the check fell due.

BACKUP_AFTER = timedelta(minutes=15)
CHECK_LINK_SALT = "stormdesk.watch-check"
CHECK_LINK_MAX_AGE = timedelta(hours=12)


def check_token(*, client: Client, user: User) -> str:
    return signing.dumps({"s": client.schema_name, "u": user.pk}, salt=CHECK_LINK_SALT)


def check_token_read(token: str) -> tuple[str, int]:
    """(schema name, user id) of a valid one-tap check link; BadSignature otherwise."""
    data = signing.loads(token, salt=CHECK_LINK_SALT, max_age=CHECK_LINK_MAX_AGE)
    return str(data["s"]), int(data["u"])


def _check_due_at(client: Client, now: datetime) -> datetime | None:
    """When the check that is missing now fell due; None if none is due."""
    from monitoring.selectors import brand_settings_get, watch_cadence

    cadence = watch_cadence(brand_settings_get(client=client))
    last = (
        WatchCheck.objects.order_by("-checked_at", "-id")
        .values_list("checked_at", flat=True)
        .first()
    ) or client.created_at
    if not watchtime.check_due(last, now, cadence, client.zone):
        return None
    return last + watchtime.interval_at(now, cadence, client.zone)


def watch_reminders_send(*, client: Client, now: datetime | None = None) -> list[str]:
    """Periodic, per brand: remind whoever must check now. Returns the stages sent this run
    ("primary", "backup"); running it again in the same minute sends nothing more."""
    from agency.models import Notification, NotificationTopic
    from agency.models import User as UserModel
    from agency.notifications import absolute_url, notify_person
    from agency.roster import on_duty_for_brands
    from monitoring.services.escalation import fallback_people

    tenancy.require_tenant(client)
    now = now or timezone.now()
    due_at = _check_due_at(client, now)
    if due_at is None:
        return []
    cover, _schedule = on_duty_for_brands(clients=[client], at=now)[client.pk]
    stages: list[tuple[str, list[User]]] = []

    def person(pk: str | None) -> list[User]:
        return list(UserModel.objects.filter(pk=int(pk), is_active=True)) if pk else []

    stages.append(("primary", person(cover.primary)))
    if now - due_at >= BACKUP_AFTER:
        stages.append(("backup", person(cover.backup) or fallback_people(now)[0]))
    sent = []
    with transaction.atomic():
        for stage, people in stages:
            for user in people:
                link = absolute_url(
                    reverse(
                        "watch-check-link",
                        args=[check_token(client=client, user=user)],
                        urlconf="agency.urls_public",
                    )
                )
                local = due_at.astimezone(client.zone)
                with translation.override(user.language or client.language or "en"):
                    subject = _("Check %(brand)s: due since %(time)s") % {
                        "brand": client.name,
                        "time": f"{local:%H:%M}",
                    }
                    body = (
                        _("Nobody has recorded a look at %(brand)s since the check fell due.")
                        % {"brand": client.name}
                        if stage == "primary"
                        else _(
                            "%(brand)s was due a check at %(time)s and the person on duty has "
                            "not recorded one. Please look at the brand now."
                        )
                        % {"brand": client.name, "time": f"{local:%H:%M %Z}"}
                    )
                    body += "\n" + _("Record the check with one tap:")
                key = f"watch:{client.schema_name}:{due_at.isoformat()}:{stage}:u{user.pk}"
                if Notification.objects.filter(key__startswith=f"{key}:").exists():
                    continue  # reminded already of this missed check
                notify_person(
                    user=user,
                    key=key,
                    topic=NotificationTopic.WATCH,
                    subject=subject,
                    body=body,
                    link=link,
                    client=client,
                    at=now,
                )
                sent.append(stage)
    return sorted(set(sent))
