"""Platform connectors. Pull connectors (`PULL`, polled by monitoring.services.polling) by the
platform they serve; a source of kind "feed" on any platform is read as RSS/Atom. Push formats
(Meta's webhooks) live in `meta`; other tools' exports in `exports`."""

from __future__ import annotations

from monitoring.connectors.base import PullConnector
from monitoring.connectors.bluesky import BlueskySearch
from monitoring.connectors.instagram import InstagramGraph
from monitoring.connectors.linkedin import LinkedInOrganization
from monitoring.connectors.mastodon import MastodonTimeline
from monitoring.connectors.reddit import RedditSearch
from monitoring.connectors.rss import Rss
from monitoring.connectors.tiktok import TikTokResearch
from monitoring.connectors.x import XRecentSearch
from monitoring.connectors.youtube import YouTubeComments

PULL: dict[str, type[PullConnector]] = {
    "bluesky": BlueskySearch,
    "instagram": InstagramGraph,
    "linkedin": LinkedInOrganization,
    "mastodon": MastodonTimeline,
    "reddit": RedditSearch,
    "tiktok": TikTokResearch,
    "x": XRecentSearch,
    "youtube": YouTubeComments,
}


def connector_class(*, platform: str, kind: str) -> type[PullConnector] | None:
    """The connector that polls a source of this platform and kind; None: push only."""
    if kind == "feed":
        return Rss
    return PULL.get(platform)
