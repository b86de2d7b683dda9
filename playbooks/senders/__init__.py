"""Senders: one platform's API for replies and own posts (see `base`). `SENDERS` by platform;
platforms without one (TikTok, Reddit, WhatsApp, news, reviews) take recorded replies only
(playbooks.services.response_record)."""

from __future__ import annotations

from playbooks.senders.base import Sender, SendError, SendKey, SentItem, Target
from playbooks.senders.bluesky import BlueskySender
from playbooks.senders.linkedin import LinkedInSender
from playbooks.senders.mastodon import MastodonSender
from playbooks.senders.meta import FacebookSender, InstagramSender
from playbooks.senders.x import XSender
from playbooks.senders.youtube import YouTubeSender

SENDERS: dict[str, type[Sender]] = {
    sender.platform: sender
    for sender in (
        FacebookSender,
        InstagramSender,
        XSender,
        MastodonSender,
        BlueskySender,
        YouTubeSender,
        LinkedInSender,
    )
}


def sender_for(platform: str, bases: dict[str, str]) -> Sender | None:
    """The platform's sender on its API root (`bases`: settings.CONNECTOR_BASE_URLS, by the
    platform's connector); None when replies on it can only be recorded."""
    cls = SENDERS.get(platform)
    return None if cls is None else cls(base_url=bases.get(cls.base_key))


__all__ = ["SENDERS", "SendError", "SendKey", "Sender", "SentItem", "Target", "sender_for"]
