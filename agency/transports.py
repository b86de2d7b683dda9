"""One transport per kind of contact method (as Healthchecks.io's hc/api/transports.py): each
takes an outbox row and its decrypted target, hands the message to the provider, and raises
TransportError with the provider's words when it did not take it.

- e-mail: Django's mail (EMAIL_URL; a real provider through django-anymail's backends);
- Web Push: pywebpush, signed with the agency's VAPID key (VAPID_PRIVATE_KEY, else one derived
  from SECRET_KEY, so that development needs no setting);
- chat and SMS: apprise URLs (Slack, Microsoft Teams, Telegram, Signal, ntfy, Pushover, SMS
  gateways...).

`transient` says whether trying again may help; a push subscription the browser dropped (404,
410) is not transient.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from functools import cache
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMessage

from agency.models import ContactKind, Notification

logger = logging.getLogger(__name__)


class TransportError(Exception):
    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.message = message[:2000]
        self.transient = transient


class Transport(Protocol):
    def send(self, notification: Notification, target: Any) -> None: ...


def _text(notification: Notification) -> str:
    if notification.link:
        return f"{notification.body}\n\n{notification.link}"
    return notification.body


class EmailTransport:
    def send(self, notification: Notification, target: Any) -> None:
        message = EmailMessage(
            subject=notification.subject,
            body=_text(notification),
            to=[str(target)],
            headers={"X-Stormdesk-Key": notification.key[:200]},
        )
        try:
            sent = message.send(fail_silently=False)
        except Exception as exc:  # SMTP and provider errors alike: the provider's words
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        if not sent:
            raise TransportError("The mail backend took no message.")


# --- Web Push ---------------------------------------------------------------------------------


@cache
def _vapid_pem() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    configured = getattr(settings, "VAPID_PRIVATE_KEY", "")
    if configured:
        return configured.encode() if "BEGIN" in configured else base64.b64decode(configured)
    # P-256's order; a scalar below it from the secret key, stable across restarts.
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    seed = hashlib.sha256(("stormdesk-vapid:" + settings.SECRET_KEY).encode()).digest()
    key = ec.derive_private_key(int.from_bytes(seed, "big") % (order - 1) + 1, ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@cache
def vapid_public_key() -> str:
    """The applicationServerKey a browser subscribes with (base64url, uncompressed point)."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(_vapid_pem(), password=None)
    raw = key.public_key().public_bytes(  # type: ignore[union-attr]
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class WebPushTransport:
    def send(self, notification: Notification, target: Any) -> None:
        from py_vapid import Vapid
        from pywebpush import WebPushException, webpush

        payload = json.dumps(
            {
                "title": notification.subject,
                "body": notification.body[:1000],
                "url": notification.link,
                "tag": notification.key[:100],
            }
        )
        try:
            webpush(
                subscription_info=target,
                data=payload,
                vapid_private_key=Vapid.from_pem(_vapid_pem()),
                vapid_claims={"sub": settings.VAPID_SUBJECT},
                ttl=3600,
                timeout=10,
            )
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else None
            # The browser dropped the subscription: it will never take a message again.
            raise TransportError(
                f"Push service answered {status}: {exc.message}"[:2000],
                transient=status not in (404, 410),
            ) from exc
        except Exception as exc:  # network errors: try again
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc


# --- apprise ----------------------------------------------------------------------------------


class AppriseTransport:
    def send(self, notification: Notification, target: Any) -> None:
        import apprise

        sender = apprise.Apprise()
        if not sender.add(str(target)):
            raise TransportError("Apprise does not know this URL.", transient=False)
        with apprise.LogCapture(level=logging.WARNING) as captured:
            ok = sender.notify(title=notification.subject, body=_text(notification))
        if not ok:
            words = captured.getvalue().strip().splitlines()  # type: ignore[union-attr]
            raise TransportError(" ".join(words[-3:]) or "The service did not take the message.")


TRANSPORTS: dict[str, Transport] = {
    ContactKind.EMAIL: EmailTransport(),
    ContactKind.PUSH: WebPushTransport(),
    ContactKind.APPRISE: AppriseTransport(),
}
