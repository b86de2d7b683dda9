"""The rollups the dashboard and the reports read: mentions per hour, platform, sentiment and
share (MentionHour), and each multiplier's mentions per day (MultiplierDay).

Rebuilt, not incremented: a processing run recounts the hours and the (day, author) pairs its
mentions fall in, from the mentions as they now stand. A mention processed a second time (an
edit, a deletion, a late fill of its text) is then counted once, as it is now, and an import
of last year's history lands in last year's hours. Only processed mentions count: the others
are counted when their processing run touches their hour.

Runs in the brand's schema, inside the processing transaction and under the brand's detection
lock (monitoring.services.detection), so two runs recounting the same hour take turns and the
second one reads what the first committed. Running twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import connection

from clients import tenancy

if TYPE_CHECKING:
    from clients.models import Client

# The hours (UTC) and the (day, author) pairs the given mentions fall in.
TOUCHED_SQL = """
SELECT array_agg(DISTINCT date_trunc('hour', posted_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'),
       array_agg(author_id) FILTER (WHERE author_id IS NOT NULL),
       array_agg((posted_at AT TIME ZONE 'UTC')::date) FILTER (WHERE author_id IS NOT NULL)
FROM monitoring_mention WHERE id = ANY(%(ids)s)
"""

HOURS_CLEAR_SQL = "DELETE FROM monitoring_mentionhour WHERE hour = ANY(%(hours)s)"

# Each hour recounted whole, through the posted_at index.
HOURS_SQL = """
INSERT INTO monitoring_mentionhour
    (hour, platform, sentiment, share, mentions, multiplier_mentions)
SELECT hours.start, m.platform, m.sentiment, m.repost_of <> '', count(*),
       count(*) FILTER (WHERE m.is_multiplier)
FROM unnest(%(hours)s::timestamptz[]) AS hours(start)
JOIN monitoring_mention m
  ON m.posted_at >= hours.start AND m.posted_at < hours.start + interval '1 hour'
WHERE m.deleted_at IS NULL AND m.processed_at IS NOT NULL
GROUP BY 1, 2, 3, 4
"""

MULTIPLIERS_CLEAR_SQL = """
DELETE FROM monitoring_multiplierday d
USING unnest(%(days)s::date[], %(authors)s::bigint[]) AS pairs(day, author_id)
WHERE d.day = pairs.day AND d.author_id = pairs.author_id
"""

# Each (day, author) recounted from the author's mentions of that day (the author index);
# whether the author was a multiplier is as processing saw it.
MULTIPLIERS_SQL = """
INSERT INTO monitoring_multiplierday
    (day, author_id, mentions, negative, followers, last_posted_at)
SELECT pairs.day, pairs.author_id, count(*),
       count(*) FILTER (WHERE m.sentiment = 'neg' AND m.repost_of = ''),
       max(a.followers), max(m.posted_at)
FROM (SELECT DISTINCT * FROM unnest(%(days)s::date[], %(authors)s::bigint[]))
     AS pairs(day, author_id)
JOIN monitoring_mention m
  ON m.author_id = pairs.author_id
 AND m.posted_at >= pairs.day::timestamp AT TIME ZONE 'UTC'
 AND m.posted_at < (pairs.day + 1)::timestamp AT TIME ZONE 'UTC'
JOIN monitoring_author a ON a.id = pairs.author_id
WHERE m.is_multiplier AND m.deleted_at IS NULL AND m.processed_at IS NOT NULL
GROUP BY 1, 2
"""


def rollups_refresh(*, client: Client, mention_ids: Sequence[int]) -> None:
    """Recount the hours and the multipliers' days that the given mentions fall in."""
    tenancy.require_tenant(client)
    if not mention_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(TOUCHED_SQL, {"ids": list(mention_ids)})
        hours, authors, days = cursor.fetchone()
        if not hours:
            return
        cursor.execute(HOURS_CLEAR_SQL, {"hours": hours})
        cursor.execute(HOURS_SQL, {"hours": hours})
        if authors:
            pairs = {"days": days, "authors": authors}
            cursor.execute(MULTIPLIERS_CLEAR_SQL, pairs)
            cursor.execute(MULTIPLIERS_SQL, pairs)
