"""Repair a brand poisoned by out-of-range timestamps, stored before the doors checked them.

Before the fix of issue 10, a signed item dated `9999-12-31T23:59:59-14:00` was stored as year
10000 UTC, which psycopg cannot read back: every list, export and later webhook of the brand
failed. `timestamps_repair` finds such rows in SQL (they are never loaded as models) and:

- quarantines each mention posted outside the sane range (before 2000, or more than a day after
  the repair) as a dead letter that keeps its payload and the reason, then deletes it;
- deletes the author reach samples observed outside that range, and gives each author whose
  follower time was out of range the newest sample left (or none);
- sets each source's newest post time again from the mentions it still has;
- and, in every other table of the brand, sets any timestamp psycopg cannot read (beyond year
  9999, before year 1, or infinite) to NULL where the column allows it and to the repair time
  where it does not.

Runs in the brand's schema (asserted), in one transaction. Idempotent: a second run finds
nothing. `dry_run` counts without changing anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, cast

from django.apps import apps
from django.db import connection, models, transaction
from django.utils import timezone

from clients import tenancy
from monitoring.models import Author, AuthorReach, Channel, DeadLetter, Mention, Source
from monitoring.schemas import EARLIEST_POST, FUTURE_TOLERANCE

if TYPE_CHECKING:
    from clients.models import Client

TENANT_APPS = ("monitoring", "playbooks")
UNREADABLE = (
    "({col} >= '10000-01-01T00:00:00Z'::timestamptz OR {col} < '0001-01-01T00:00:00Z'::timestamptz"
    " OR NOT isfinite({col}))"
)


@dataclass
class RepairReport:
    mentions_quarantined: int = 0
    reach_deleted: int = 0
    authors_reset: int = 0
    sources_reset: int = 0
    # "table.column" -> rows whose unreadable value was replaced
    other_columns: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return (
            self.mentions_quarantined
            + self.reach_deleted
            + self.authors_reset
            + self.sources_reset
            + sum(self.other_columns.values())
        )

    def lines(self) -> list[str]:
        out = [
            f"{self.mentions_quarantined} mentions quarantined as dead letters",
            f"{self.reach_deleted} author reach samples deleted",
            f"{self.authors_reset} authors' follower times reset",
            f"{self.sources_reset} sources' newest-post times recomputed",
        ]
        out += [f"{rows} unreadable values in {name}" for name, rows in self.other_columns.items()]
        return out


def _out_of_range(column: str) -> str:
    return f"({column} < %(earliest)s OR {column} > %(latest)s OR NOT isfinite({column}))"


def timestamps_repair(
    *, client: Client, dry_run: bool = False, now: datetime | None = None
) -> RepairReport:
    """See the module docstring."""
    tenancy.require_tenant(client)
    now = now or timezone.now()
    bounds = {"earliest": EARLIEST_POST, "latest": now + FUTURE_TOLERANCE, "now": now}
    report = RepairReport()
    mention = Mention._meta.db_table
    reach = AuthorReach._meta.db_table
    author = Author._meta.db_table
    source = Source._meta.db_table
    letters = DeadLetter._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {mention} WHERE {_out_of_range('posted_at')}",  # noqa: S608
            bounds,
        )
        report.mentions_quarantined = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT count(*) FROM {reach} WHERE {_out_of_range('observed_at')}",  # noqa: S608
            bounds,
        )
        report.reach_deleted = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT count(*) FROM {author} WHERE followers_updated_at IS NOT NULL "  # noqa: S608
            f"AND {_out_of_range('followers_updated_at')}",
            bounds,
        )
        report.authors_reset = cursor.fetchone()[0]
        if dry_run:
            report.other_columns = _unreadable_columns(cursor, fix=False, now=now)
            transaction.set_rollback(True)
            return report
        # The mention as it was, with its date as PostgreSQL writes it (psycopg cannot read it).
        cursor.execute(
            f"""
            INSERT INTO {letters}
                (source_id, channel, payload, raw_body, errors, batch_index, status,
                 received_at, resolution)
            SELECT source_id, %(channel)s,
                   jsonb_build_object(
                       'external_id', external_id, 'posted_at', posted_at::text,
                       'text', text, 'url', url, 'platform', platform,
                       'thread_id', thread_id, 'parent_id', parent_id, 'raw', raw),
                   raw::text,
                   jsonb_build_array(jsonb_build_object(
                       'field', 'posted_at',
                       'message', 'was ' || posted_at::text
                           || ': out of range (before 2000, or more than a day ahead); '
                           || 'quarantined by repair_timestamps')),
                   NULL, 'open', %(now)s, '{{}}'::jsonb
            FROM {mention} WHERE {_out_of_range("posted_at")}
            """,  # noqa: S608
            {**bounds, "channel": Channel.WEBHOOK},
        )
        # What hangs off those mentions goes with them (the search index row); references
        # that may be empty are emptied.
        for rel in Mention._meta.related_objects:
            table = cast(type[models.Model], rel.related_model)._meta.db_table
            column = rel.field.column
            action = (
                f"DELETE FROM {table}"  # noqa: S608
                if rel.on_delete is models.CASCADE
                else f"UPDATE {table} SET {column} = NULL"  # noqa: S608
            )
            cursor.execute(
                f"{action} WHERE {column} IN "  # noqa: S608
                f"(SELECT id FROM {mention} WHERE {_out_of_range('posted_at')})",
                bounds,
            )
        cursor.execute(
            f"DELETE FROM {mention} WHERE {_out_of_range('posted_at')}",  # noqa: S608
            bounds,
        )
        cursor.execute(
            f"DELETE FROM {reach} WHERE {_out_of_range('observed_at')}",  # noqa: S608
            bounds,
        )
        cursor.execute(
            f"""
            UPDATE {author} a SET
                followers_updated_at = newest.observed_at,
                followers = COALESCE(newest.followers, a.followers)
            FROM (
                SELECT a2.id, r.observed_at, r.followers FROM {author} a2
                LEFT JOIN LATERAL (
                    SELECT observed_at, followers FROM {reach}
                    WHERE author_id = a2.id ORDER BY observed_at DESC LIMIT 1
                ) r ON true
                WHERE a2.followers_updated_at IS NOT NULL
                  AND {_out_of_range("a2.followers_updated_at")}
            ) newest
            WHERE a.id = newest.id
            """,  # noqa: S608
            bounds,
        )
        cursor.execute(
            f"""
            UPDATE {source} s SET last_posted_at = (
                SELECT max(posted_at) FROM {mention} m WHERE m.source_id = s.id)
            WHERE s.last_posted_at IS NOT NULL AND {_out_of_range("s.last_posted_at")}
            """,  # noqa: S608
            bounds,
        )
        report.sources_reset = cursor.rowcount
        report.other_columns = _unreadable_columns(cursor, fix=True, now=now)
    return report


def _unreadable_columns(cursor: object, *, fix: bool, now: datetime) -> dict[str, int]:
    """Every other timestamp of the brand's tables that psycopg cannot read."""
    found: dict[str, int] = {}
    for app in TENANT_APPS:
        for model in apps.get_app_config(app).get_models():
            table = model._meta.db_table
            for column in model._meta.concrete_fields:
                if not isinstance(column, models.DateTimeField):
                    continue
                where = UNREADABLE.format(col=column.column)
                if fix:
                    value = "NULL" if column.null else "%(now)s"
                    cursor.execute(  # type: ignore[attr-defined]
                        f"UPDATE {table} SET {column.column} = {value} WHERE {where}",  # noqa: S608
                        {"now": now},
                    )
                    rows = cursor.rowcount  # type: ignore[attr-defined]
                else:
                    cursor.execute(  # type: ignore[attr-defined]
                        f"SELECT count(*) FROM {table} WHERE {where}"  # noqa: S608
                    )
                    rows = cursor.fetchone()[0]  # type: ignore[attr-defined]
                if rows:
                    found[f"{table}.{column.column}"] = rows
    return found
