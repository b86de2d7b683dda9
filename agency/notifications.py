"""What leaves Stormdesk for a person: contact methods with their test message and personal
rules, and the outbox (agency.models.Notification) that every message goes through.

A decision to reach someone (an escalation step, a missed check, a gap in cover, a shift
reminder) calls `notify_person` inside its own transaction: the outbox rows are written with the
decision and named by a key, so the same decision taken twice writes nothing more. Sending is
the worker's (agency.tasks.notification_send, after commit; agency.tasks.outbox_flush sweeps up
what is due or was lost), through one transport per kind (agency.transports).

Public schema only; nothing here enters a brand's schema.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.core import signing
from django.core.validators import EmailValidator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agency.crypto import decrypt_json, encrypt_json
from agency.exceptions import PermissionDeniedError, StormdeskError
from agency.models import (
    ContactKind,
    ContactMethod,
    Notification,
    NotificationRule,
    NotificationStatus,
    NotificationTopic,
    User,
)
from agency.services import audit_record

if TYPE_CHECKING:
    from clients.models import Client

logger = logging.getLogger(__name__)

MAX_METHODS = 10
MAX_RULES = 10
# An outbox row still undelivered after this long is given up (failed), whatever it was for.
GIVE_UP_AFTER = timedelta(hours=24)
# How long a test message's confirmation link works.
VERIFY_MAX_AGE = timedelta(days=2)
VERIFY_SALT = "stormdesk.contact-verify"


class NotificationError(StormdeskError):
    code = "invalid_contact"


# --- Contact methods ------------------------------------------------------------------------


def _push_subscription(value: Any) -> dict[str, Any]:
    """A browser's PushSubscription.toJSON(): an https endpoint and its two keys."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise NotificationError("The subscription is not JSON.", field="target") from exc
    if not isinstance(value, dict):
        raise NotificationError("The subscription is not an object.", field="target")
    endpoint = value.get("endpoint")
    keys = value.get("keys")
    if not isinstance(endpoint, str) or urlsplit(endpoint).scheme not in ("https", "http"):
        raise NotificationError("The subscription has no push endpoint.", field="target")
    if (
        not isinstance(keys, dict)
        or not isinstance(keys.get("p256dh"), str)
        or not isinstance(keys.get("auth"), str)
    ):
        raise NotificationError("The subscription lacks its keys.", field="target")
    # Keys that can never encrypt a message would fail every send for a day: refused now.
    try:
        from cryptography.hazmat.primitives.asymmetric import ec

        point = base64.urlsafe_b64decode(keys["p256dh"] + "=" * (-len(keys["p256dh"]) % 4))
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        auth = base64.urlsafe_b64decode(keys["auth"] + "=" * (-len(keys["auth"]) % 4))
    except (ValueError, TypeError) as exc:
        raise NotificationError("The subscription's keys are not valid.", field="target") from exc
    if len(auth) != 16:
        raise NotificationError("The subscription's keys are not valid.", field="target")
    return {"endpoint": endpoint, "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]}}


def _apprise_url(value: Any) -> str:
    import apprise

    if not isinstance(value, str) or not value.strip() or len(value) > 2000:
        raise NotificationError("Give the service's apprise URL.", field="target")
    value = value.strip()
    if apprise.Apprise.instantiate(value) is None:
        raise NotificationError(
            "Apprise does not know this URL (see its list of services, e.g. "
            "tgram://, slack://, workflows:// for Microsoft Teams, ntfy://, pover://).",
            field="target",
        )
    return value


def _hint(kind: str, target: Any) -> str:
    if kind == ContactKind.EMAIL:
        return str(target)
    if kind == ContactKind.PUSH:
        return urlsplit(target["endpoint"]).hostname or "push"
    parts = urlsplit(str(target))
    return f"{parts.scheme}://{parts.hostname or ''}"


@transaction.atomic
def contact_method_add(*, user: User, kind: str, target: Any, label: str = "") -> ContactMethod:
    """A new, unverified way to reach `user`: an e-mail address, a Web Push subscription, or an
    apprise URL (Slack, Microsoft Teams, Telegram, Signal, ntfy, Pushover, SMS gateways).
    It pages nobody until its test message was confirmed (contact_method_verify)."""
    if kind == ContactKind.EMAIL:
        if not isinstance(target, str):
            raise NotificationError("Give an e-mail address.", field="target")
        target = target.strip().lower()
        try:
            EmailValidator()(target)
        except Exception as exc:
            raise NotificationError("Give an e-mail address.", field="target") from exc
    elif kind == ContactKind.PUSH:
        target = _push_subscription(target)
    elif kind == ContactKind.APPRISE:
        target = _apprise_url(target)
    else:
        raise NotificationError(f"Unknown kind {kind!r}.", field="kind")
    if not isinstance(label, str) or len(label) > 100:
        raise NotificationError("At most 100 characters.", field="label")
    if ContactMethod.objects.filter(user=user).count() >= MAX_METHODS:
        raise NotificationError(f"At most {MAX_METHODS} contact methods.", field="kind")
    method = ContactMethod.objects.create(
        user=user,
        kind=kind,
        label=label.strip(),
        target_encrypted=encrypt_json({"target": target}),
        target_hint=_hint(kind, target)[:200],
    )
    audit_record(verb="contact.added", acting_user=user, method=method.pk, kind=kind)
    return method


def contact_target(method: ContactMethod) -> Any:
    return decrypt_json(method.target_encrypted)["target"]


@transaction.atomic
def contact_method_remove(*, method: ContactMethod, acting_user: User) -> None:
    if method.user_id != acting_user.pk:
        raise PermissionDeniedError("This is someone else's contact method.")
    audit_record(verb="contact.removed", acting_user=acting_user, method=method.pk)
    method.delete()


def verify_token(method: ContactMethod) -> str:
    return signing.dumps({"m": method.pk, "u": method.user_id}, salt=VERIFY_SALT, compress=True)


@transaction.atomic
def contact_method_test(*, method: ContactMethod, acting_user: User) -> Notification:
    """A test message to the method, with the link that confirms it arrived. Each test is its
    own message (the key carries the moment)."""
    if method.user_id != acting_user.pk:
        raise PermissionDeniedError("This is someone else's contact method.")
    now = timezone.now()
    link = absolute_url(
        reverse("contact-verify", args=[verify_token(method)], urlconf="agency.urls_public")
    )
    with translation.override(acting_user.language or "en"):
        subject = _("Stormdesk test message")
        body = _(
            "This is the test message you asked for. Open the link to confirm it reached you; "
            "from then on, pages can come this way."
        )
    (row,) = _write(
        [
            _row(
                key=f"test:{method.pk}:{now.isoformat()}",
                topic=NotificationTopic.TEST,
                user=acting_user,
                method=method,
                subject=subject,
                body=body,
                link=link,
                at=now,
            )
        ]
    )
    return row


@transaction.atomic
def contact_method_verify(*, token: str) -> ContactMethod:
    """The link of a test message was opened: the method pages from now on."""
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
    except signing.BadSignature as exc:
        raise NotificationError("This confirmation link is not valid or has expired.") from exc
    method = (
        ContactMethod.objects.select_for_update().filter(pk=data["m"], user_id=data["u"]).first()
    )
    if method is None:
        raise NotificationError("This contact method no longer exists.")
    if method.verified_at is None:
        method.verified_at = timezone.now()
        method.save(update_fields=["verified_at"])
        audit_record(verb="contact.verified", acting_user=method.user, method=method.pk)
    return method


@transaction.atomic
def notification_rules_set(
    *, user: User, rules: Sequence[tuple[int, int]]
) -> list[NotificationRule]:
    """The person's rules, replaced: (method id, minutes after the page) pairs. Only their own
    methods; a method may appear more than once (e.g. push at 0 and again at 5)."""
    if len(rules) > MAX_RULES:
        raise NotificationError(f"At most {MAX_RULES} rules.", field="rules")
    own = {m.pk: m for m in ContactMethod.objects.filter(user=user)}
    seen: set[tuple[int, int]] = set()
    for method_id, minutes in rules:
        if method_id not in own:
            raise NotificationError("Pick one of your own contact methods.", field="rules")
        if not 0 <= minutes <= 240:
            raise NotificationError("Between 0 and 240 minutes.", field="rules")
        if (method_id, minutes) in seen:
            raise NotificationError("The same method twice at the same minute.", field="rules")
        seen.add((method_id, minutes))
    NotificationRule.objects.filter(user=user).delete()
    created = NotificationRule.objects.bulk_create(
        NotificationRule(user=user, method=own[m], after_minutes=minutes) for m, minutes in rules
    )
    audit_record(verb="contact.rules", acting_user=user, rules=[list(r) for r in rules])
    return created


# --- The outbox -------------------------------------------------------------------------------


def absolute_url(path: str) -> str:
    """A link on the agency portal (messages are read outside any request)."""
    from django.conf import settings

    port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
    scheme = "https" if settings.SECURE_SSL_REDIRECT else "http"
    return f"{scheme}://{settings.BASE_DOMAIN}{port}{path}"


def _row(
    *,
    key: str,
    topic: str,
    user: User,
    method: ContactMethod | None,
    subject: str,
    body: str,
    link: str,
    at: datetime,
    delay_minutes: int = 0,
    client: Client | None = None,
    alert_id: int | None = None,
    escalation_id: int | None = None,
    step: str = "",
) -> Notification:
    return Notification(
        key=key[:300],
        topic=topic,
        user=user,
        method=method,
        kind=method.kind if method is not None else ContactKind.EMAIL,
        client=client,
        alert_id=alert_id,
        escalation_id=escalation_id,
        step=step[:40],
        subject=subject[:300],
        body=body,
        link=link,
        next_attempt_at=at + timedelta(minutes=delay_minutes),
        created_at=at,
    )


def _write(rows: list[Notification]) -> list[Notification]:
    """Insert the rows whose key is new; the rows of these keys, as stored, are returned. The
    send is asked after commit (and the sweep finds it anyway)."""
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    stored = list(Notification.objects.filter(key__in=[r.key for r in rows]).order_by("id"))
    due = [(n.pk, n.next_attempt_at) for n in stored if n.status == NotificationStatus.PENDING]
    if due:
        transaction.on_commit(lambda: _ask_worker(due))
    return stored


def _ask_worker(due: list[tuple[int, datetime]]) -> None:
    from agency.tasks import notification_send

    now = timezone.now()
    for pk, at in due:
        try:
            if at <= now:
                notification_send.delay(pk)
            else:
                notification_send.apply_async((pk,), eta=at)
        except Exception:  # the broker is away: outbox_flush sends it when it is due
            logger.warning("notification %s: not queued; the sweep will send it", pk)


@dataclass(frozen=True)
class Reach:
    """One way a page reaches a person: a method (None: their account's e-mail address) and
    how many minutes after the page."""

    method: ContactMethod | None
    after_minutes: int


def reach_plan(*, user: User, urgent: bool) -> list[Reach]:
    """How `user` is reached: urgent (a crisis) on every verified method at once; otherwise
    by their rules over verified methods, or every verified method at once if they set none;
    never nowhere: without a verified method, their account's e-mail address."""
    verified = [m for m in user.contact_methods.all() if m.verified_at is not None]
    if urgent:
        plan = [Reach(m, 0) for m in verified]
    else:
        ids = {m.pk: m for m in verified}
        rules = [r for r in user.notification_rules.all() if r.method_id in ids]
        plan = [Reach(ids[r.method_id], r.after_minutes) for r in rules] or [
            Reach(m, 0) for m in verified
        ]
    return plan or [Reach(None, 0)]


def notify_person(
    *,
    user: User,
    key: str,
    topic: str,
    subject: str,
    body: str,
    link: str = "",
    urgent: bool = False,
    client: Client | None = None,
    alert_id: int | None = None,
    escalation_id: int | None = None,
    step: str = "",
    at: datetime | None = None,
) -> list[Notification]:
    """Reach `user` about one thing, named by `key` (e.g. "alert:brand_acme:12:esc:3:r0s1"):
    one outbox row per way of `reach_plan`, each keyed `key` + method + minutes, written in the
    caller's transaction. The same key given again writes nothing more, so a decision taken
    twice (a task run twice, a retried request) never reaches the person twice. Returns the
    rows of this key as stored."""
    at = at or timezone.now()
    rows = [
        _row(
            key=f"{key}:{reach.method.pk if reach.method else 'account'}:{reach.after_minutes}",
            topic=topic,
            user=user,
            method=reach.method,
            subject=subject,
            body=body,
            link=link,
            at=at,
            delay_minutes=reach.after_minutes,
            client=client,
            alert_id=alert_id,
            escalation_id=escalation_id,
            step=step,
        )
        for reach in reach_plan(user=user, urgent=urgent)
    ]
    return _write(rows)


def notify_address(
    *,
    address: str,
    key: str,
    topic: str,
    subject: str,
    body: str,
    link: str = "",
    client: Client | None = None,
    at: datetime | None = None,
) -> Notification:
    """An e-mail to someone who is not a user (a brand's employee), through the outbox like
    every message: keyed, so that the same decision taken twice sends once."""
    at = at or timezone.now()
    (row,) = _write(
        [
            Notification(
                key=key[:300],
                topic=topic,
                to_address=address,
                kind=ContactKind.EMAIL,
                client=client,
                subject=subject[:300],
                body=body,
                link=link,
                next_attempt_at=at,
                created_at=at,
            )
        ]
    )
    return row


def notifications_cancel(*, client: Client, alert_id: int) -> int:
    """The alert was acknowledged or closed: what still waits to page for it is not needed."""
    return Notification.objects.filter(
        client=client,
        alert_id=alert_id,
        topic=NotificationTopic.ALERT,
        status=NotificationStatus.PENDING,
    ).update(status=NotificationStatus.CANCELLED, last_error="")


# --- Sending (the worker's) -------------------------------------------------------------------

# A row left `sending` this long by a worker that died is tried again.
SENDING_STALE = timedelta(minutes=2)


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the `attempts`-th failed try: base, doubled each time, up to the cap."""
    from django.conf import settings

    base = float(settings.NOTIFY_RETRY_BASE_SECONDS)
    cap = float(settings.NOTIFY_RETRY_CAP_SECONDS)
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def _alert_is_settled(n: Notification) -> bool:
    """The alert this page is for was acknowledged or closed meanwhile (read in its brand)."""
    if n.topic != NotificationTopic.ALERT or n.client_id is None or n.alert_id is None:
        return False
    from clients import tenancy
    from monitoring.models import Alert, AlertStatus

    client = n.client
    assert client is not None
    with tenancy.tenant_context(client):
        status = Alert.objects.filter(pk=n.alert_id).values_list("status", flat=True).first()
    return status is None or status != AlertStatus.NEW


def _claim(notification_id: int, now: datetime) -> Notification | str:
    with transaction.atomic():
        n = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("method", "user", "client")
            .filter(pk=notification_id)
            .first()
        )
        if n is None:
            return "busy"  # another worker holds it, or it is gone
        if n.status != NotificationStatus.PENDING:
            return n.status
        if n.next_attempt_at > now:
            return "not due"
        if _alert_is_settled(n):
            n.status = NotificationStatus.CANCELLED
            n.save(update_fields=["status"])
            return n.status
        if now - n.created_at > GIVE_UP_AFTER:
            n.status = NotificationStatus.FAILED
            n.last_error = f"Given up after {n.attempts} tries in 24 hours. {n.last_error}"[:2000]
            n.save(update_fields=["status", "last_error"])
            return n.status
        n.status = NotificationStatus.SENDING
        n.attempts += 1
        n.sending_at = now
        n.save(update_fields=["status", "attempts", "sending_at"])
        return n


def notification_deliver(*, notification_id: int) -> str:
    """Send one outbox row, if it is still due: claimed under its lock (status `sending`),
    handed to its transport outside any transaction, then marked delivered, or put back with
    backoff on a transient failure (failed on a permanent one). A row already claimed,
    delivered or cancelled is left alone, so running this twice sends once. An alert page
    whose alert was acknowledged or closed meanwhile is cancelled instead."""
    from agency.transports import TRANSPORTS, TransportError

    claimed = _claim(notification_id, timezone.now())
    if isinstance(claimed, str):
        return claimed
    n = claimed
    try:
        # A method's target; else the address given (an employee) or the account's e-mail.
        fallback = n.to_address or (n.user.email if n.user is not None else "")
        target = contact_target(n.method) if n.method is not None else fallback
        TRANSPORTS[n.kind].send(n, target)
    except (TransportError, ValueError, KeyError) as exc:
        transient = getattr(exc, "transient", False)
        message = getattr(exc, "message", str(exc))
        with transaction.atomic():
            n = Notification.objects.select_for_update().get(pk=n.pk)
            if transient:
                n.status = NotificationStatus.PENDING
                n.next_attempt_at = timezone.now() + retry_delay(n.attempts)
            else:
                n.status = NotificationStatus.FAILED
                if n.method_id is not None:
                    # A method that will never take a message (a push subscription the browser
                    # dropped, a URL apprise does not know) pages nobody until tested again.
                    ContactMethod.objects.filter(pk=n.method_id).update(verified_at=None)
            n.last_error = message[:2000]
            n.save(update_fields=["status", "next_attempt_at", "last_error"])
            if transient:
                due = [(n.pk, n.next_attempt_at)]
                transaction.on_commit(lambda: _ask_worker(due))
        logger.warning("notification %s attempt %s failed: %s", n.pk, n.attempts, message)
        return n.status
    Notification.objects.filter(pk=n.pk, status=NotificationStatus.SENDING).update(
        status=NotificationStatus.DELIVERED, delivered_at=timezone.now(), last_error=""
    )
    return NotificationStatus.DELIVERED


def outbox_due(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """What the sweep sends: rows due (a queued send that was lost, a retry whose message went
    with a worker), and rows a dead worker left `sending`, which are put back first."""
    now = now or timezone.now()
    Notification.objects.filter(
        status=NotificationStatus.SENDING, sending_at__lt=now - SENDING_STALE
    ).update(status=NotificationStatus.PENDING, next_attempt_at=now)
    return list(
        Notification.objects.filter(status=NotificationStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
