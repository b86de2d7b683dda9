"""Push ingestion: one webhook endpoint per source, authenticated by signature, not by login.

- `/api/v1/hooks/<source>/`: any pusher, signed with the source's `webhook_secret`:
  `X-Stormdesk-Timestamp: <unix seconds>` and
  `X-Stormdesk-Signature: v1=<hex HMAC-SHA256 of "<timestamp>." + body>`; a timestamp more than
  five minutes off is refused, so a captured request cannot be replayed later.
- `/api/v1/hooks/<source>/meta/`: Meta's format (Facebook Pages, Instagram, WhatsApp Business):
  the GET verification handshake against the source's `verify_token`, and POSTs signed
  `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of body with the app secret>`.

Both take a batch (`{"mentions": [...]}` or a list; Meta's `entry` list). A bad signature is
refused with 403 and logged, and nothing is stored; a body that is not JSON is refused with 400
and kept as a dead letter.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from agency.api_errors import error_body
from clients import tenancy
from clients.tenancy import current_client
from monitoring.connectors.meta import meta_items
from monitoring.models import Channel, Source
from monitoring.services.ingestion import dead_letter_store, mentions_ingest, source_record_error
from monitoring.services.sources import source_credentials

logger = logging.getLogger(__name__)

REPLAY_WINDOW_SECONDS = 300
MAX_BODY_BYTES = 5 * 1024 * 1024


def _error(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    fields = {field: [message]} if field else {}
    return JsonResponse(
        error_body(status_code=status, code=code, message=message, fields=fields), status=status
    )


def _source(public_id: uuid.UUID) -> Source | None:
    if tenancy.current_schema() == tenancy.PUBLIC_SCHEMA:
        return None
    return Source.objects.filter(public_id=public_id, is_active=True).first()


def _refuse(source: Source, request: HttpRequest, reason: str) -> JsonResponse:
    logger.warning(
        "webhook for source %s refused: %s (from %s)",
        source.pk,
        reason,
        request.META.get("REMOTE_ADDR"),
    )
    source_record_error(source=source, message=f"Webhook refused: {reason}.")
    return _error(403, "bad_signature", f"Refused: {reason}.")


def _ingest(source: Source, body: bytes, items_of: Any) -> JsonResponse:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        letter = dead_letter_store(
            source=source,
            channel=Channel.WEBHOOK,
            errors=[("body", f"not JSON: {exc}")],
            raw_body=body.decode("utf-8", errors="replace"),
        )
        return _error(
            400, "parse_error", f"The body is not JSON (kept as dead letter {letter.pk}).", "body"
        )
    mapped = items_of(payload)
    if isinstance(mapped, str):
        letter = dead_letter_store(
            source=source, channel=Channel.WEBHOOK, errors=[("body", mapped)], payload=payload
        )
        return _error(400, "invalid", f"{mapped} (kept as dead letter {letter.pk}).", "body")
    items, raws = mapped
    result = mentions_ingest(
        client=current_client(), source=source, items=items, raws=raws, channel=Channel.WEBHOOK
    )
    return JsonResponse(result.as_dict(), status=result.http_status)


def _our_items(payload: Any) -> tuple[list[Any], list[Any]] | str:
    items = payload.get("mentions") if isinstance(payload, dict) else payload
    if not isinstance(items, list):
        return "Expected a list of mentions, or an object with a 'mentions' list."
    return items, items


@csrf_exempt
def signed_webhook(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    if request.method != "POST":
        return _error(405, "method_not_allowed", "POST a signed batch of mentions.")
    source = _source(public_id)
    if source is None:
        return _error(404, "not_found", "No active source with this id on this brand.")
    secret = source_credentials(source=source).get("webhook_secret")
    if not secret:
        return _refuse(source, request, "the source has no webhook_secret configured")
    if len(request.body) > MAX_BODY_BYTES:
        return _error(413, "too_large", f"At most {MAX_BODY_BYTES} bytes per request.")
    stamp = request.headers.get("X-Stormdesk-Timestamp", "")
    signature = request.headers.get("X-Stormdesk-Signature", "")
    if not stamp.isdigit():
        return _refuse(source, request, "missing or malformed X-Stormdesk-Timestamp")
    if abs(time.time() - int(stamp)) > REPLAY_WINDOW_SECONDS:
        return _refuse(source, request, "timestamp outside the 5-minute replay window")
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + request.body, hashlib.sha256)
    if not hmac.compare_digest(signature, "v1=" + expected.hexdigest()):
        return _refuse(source, request, "signature does not match")
    return _ingest(source, request.body, _our_items)


@csrf_exempt
def meta_webhook(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    source = _source(public_id)
    if source is None:
        return _error(404, "not_found", "No active source with this id on this brand.")
    credentials = source_credentials(source=source)
    if request.method == "GET":
        # Meta's verification handshake when the subscription is set up.
        token = credentials.get("verify_token")
        if (
            token
            and request.GET.get("hub.mode") == "subscribe"
            and hmac.compare_digest(request.GET.get("hub.verify_token", ""), token)
        ):
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return _refuse(source, request, "verification token does not match")
    if request.method != "POST":
        return _error(405, "method_not_allowed", "GET (verification) or POST (events).")
    app_secret = credentials.get("app_secret")
    if not app_secret:
        return _refuse(source, request, "the source has no app_secret configured")
    if len(request.body) > MAX_BODY_BYTES:
        return _error(413, "too_large", f"At most {MAX_BODY_BYTES} bytes per request.")
    expected = "sha256=" + hmac.new(app_secret.encode(), request.body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(request.headers.get("X-Hub-Signature-256", ""), expected):
        return _refuse(source, request, "X-Hub-Signature-256 does not match")

    def items_of(payload: Any) -> tuple[list[Any], list[Any]] | str:
        if isinstance(payload, dict) and "entry" in payload:
            return meta_items(payload)
        return _our_items(payload)

    return _ingest(source, request.body, items_of)
