"""Meta webhook payloads (Facebook Pages, Instagram, WhatsApp Business Cloud) as mentions.

Pure mapping, no Django: `meta_items(payload)` returns (items, raws) in the ingestion shape, one
raw per item (the change it came from), or an error string for a payload it does not know.
Events that are not posts or messages (reactions, removals, delivery statuses) are skipped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

Item = dict[str, Any]


def _when(unix: Any) -> str | Any:
    try:
        return datetime.fromtimestamp(int(unix), tz=UTC).isoformat()
    except (TypeError, ValueError, OverflowError):
        return unix  # left as it came: validation names the field


def _facebook(entry: dict[str, Any], change: dict[str, Any]) -> Item | None:
    value = change.get("value") or {}
    if change.get("field") != "feed" or value.get("verb") not in (None, "add", "edited"):
        return None
    if value.get("item") not in ("comment", "post", "status", "photo", "video", "share"):
        return None
    sender = value.get("from") or {}
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
    value = change.get("value") or {}
    field = change.get("field")
    if field == "comments":
        sender = value.get("from") or {}
        media = value.get("media") or {}
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


def _whatsapp(entry: dict[str, Any], change: dict[str, Any]) -> list[Item]:
    value = change.get("value") or {}
    if change.get("field") != "messages":
        return []
    names = {
        c.get("wa_id"): (c.get("profile") or {}).get("name", "")
        for c in value.get("contacts") or []
    }
    items = []
    for message in value.get("messages") or []:
        kind = message.get("type")
        body = (message.get(kind) or {}) if isinstance(message.get(kind), dict) else {}
        text = body.get("body") or body.get("caption") or (f"[{kind}]" if kind != "text" else "")
        sender = message.get("from") or ""
        items.append(
            {
                "external_id": message.get("id"),
                "posted_at": _when(message.get("timestamp")),
                "text": text,
                "author": {"handle": sender, "display_name": names.get(sender, "")}
                if sender
                else None,
                "platform": "whatsapp",
                "thread_id": sender,
                "parent_id": (message.get("context") or {}).get("id") or "",
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
    items: list[Item] = []
    raws: list[Any] = []
    for entry in entries:
        for change in (entry or {}).get("changes") or []:
            mapped: list[Item | None]
            if kind == "page":
                mapped = [_facebook(entry, change)]
            elif kind == "instagram":
                mapped = [_instagram(entry, change)]
            else:
                mapped = list(_whatsapp(entry, change))
            for item in mapped:
                if item is not None:
                    items.append({k: v for k, v in item.items() if v is not None})
                    raws.append({"object": kind, "entry_id": entry.get("id"), "change": change})
    return items, raws
