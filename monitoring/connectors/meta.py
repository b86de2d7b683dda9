"""Meta webhook payloads (Facebook Pages, Instagram, WhatsApp Business Cloud) as mentions.

Pure mapping, no Django: `meta_items(payload)` returns (items, raws) in the ingestion shape, one
raw per item (the change it came from), or an error string for a payload it does not know.
Events that are not posts or messages (reactions, removals, delivery statuses) are skipped.
An entry or change that cannot be an event (not an object, unreadable) becomes one `Invalid`
item, so that ingestion keeps it as a dead letter beside the events that could be read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from monitoring.payloads import Invalid, Unreadable

Item = dict[str, Any]


def _when(unix: Any) -> str | Any:
    try:
        return datetime.fromtimestamp(int(unix), tz=UTC).isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        return unix  # left as it came: validation names the field


def _object(value: Any) -> dict[str, Any]:
    """A part of the payload that should be an object; anything else reads as empty."""
    return value if isinstance(value, dict) else {}


def _facebook(entry: dict[str, Any], change: dict[str, Any]) -> Item | None:
    value = _object(change.get("value"))
    if change.get("field") != "feed" or value.get("verb") not in (None, "add", "edited"):
        return None
    if value.get("item") not in ("comment", "post", "status", "photo", "video", "share"):
        return None
    sender = _object(value.get("from"))
    post_id = value.get("post_id") or ""
    external_id = value.get("comment_id") or post_id
    parent = value.get("parent_id") or ""
    return {
        "external_id": external_id,
        "posted_at": _when(value.get("created_time", entry.get("time"))),
        "text": value.get("message") or "",
        "url": f"https://www.facebook.com/{external_id}" if external_id else "",
        "author": {
            "handle": sender.get("id") or "unknown",
            "display_name": sender.get("name") or "",
        }
        if sender
        else None,
        "platform": "facebook",
        "thread_id": post_id,
        "parent_id": "" if parent == external_id else parent,
    }


def _instagram(entry: dict[str, Any], change: dict[str, Any]) -> Item | None:
    value = _object(change.get("value"))
    field = change.get("field")
    if field == "comments":
        sender = _object(value.get("from"))
        media = _object(value.get("media"))
        return {
            "external_id": value.get("id"),
            "posted_at": _when(entry.get("time")),
            "text": value.get("text") or "",
            "author": {"handle": sender.get("username") or sender.get("id") or "unknown"}
            if sender
            else None,
            "platform": "instagram",
            "thread_id": media.get("id") or "",
            "parent_id": value.get("parent_id") or "",
        }
    if field == "mentions":
        # Only ids arrive; the text is fetched by the Instagram connector.
        return {
            "external_id": value.get("comment_id") or value.get("media_id"),
            "posted_at": _when(entry.get("time")),
            "platform": "instagram",
            "thread_id": value.get("media_id") or "",
        }
    return None


def _whatsapp(entry: dict[str, Any], change: dict[str, Any]) -> list[Item | Invalid]:
    value = _object(change.get("value"))
    if change.get("field") != "messages":
        return []
    contacts = value.get("contacts")
    names = {
        str(c.get("wa_id")): _object(c.get("profile")).get("name", "")
        for c in (contacts if isinstance(contacts, list) else [])
        if isinstance(c, dict)
    }
    messages = value.get("messages")
    items: list[Item | Invalid] = []
    for message in messages if isinstance(messages, list) else []:
        if not isinstance(message, dict):
            items.append(Invalid(message, "a WhatsApp message must be an object"))
            continue
        kind = message.get("type") if isinstance(message.get("type"), str) else ""
        body = (message.get(kind) or {}) if isinstance(message.get(kind), dict) else {}
        text = body.get("body") or body.get("caption") or (f"[{kind}]" if kind != "text" else "")
        sender = message.get("from") or ""
        items.append(
            {
                "external_id": message.get("id"),
                "posted_at": _when(message.get("timestamp")),
                "text": text,
                "author": {"handle": sender, "display_name": names.get(str(sender), "")}
                if sender
                else None,
                "platform": "whatsapp",
                "thread_id": sender,
                "parent_id": _object(message.get("context")).get("id") or "",
            }
        )
    return items


def meta_items(payload: dict[str, Any]) -> tuple[list[Item], list[Any]] | str:
    kind = payload.get("object")
    entries = payload.get("entry")
    if kind not in ("page", "instagram", "whatsapp_business_account"):
        return (
            f"Unknown Meta webhook object {kind!r}; "
            "expected page, instagram or whatsapp_business_account."
        )
    if not isinstance(entries, list):
        return "A Meta webhook needs an 'entry' list."
    items: list[Any] = []
    raws: list[Any] = []
    for entry in entries:
        if isinstance(entry, Unreadable | Invalid):
            items.append(entry)
            raws.append(entry)
            continue
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if changes is None and isinstance(entry, dict):
            continue
        if not isinstance(changes, list):
            invalid = Invalid(entry, "a Meta entry must be an object with a 'changes' list")
            items.append(invalid)
            raws.append(invalid)
            continue
        for change in changes:
            if not isinstance(change, dict):
                invalid = Invalid(change, "a Meta change must be an object")
                items.append(invalid)
                raws.append(invalid)
                continue
            mapped: list[Item | Invalid | None]
            if kind == "page":
                mapped = [_facebook(entry, change)]
            elif kind == "instagram":
                mapped = [_instagram(entry, change)]
            else:
                mapped = list(_whatsapp(entry, change))
            for item in mapped:
                if isinstance(item, Invalid):
                    items.append(item)
                    raws.append(item)
                elif item is not None:
                    items.append({k: v for k, v in item.items() if v is not None})
                    raws.append({"object": kind, "entry_id": entry.get("id"), "change": change})
    return items, raws
