"""Meta webhook payloads (Facebook Pages, Instagram, WhatsApp Business Cloud) as mentions.

Pure mapping, no Django: `meta_items(payload)` returns (items, raws) in the ingestion shape, one
raw per item (the change it came from), or an error string for a payload it does not know.
Page posts, comments and mentions of the page (the brand tagged in someone else's post or
comment), Instagram comments and mentions, and WhatsApp messages become items; a removed post
or comment is an item marked `deleted` and an edited one carries `edited_at`, so that ingestion
updates the stored mention. Events that are not posts or messages (reactions, delivery
statuses, WhatsApp system notices) are skipped on purpose.
An entry or change that cannot be an event (not an object, unreadable) becomes one `Invalid`
item, so that ingestion keeps it as a dead letter beside the events that could be read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from monitoring.payloads import Invalid, Unreadable

Item = dict[str, Any]

# Page feed items that are something someone wrote; reactions, likes and the rest are not.
FEED_ITEMS = ("comment", "post", "status", "photo", "video", "share")
# Verbs of a post or comment that was written or changed.
WRITTEN = (None, "add", "edited", "edit")
EDITED = ("edited", "edit")
# Verbs of a post or comment that was taken down (by its author, the page or Meta).
REMOVED = ("remove", "delete")
# WhatsApp message types that carry nothing a person wrote to the brand: a reaction (an empty
# emoji is the reaction taken back) is an event about another message, a system message is
# WhatsApp's notice ("NAME changed from … to …"), and unsupported, unknown (the older name) and
# ephemeral (disappearing) messages arrive without their content. As mentions they would be
# noise in the brand's feed and its figures, so they are left out on purpose.
WHATSAPP_SKIPPED = frozenset({"reaction", "system", "unsupported", "unknown", "ephemeral"})


def _when(unix: Any) -> str | Any:
    try:
        return datetime.fromtimestamp(int(unix), tz=UTC).isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        return unix  # left as it came: validation names the field


def _object(value: Any) -> dict[str, Any]:
    """A part of the payload that should be an object; anything else reads as empty."""
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    """An id or a name as text (Meta sends some ids as numbers); empty when there is none."""
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


def _facebook(entry: dict[str, Any], change: dict[str, Any]) -> Item | None:
    value = _object(change.get("value"))
    field = change.get("field")
    if field not in ("feed", "mention"):
        return None
    if field == "feed" and value.get("item") not in FEED_ITEMS:
        return None
    if field == "mention" and value.get("item") not in ("post", "comment"):
        return None
    verb = value.get("verb")
    if verb not in WRITTEN and verb not in REMOVED:
        return None
    # Feed events name the author in `from`; mentions (and older feed events) in sender_*.
    sender = _object(value.get("from"))
    handle = _text(sender.get("id")) or _text(value.get("sender_id"))
    name = _text(sender.get("name")) or _text(value.get("sender_name"))
    post_id = value.get("post_id") or ""
    external_id = value.get("comment_id") or post_id
    parent = value.get("parent_id") or ""
    item: Item = {
        "external_id": external_id,
        "posted_at": _when(value.get("created_time", entry.get("time"))),
        # A mention of the page in a post often comes with ids only: kept with no text, so that
        # the brand being tagged is not lost.
        "text": value.get("message") or "",
        "url": f"https://www.facebook.com/{external_id}" if external_id else "",
        "author": {"handle": handle or "unknown", "display_name": name} if handle or name else None,
        "platform": "facebook",
        "thread_id": post_id,
        "parent_id": "" if parent == external_id else parent,
    }
    if verb in REMOVED:
        item["deleted"] = True
    elif verb in EDITED:
        item["edited_at"] = _when(entry.get("time", value.get("created_time")))
    return item


def _instagram_author(value: dict[str, Any]) -> dict[str, str] | None:
    """The commenter: `from` (an object, or in some older payloads the id alone) or a top-level
    `username`; no author when none of them names one."""
    sender = value.get("from")
    handle = (
        _text(_object(sender).get("username"))
        or _text(_object(sender).get("id"))
        or _text(sender)
        or _text(value.get("username"))
    )
    return {"handle": handle} if handle else None


def _instagram(entry: dict[str, Any], change: dict[str, Any]) -> Item | None:
    value = _object(change.get("value"))
    field = change.get("field")
    if field == "comments":
        return {
            "external_id": value.get("id"),
            "posted_at": _when(entry.get("time")),
            "text": value.get("text") or "",
            "author": _instagram_author(value),
            "platform": "instagram",
            "thread_id": _text(_object(value.get("media")).get("id"))
            or _text(value.get("media_id")),
            "parent_id": value.get("parent_id") or "",
        }
    if field == "mentions":
        # Only ids arrive: stored as such, then read in full through the Graph API
        # (monitoring.services.completion).
        return {
            "external_id": value.get("comment_id") or value.get("media_id"),
            "posted_at": _when(entry.get("time")),
            "platform": "instagram",
            "thread_id": value.get("media_id") or "",
        }
    return None


def _whatsapp_names(value: dict[str, Any]) -> dict[str, str]:
    """A display name per sender: by phone (wa_id) and by business-scoped user id (user_id,
    which is all there is when the sender uses a WhatsApp username)."""
    contacts = value.get("contacts")
    names: dict[str, str] = {}
    for contact in contacts if isinstance(contacts, list) else []:
        contact = _object(contact)
        profile = _object(contact.get("profile"))
        name = (
            _text(profile.get("name"))
            or _text(profile.get("username"))
            or _text(contact.get("username"))
        )
        for key in ("wa_id", "user_id"):
            if _text(contact.get(key)):
                names[_text(contact.get(key))] = name
    return names


def _whatsapp(entry: dict[str, Any], change: dict[str, Any]) -> list[Item | Invalid]:
    value = _object(change.get("value"))
    if change.get("field") != "messages":
        return []
    names = _whatsapp_names(value)
    messages = value.get("messages")
    items: list[Item | Invalid] = []
    for message in messages if isinstance(messages, list) else []:
        if not isinstance(message, dict):
            items.append(Invalid(message, "a WhatsApp message must be an object"))
            continue
        kind = message.get("type") if isinstance(message.get("type"), str) else ""
        if kind in WHATSAPP_SKIPPED:
            continue
        body = (message.get(kind) or {}) if isinstance(message.get(kind), dict) else {}
        text = body.get("body") or body.get("caption") or (f"[{kind}]" if kind != "text" else "")
        # The phone number, or, for a sender who uses a username (no phone shared), the
        # business-scoped user id: stable per sender, so it keeps the conversation together.
        sender = _text(message.get("from")) or _text(message.get("from_user_id"))
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
                elif isinstance(item, dict):
                    items.append({k: v for k, v in item.items() if v is not None})
                    raws.append({"object": kind, "entry_id": entry.get("id"), "change": change})
    return items, raws
