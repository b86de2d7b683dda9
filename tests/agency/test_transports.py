"""The outbox's transports against the real outside boundary: a local HTTP server
(pytest-httpserver) stands in for the chat service (an apprise json:// URL) and for the browser's
push service (a real subscription key pair: the message is decrypted as a browser would);
e-mail goes to Django's locmem backend. What a person receives carries the link that confirms
the method, and opening it does; a provider failing five times is tried again with backoff
until it takes the message, once; a push subscription the browser dropped (410) fails at once.
"""

from __future__ import annotations

import base64
import json
import os
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import http_ece
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.core import mail
from django.test import Client as HttpClient
from django.utils import timezone
from werkzeug import Request, Response

from agency.models import ContactKind, ContactMethod, Notification, NotificationStatus
from agency.notifications import contact_method_add, contact_method_test, notification_deliver
from agency.transports import vapid_public_key

pytestmark = pytest.mark.django_db


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Device:
    """A browser's push subscription, with the secrets only the browser holds."""

    subscription: dict[str, Any]
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    def decrypt(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm"
        )
        return dict(json.loads(plain))


def push_device(endpoint: str) -> Device:
    """A subscription as PushSubscription.toJSON() gives it: a P-256 key (its uncompressed
    point, base64url) and 16 random auth bytes."""
    private_key = ec.generate_private_key(ec.SECP256R1())
    point = private_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    auth = os.urandom(16)
    subscription = {"endpoint": endpoint, "keys": {"p256dh": b64url(point), "auth": b64url(auth)}}
    return Device(subscription=subscription, private_key=private_key, auth=auth)


def verify_path(link: str) -> str:
    parts = urlsplit(link)
    assert parts.path.startswith("/me/notifications/verify/"), link
    return parts.path


def open_link(world, link: str) -> Any:  # type: ignore[no-untyped-def]
    """The link opened where the message arrived: no log-in."""
    return HttpClient(HTTP_HOST=world.host(None)).get(verify_path(link))


def test_an_apprise_test_message_reaches_the_service_and_its_link_verifies(world, httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_json({"ok": True})
    method = contact_method_add(
        user=world.staff_a,
        kind=ContactKind.APPRISE,
        target=f"json://127.0.0.1:{httpserver.port}/hook",
        label="Team chat",
    )
    assert method.target_hint == "json://127.0.0.1"
    row = contact_method_test(method=method, acting_user=world.staff_a)
    assert notification_deliver(notification_id=row.pk) == NotificationStatus.DELIVERED
    (request, _response), *rest = httpserver.log
    assert rest == []
    sent = request.get_json()
    assert sent["title"] == "Stormdesk test message"
    assert "Open the link to confirm it reached you" in sent["message"]
    link = sent["message"].split()[-1]
    assert link == row.link and "/me/notifications/verify/" in link
    method.refresh_from_db()
    assert method.verified_at is None  # delivered is not confirmed
    answer = open_link(world, link)
    assert answer.status_code == 200 and "Verified" in answer.content.decode()
    method.refresh_from_db()
    assert method.verified_at is not None
    # Once is enough; the same link again changes nothing
    first = method.verified_at
    assert open_link(world, link).status_code == 200
    method.refresh_from_db()
    assert method.verified_at == first


def test_a_failing_service_is_tried_again_with_backoff_until_it_takes_the_message_once(
    world, httpserver, settings
):
    settings.NOTIFY_RETRY_BASE_SECONDS = 0.01
    settings.NOTIFY_RETRY_CAP_SECONDS = 1
    answers = [500] * 5 + [200]

    def provider(request: Request) -> Response:
        return Response("{}", status=answers.pop(0) if answers else 200)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(provider)
    method = contact_method_add(
        user=world.staff_a,
        kind=ContactKind.APPRISE,
        target=f"json://127.0.0.1:{httpserver.port}/hook",
    )
    row = contact_method_test(method=method, acting_user=world.staff_a)
    outcomes = []
    for _ in range(6):
        outcome = notification_deliver(notification_id=row.pk)
        outcomes.append(outcome)
        row.refresh_from_db()
        if outcome != NotificationStatus.PENDING:
            break
        assert row.last_error and row.next_attempt_at > timezone.now() - timedelta(seconds=1)
        # Before its backoff has passed the row is not sent again.
        if row.next_attempt_at > timezone.now() + timedelta(milliseconds=5):
            before = len(httpserver.log)
            assert notification_deliver(notification_id=row.pk) == "not due"
            assert len(httpserver.log) == before
        time.sleep(max(0.0, (row.next_attempt_at - timezone.now()).total_seconds()) + 0.005)
    assert outcomes == [NotificationStatus.PENDING] * 5 + [NotificationStatus.DELIVERED]
    assert [response.status_code for _request, response in httpserver.log] == [500] * 5 + [200]
    assert (row.status, row.attempts, row.last_error) == (NotificationStatus.DELIVERED, 6, "")
    assert row.delivered_at is not None
    # Delivered: running the send again sends nothing more.
    assert notification_deliver(notification_id=row.pk) == NotificationStatus.DELIVERED
    assert len(httpserver.log) == 6
    successes = [r for r in httpserver.log if r[1].status_code == 200]
    assert len(successes) == 1


def _vapid_claims(authorization: str, audience: str) -> dict[str, Any]:
    """The VAPID header (RFC 8292): `vapid t=<JWT>,k=<public key>`; the JWT is checked against
    the key it names, and that key must be the agency's."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert fields["k"] == vapid_public_key()
    header, claims, signature = fields["t"].split(".")
    assert json.loads(unb64url(header)) == {"typ": "JWT", "alg": "ES256"}
    public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(fields["k"]))
    raw = unb64url(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public_key.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:  # pragma: no cover - the assertion says it
        pytest.fail("the VAPID JWT is not signed by the agency's key")
    decoded = dict(json.loads(unb64url(claims)))
    assert decoded["aud"] == audience
    return decoded


def test_a_push_test_message_is_signed_encrypted_and_opens_the_link(world, httpserver, settings):
    httpserver.expect_request("/push/device-1", method="POST").respond_with_data("", status=201)
    device = push_device(httpserver.url_for("/push/device-1"))
    method = contact_method_add(
        user=world.staff_a, kind=ContactKind.PUSH, target=device.subscription, label="My phone"
    )
    assert method.target_hint == urlsplit(httpserver.url_for("/")).hostname  # not the keys
    row = contact_method_test(method=method, acting_user=world.staff_a)
    assert notification_deliver(notification_id=row.pk) == NotificationStatus.DELIVERED
    ((request, _response),) = httpserver.log
    claims = _vapid_claims(request.headers["Authorization"], f"http://{request.host}")
    assert claims["sub"] == settings.VAPID_SUBJECT
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    assert request.headers["Content-Encoding"] == "aes128gcm"
    assert int(request.headers["TTL"]) > 0
    message = device.decrypt(request.get_data())
    assert message["title"] == "Stormdesk test message"
    assert message["url"] == row.link and message["tag"]
    assert "Open the link" in message["body"]
    # Another device's key cannot read it.
    with pytest.raises(Exception):  # http_ece's error (ECEException) is a bare Exception
        push_device(device.subscription["endpoint"]).decrypt(request.get_data())
    assert open_link(world, message["url"]).status_code == 200
    method.refresh_from_db()
    assert method.verified_at is not None


def test_a_dropped_push_subscription_fails_at_once_and_is_not_tried_again(world, httpserver):
    httpserver.expect_request("/push/gone", method="POST").respond_with_data("Gone", status=410)
    device = push_device(httpserver.url_for("/push/gone"))
    method = contact_method_add(
        user=world.staff_a, kind=ContactKind.PUSH, target=device.subscription
    )
    row = contact_method_test(method=method, acting_user=world.staff_a)
    assert notification_deliver(notification_id=row.pk) == NotificationStatus.FAILED
    row.refresh_from_db()
    assert (row.status, row.attempts) == (NotificationStatus.FAILED, 1)
    assert "410" in row.last_error
    assert notification_deliver(notification_id=row.pk) == NotificationStatus.FAILED
    assert len(httpserver.log) == 1


def test_an_email_test_message_arrives_with_its_link(world):
    method = contact_method_add(
        user=world.staff_a, kind=ContactKind.EMAIL, target=" Night.Phone@Example.TEST "
    )
    assert method.target_hint == "night.phone@example.test"
    row = contact_method_test(method=method, acting_user=world.staff_a)
    assert notification_deliver(notification_id=row.pk) == NotificationStatus.DELIVERED
    (message,) = mail.outbox
    assert message.to == ["night.phone@example.test"]
    assert message.subject == "Stormdesk test message"
    assert message.body.endswith(row.link)
    assert message.extra_headers["X-Stormdesk-Key"] == row.key
    assert open_link(world, row.link).status_code == 200
    assert ContactMethod.objects.get(pk=method.pk).verified_at is not None
    # Nobody else's outbox holds it.
    assert not Notification.objects.exclude(user=world.staff_a).filter(pk=row.pk).exists()
