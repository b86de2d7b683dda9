"""Push ingestion: one webhook endpoint per source, authenticated by signature, not by login.

- `/api/v1/hooks/<source>/`: any pusher, signed with the source's `webhook_secret`:
  `X-Stormdesk-Timestamp: <unix seconds>` and
  `X-Stormdesk-Signature: v1=<hex HMAC-SHA256 of "<timestamp>." + body>`; a timestamp more than
  five minutes off is refused, so a captured request cannot be replayed later.
- `/api/v1/hooks/<source>/meta/`: Meta's format (Facebook Pages, Instagram, WhatsApp Business):
  the GET verification handshake against the source's `verify_token`, and POSTs signed
  `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of body with the app secret>`.

Both take a batch (`{"mentions": [...]}` or a list; Meta's `entry` list) of at most MAX_ITEMS
items in at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes (413 beyond). A bad signature is refused
with 403 and logged, and nothing is stored or changed. Any body that is signed is answered 2xx
or 4xx and kept: a body with no list of items in it is refused with 400 and kept whole as a
dead letter; in a batch, the items that cannot be read or are invalid are dead letters and the
others are stored (`monitoring.payloads.read_batch`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from agency.api_errors import error_body
from agency.request_limits import too_large
from clients import tenancy
from clients.tenancy import current_client
from monitoring.connectors.meta import meta_items
from monitoring.models import Channel, Source
from monitoring.payloads import MAX_ITEMS, Batch, read_batch, readable_text
from monitoring.services.completion import mentions_queue_completion
from monitoring.services.ingestion import dead_letter_store, mentions_ingest
from monitoring.services.sources import source_credentials

logger = logging.getLogger(__name__)

REPLAY_WINDOW_SECONDS = 300
# Headers are ASCII and short; anything else is refused before it is compared.
_STAMP = re.compile(r"[0-9]{1,12}")
MAX_SIGNATURE_CHARS = 200


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
    # Logged, not written to the source's health: whoever knows a source's public id could
    # otherwise set its error line with unsigned requests.
    logger.warning(
        "webhook for source %s refused: %s (from %s)",
        source.pk,
        reason,
        request.META.get("REMOTE_ADDR"),
    )
    return _error(403, "bad_signature", f"Refused: {reason}.")


def _signature_header(request: HttpRequest, name: str) -> bytes | None:
    value = request.headers.get(name, "")
    if not value.isascii() or len(value) > MAX_SIGNATURE_CHARS:
        return None
    return value.encode("ascii")


def _too_large(request: HttpRequest) -> HttpResponse | None:
    # agency.request_limits answers first when the request says its length; Django reads a
    # body without one (chunked) whole, unchecked.
    if len(request.body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return too_large(request)
    return None


def _dead_letter_body(source: Source, batch: Batch, reason: str) -> int:
    letter = dead_letter_store(
        source=source,
        channel=Channel.WEBHOOK,
        errors=[("body", reason)],
        payload=batch.envelope,
        raw_body=readable_text(batch.body),
        raw_bytes=batch.body,
    )
    return letter.pk


def _ingest(source: Source, batch: Batch, items_of: Callable[[Batch], Mapped]) -> JsonResponse:
    mapped = batch.error if batch.error else items_of(batch)
    if isinstance(mapped, str):
        letter_id = _dead_letter_body(source, batch, mapped)
        return _error(400, "invalid", f"{mapped} (kept as dead letter {letter_id}).", "body")
    items, raws = mapped
    if len(items) > MAX_ITEMS:
        # Refused whole, like a body over the byte cap: the sender is told to split it.
        return _error(
            413,
            "too_large",
            f"At most {MAX_ITEMS} items per request; got {len(items)}. Nothing was stored.",
            "mentions",
        )
    client = current_client()
    result = mentions_ingest(
        client=client, source=source, items=items, raws=raws, channel=Channel.WEBHOOK
    )
    if result.accepted and any(_by_ids_only(item) for item in items):
        schema_name, source_id = client.schema_name, source.pk
        transaction.on_commit(
            lambda: mentions_queue_completion(schema_name=schema_name, source_id=source_id)
        )
    return JsonResponse(result.as_dict(), status=result.http_status)


def _by_ids_only(item: Any) -> bool:
    """A Meta event stored without its text (an Instagram mention, a Page mention), to be read
    in full (monitoring.services.completion)."""
    return (
        isinstance(item, dict)
        and not item.get("text")
        and item.get("platform") in ("instagram", "facebook")
    )


Mapped = tuple[list[Any], list[Any]] | str


def _our_items(batch: Batch) -> Mapped:
    return batch.items, batch.items


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
    if (refusal := _too_large(request)) is not None:
        return refusal
    stamp = request.headers.get("X-Stormdesk-Timestamp", "")
    signature = _signature_header(request, "X-Stormdesk-Signature")
    if not _STAMP.fullmatch(stamp):  # ASCII digits only: "²".isdigit() is true
        return _refuse(source, request, "missing or malformed X-Stormdesk-Timestamp")
    if abs(time.time() - int(stamp)) > REPLAY_WINDOW_SECONDS:
        return _refuse(source, request, "timestamp outside the 5-minute replay window")
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + request.body, hashlib.sha256)
    if signature is None or not hmac.compare_digest(
        signature, b"v1=" + expected.hexdigest().encode()
    ):
        return _refuse(source, request, "signature does not match")
    return _ingest(source, read_batch(request.body, list_key="mentions"), _our_items)


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
            and hmac.compare_digest(
                request.GET.get("hub.verify_token", "").encode(errors="replace"),
                str(token).encode(),
            )
        ):
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return _refuse(source, request, "verification token does not match")
    if request.method != "POST":
        return _error(405, "method_not_allowed", "GET (verification) or POST (events).")
    app_secret = credentials.get("app_secret")
    if not app_secret:
        return _refuse(source, request, "the source has no app_secret configured")
    if (refusal := _too_large(request)) is not None:
        return refusal
    digest = hmac.new(app_secret.encode(), request.body, hashlib.sha256).hexdigest()
    signature = _signature_header(request, "X-Hub-Signature-256")
    if signature is None or not hmac.compare_digest(signature, b"sha256=" + digest.encode()):
        return _refuse(source, request, "X-Hub-Signature-256 does not match")

    batch = read_batch(request.body, list_key="entry")
    if isinstance(batch.envelope, dict) and "object" in batch.envelope:
        return _ingest(source, batch, lambda batch: meta_items(batch.envelope))
    # Not Meta's format: our own batch, signed with the app secret.
    return _ingest(source, read_batch(request.body, list_key="mentions"), _our_items)


# --- The OpenAPI description (agency.api_schema.document_webhooks adds it to the brand's) -------
# These views are plain Django views, so that DRF's authentication, negotiation and parsing
# never touch a platform's request: the schema generator cannot see them, hence by hand.

_ERROR = {"$ref": "#/components/schemas/Error"}
_RESULT = {"$ref": "#/components/schemas/IngestResult"}
_BATCH = {
    "oneOf": [
        {"$ref": "#/components/schemas/MentionBatchRequest"},
        {
            "type": "array",
            "items": {"$ref": "#/components/schemas/MentionInRequest"},
            "maxItems": MAX_ITEMS,
        },
    ]
}
_META_EVENT = {
    "type": "object",
    "description": "Meta's change notification, as Meta sends it (Graph API webhooks).",
    "properties": {
        "object": {"type": "string", "description": "`page`, `instagram`, ..."},
        "entry": {"type": "array", "items": {"type": "object"}, "maxItems": MAX_ITEMS},
    },
    "required": ["object"],
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _header(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {
        "in": "header",
        "name": name,
        "required": True,
        "description": description,
        "schema": {"type": "string", **schema},
    }


def _batch_answers(signature: str) -> dict[str, Any]:
    return {
        "200": _json(_RESULT, "Each item stored or a duplicate."),
        "207": _json(
            _RESULT,
            "Some items rejected, each in `rejected` with its field errors and its dead letter; "
            "the others are stored.",
        ),
        "400": _json(
            _ERROR,
            "Signed, but no list of items in it: kept whole as a dead letter. Or a "
            "Content-Length that is not a number.",
        ),
        "403": _json(
            _ERROR, f"{signature}; or the source has no secret configured. Nothing is stored."
        ),
        "404": _json(_ERROR, "No active source with this id on this brand."),
        "413": _json(
            _ERROR,
            f"Over {MAX_ITEMS} items or over the byte cap "
            f"({settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes): refused whole, nothing stored.",
        ),
        "422": _json(_RESULT, "Every item rejected (see `rejected`); each kept as a dead letter."),
    }


def openapi_paths(prefix: str) -> dict[str, Any]:
    """The webhooks' operations, under `prefix` (`/api/v1/hooks/`)."""
    source = {
        "in": "path",
        "name": "public_id",
        "required": True,
        "description": "The source's `public_id` (its `webhook_urls` give both addresses).",
        "schema": {"type": "string", "format": "uuid"},
    }
    common = {"tags": ["webhooks"], "security": [], "parameters": [source]}
    signed = {
        "post": {
            **common,
            "operationId": "hooks_signed",
            "summary": "Push a signed batch of mentions",
            "description": (
                "For any pusher. Sign with the source's `webhook_secret` (a credential): "
                '`X-Stormdesk-Signature: v1=<hex HMAC-SHA256 of "<timestamp>." + body>`, '
                "with the same Unix time in `X-Stormdesk-Timestamp`; a time more than "
                f"{REPLAY_WINDOW_SECONDS // 60} minutes off is refused, so that a captured "
                "request cannot be replayed. The body is that of `sources/{id}/mentions/`; no "
                "log-in or token, the signature is the credential."
            ),
            "parameters": [
                source,
                _header(
                    "X-Stormdesk-Timestamp",
                    "The Unix time of sending, in seconds.",
                    pattern=_STAMP.pattern,
                ),
                _header(
                    "X-Stormdesk-Signature",
                    "`v1=` and the hex HMAC-SHA256 of `<timestamp>.<body>`.",
                    maxLength=MAX_SIGNATURE_CHARS,
                ),
            ],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _BATCH}}},
            "responses": _batch_answers("Refused: a missing, stale or wrong signature"),
        }
    }
    meta = {
        "get": {
            **common,
            "operationId": "hooks_meta_verify",
            "summary": "Meta's verification handshake",
            "description": (
                "Meta calls this when the subscription is set up: the challenge is answered "
                "when `hub.verify_token` is the source's `verify_token` (a credential)."
            ),
            "parameters": [
                source,
                *(
                    {"in": "query", "name": name, "required": False, "schema": {"type": "string"}}
                    for name in ("hub.mode", "hub.verify_token", "hub.challenge")
                ),
            ],
            "responses": {
                "200": {
                    "description": "`hub.challenge`, echoed.",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                },
                "403": _json(_ERROR, "Not `subscribe`, or not the source's verify token."),
                "404": _json(_ERROR, "No active source with this id on this brand."),
            },
        },
        "post": {
            **common,
            "operationId": "hooks_meta_events",
            "summary": "Meta's events (Facebook Pages, Instagram, WhatsApp Business)",
            "description": (
                "Signed by Meta with the source's `app_secret` (a credential): "
                "`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`. Meta's `entry` "
                "list, or a batch of our own shape signed the same way."
            ),
            "parameters": [
                source,
                _header(
                    "X-Hub-Signature-256",
                    "`sha256=` and the hex HMAC-SHA256 of the body with the app secret.",
                    maxLength=MAX_SIGNATURE_CHARS,
                ),
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"anyOf": [_META_EVENT, *_BATCH["oneOf"]]}}
                },
            },
            "responses": _batch_answers("Refused: a missing or wrong X-Hub-Signature-256"),
        },
    }
    return {f"{prefix}{{public_id}}/": signed, f"{prefix}{{public_id}}/meta/": meta}
